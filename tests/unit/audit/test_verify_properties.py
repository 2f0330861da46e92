"""Property tests: any single tampering of a chain is found and named, whatever the chain and the spot."""

from __future__ import annotations

from collections.abc import Iterator

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from guard.audit.chain import ChainWriter
from guard.audit.keys import KeyRing, SigningKey
from guard.audit.sink import ChainData
from guard.audit.verify import verify

KEY = SigningKey.from_private(Ed25519PrivateKey.generate())
KEYS = KeyRing()
KEYS.add(KEY.public)


class MemorySource:
    """One chain held as a list of lines, with its latest signed head."""

    def __init__(self, chain_id: str, lines: list[bytes], head: bytes) -> None:
        self.chain_id, self.lines, self.head = chain_id, lines, head

    def describe(self) -> str:
        return "memory"

    def keyring(self) -> KeyRing:
        return KEYS

    def read_unit(self, unit: str) -> Iterator[tuple[str, bytes]]:
        return ((f"line {n}", line) for n, line in enumerate(self.lines, start=1))

    def chains(self) -> list[ChainData]:
        return [ChainData(chain_id=self.chain_id, lines=lambda: self.read_unit(""),
                          first_line=lambda: self.lines[0] if self.lines else None,
                          head=self.head, units=("all",))]


def _chain(events: int) -> tuple[str, list[bytes], bytes]:
    writer = ChainWriter(KEY)
    lines = [writer.seal("chain.start", {"start": {"pid": 1, "kid": KEY.kid, "witness": {}}}).line]
    lines += [writer.seal("event", {"event": {"type": "t", "payload": {"n": n}}}).line for n in range(events)]
    lines.append(writer.seal("chain.end", {}).line)
    return writer.chain_id, lines, writer.head(closed=True).to_bytes()


def _problems(chain_id: str, lines: list[bytes], head: bytes) -> list[tuple[str, int | None]]:
    return [(p.kind, p.seq) for p in verify(MemorySource(chain_id, lines, head)).all_problems]


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 30), st.data())
def test_one_deletion_is_named(events: int, data: st.DataObject) -> None:
    """Deleting any record but the last is reported as exactly that seq, deleted."""
    chain_id, lines, head = _chain(events)
    index = data.draw(st.integers(0, len(lines) - 2))
    assert _problems(chain_id, lines[:index] + lines[index + 1:], head) == [("deleted", index)]


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 30), st.data())
def test_one_modification_is_named(events: int, data: st.DataObject) -> None:
    """Changing one byte of any record's body is reported as that seq, modified."""
    chain_id, lines, head = _chain(events)
    index = data.draw(st.integers(1, len(lines) - 2))
    lines[index] = lines[index].replace(b'"payload":{"n":', b'"payload":{"m":')
    assert _problems(chain_id, lines, head) == [("modified", index)]


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 30), st.data())
def test_one_duplicate_is_named(events: int, data: st.DataObject) -> None:
    """Replaying any record anywhere is reported as an insertion of that seq."""
    chain_id, lines, head = _chain(events)
    source = data.draw(st.integers(0, len(lines) - 1))
    target = data.draw(st.integers(0, len(lines)))
    tampered = [*lines[:target], lines[source], *lines[target:]]
    assert _problems(chain_id, tampered, head) == [("inserted", source)]


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 30), st.data())
def test_one_swap_is_named(events: int, data: st.DataObject) -> None:
    """Swapping two adjacent records is reported as one reordered record, one of the two."""
    chain_id, lines, head = _chain(events)
    index = data.draw(st.integers(0, len(lines) - 2))
    lines[index], lines[index + 1] = lines[index + 1], lines[index]
    problems = _problems(chain_id, lines, head)
    assert len(problems) == 1
    assert problems[0][0] == "reordered"
    assert problems[0][1] in {index, index + 1}


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 30), st.data())
def test_any_truncation_is_named(events: int, data: st.DataObject) -> None:
    """Cutting any number of the newest records is reported as a truncation after the last one kept."""
    chain_id, lines, head = _chain(events)
    keep = data.draw(st.integers(1, len(lines) - 1))
    assert _problems(chain_id, lines[:keep], head) == [("truncated", keep)]
