"""The audit record: a versioned body, chained by hash, signed, and written as one JSON line.

    {"v":1,"hash":"<sha256 hex of rec>","kid":"<key id>","sig":"<base64 Ed25519(hash)>","rec":{...}}

`rec` is canonical JSON (see `canonical.py`) and is hashed exactly as stored, so a verifier slices
it out of the line instead of re-encoding it. Its fields:

    v      schema version (1)            chain  the writer's chain id (one per process)
    seq    0, 1, 2, ... within the chain  prev   hash of the previous record ("0"*64 for seq 0)
    ts     UTC time, ISO 8601             kind   "decision" | "event" | "chain.start" | "chain.end"
    decision  the public decision document (kind "decision")
    event     {"type": ..., "payload": {...}} (kind "event": consent changes, erasure tombstones)
    start     {"pid", "kid", "witness": {chain: {"seq", "hash"}}} (kind "chain.start")

No field ever holds a raw personal value: decision documents are built to exclude them, and event
payloads carry subject hashes, never subject ids.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from guard.audit.canonical import canonical_bytes, sha256_hex

__all__ = [
    "GENESIS",
    "SCHEMA_VERSION",
    "Envelope",
    "RecordFormatError",
    "encode_line",
    "parse_line",
    "split_line",
]

SCHEMA_VERSION = 1
GENESIS = "0" * 64
# The envelope has a fixed layout, so the record's exact bytes are whatever follows this head.
_HEAD = re.compile(
    rb'\{"v":(\d{1,4}),"hash":"([0-9a-f]{64})","kid":"([0-9a-f]{1,64})","sig":"([A-Za-z0-9+/=]{1,200})","rec":'
)


class RecordFormatError(ValueError):
    """A line that is not a well-formed audit record (torn, truncated or edited by hand)."""


@dataclass(slots=True)
class Envelope:
    """One parsed line: the claimed hash, key id and signature, the record, and its exact bytes."""

    hash: str
    kid: str
    sig: str
    rec: dict[str, Any]
    rec_bytes: bytes

    @property
    def chain(self) -> str:
        return str(self.rec.get("chain", ""))

    @property
    def seq(self) -> int:
        seq = self.rec.get("seq")
        return seq if isinstance(seq, int) else -1

    @property
    def prev(self) -> str:
        return str(self.rec.get("prev", ""))

    @property
    def kind(self) -> str:
        return str(self.rec.get("kind", ""))

    def hash_matches(self) -> bool:
        return sha256_hex(self.rec_bytes) == self.hash


def encode_line(rec: dict[str, Any], *, kid: str, sign: Any) -> tuple[bytes, str]:
    """The JSON line for `rec` and its hash; `sign(digest) -> base64 str` is the signer."""
    rec_bytes = canonical_bytes(rec)
    digest = sha256_hex(rec_bytes)
    signature = sign(bytes.fromhex(digest))
    head = f'{{"v":{SCHEMA_VERSION},"hash":"{digest}","kid":"{kid}","sig":"{signature}","rec":'
    return head.encode("ascii") + rec_bytes + b"}\n", digest


def split_line(line: bytes) -> tuple[str, str, str, bytes] | None:
    """(hash, kid, sig, exact record bytes) of a line, or None if it is not a record line."""
    line = line.rstrip(b"\r\n")
    head = _HEAD.match(line)
    if head is None or not line.endswith(b"}"):
        return None
    return head[2].decode(), head[3].decode(), head[4].decode(), line[head.end():-1]


def parse_line(line: bytes) -> Envelope:
    """Parse one line (with or without its newline); raise RecordFormatError if malformed."""
    parts = split_line(line)
    if parts is None:
        raise RecordFormatError("not an audit record line")
    digest, kid, sig, rec_bytes = parts
    try:
        rec = json.loads(rec_bytes)
    except (ValueError, UnicodeDecodeError):
        raise RecordFormatError("record body is not valid JSON") from None
    if not isinstance(rec, dict):
        raise RecordFormatError("record body is not an object")
    return Envelope(hash=digest, kid=kid, sig=sig, rec=rec, rec_bytes=rec_bytes)
