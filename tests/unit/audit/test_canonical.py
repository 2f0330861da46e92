"""Canonical JSON and the record line format."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from guard.audit.canonical import canonical_bytes, sha256_hex
from guard.audit.keys import SigningKey
from guard.audit.record import RecordFormatError, encode_line, parse_line

_KEY = Ed25519PrivateKey.generate()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def test_canonical_sorts_keys_without_whitespace() -> None:
    """Keys are sorted, separators compact, non-ASCII kept as UTF-8."""
    assert canonical_bytes({"b": 1, "a": [1, 2], "ü": "é"}) == '{"a":[1,2],"b":1,"ü":"é"}'.encode()


def test_canonical_refuses_nan() -> None:
    """NaN has no JSON form, so it cannot enter a record."""
    with pytest.raises(ValueError, match="JSON compliant"):
        canonical_bytes({"x": float("nan")})


@given(st.dictionaries(st.text(max_size=10), json_values, max_size=6))
def test_line_round_trips_and_hashes_exact_bytes(body: dict[str, Any]) -> None:
    """Any JSON body survives encode/parse, and the hash is over exactly the stored record bytes."""
    key = SigningKey.from_private(_KEY)
    line, digest = encode_line(body, kid=key.kid, sign=key.sign)
    env = parse_line(line)
    assert env.rec == json.loads(canonical_bytes(body))
    assert env.hash == digest == sha256_hex(canonical_bytes(body))
    assert env.hash_matches()
    assert line.endswith(b"}\n")


@pytest.mark.parametrize("line", [b"", b"{}", b'{"v":1,"hash":"zz"}', b'{"v":1,"hash":"' + b"a" * 64 + b'"',
                                  b"not json at all\n"])
def test_malformed_lines_are_rejected(line: bytes) -> None:
    """Lines that are not whole records raise RecordFormatError."""
    with pytest.raises(RecordFormatError):
        parse_line(line)


def test_envelope_cannot_smuggle_a_second_record() -> None:
    """A key id that tries to inject another `rec` does not parse, so hash and body cannot disagree."""
    key = SigningKey.from_private(_KEY)
    line, _ = encode_line({"a": 1}, kid=key.kid, sign=key.sign)
    forged = line.replace(f'"kid":"{key.kid}"'.encode(), b'"kid":"x\\",\\"rec\\":{}"')
    with pytest.raises(RecordFormatError):
        parse_line(forged)

