"""Where audit records go (`AuditSink`) and where verification and reports read them (`AuditSource`).

Two implementations: JSONL files (`jsonl.py`, the embedded default) and PostgreSQL
(`postgres.py`). Sinks are synchronous; the recorder runs a blocking sink's calls in a thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from guard.audit.chain import Head, Sealed
    from guard.audit.keys import KeyRing

__all__ = ["AuditSink", "AuditSource", "ChainData", "Witness"]

# Heads of other chains seen when a chain starts: {chain_id: {"seq": n, "hash": h}}.
Witness = dict[str, dict[str, Any]]


class AuditSink(Protocol):
    """Stores one writer's chain. `blocking` sinks (network) are called from a worker thread."""

    blocking: bool

    def start(self, chain_id: str, *, kid: str, public_pem: bytes) -> Witness:
        """Prepare storage for a new chain, publish its public key, return other chains' heads."""
        ...

    def write(self, sealed: Sealed) -> None: ...

    def stored(self, sealed: Sealed) -> bool:
        """After `write` raised: is this exact record in storage anyway (a commit whose answer was
        lost)? Raises StateError while storage cannot be asked."""
        ...

    def checkpoint(self, head: Head) -> None: ...

    def find(self, decision_id: str) -> dict[str, Any] | None:
        """The stored decision document with this id, from any chain, or None."""
        ...

    def close(self) -> None: ...


@dataclass(slots=True)
class ChainData:
    """One chain as stored: its lines in storage order, its signed head, any torn tail."""

    chain_id: str
    lines: Callable[[], Iterator[tuple[str, bytes]]]  # (location, line) for every whole line
    first_line: Callable[[], bytes | None]
    head: bytes | None = None
    torn: list[str] = field(default_factory=list)
    # Picklable names of the chain's parts in storage order (segment files, or the chain itself),
    # each readable with `AuditSource.read_unit`, so worker processes can verify parts in parallel.
    units: tuple[str, ...] = ()
    size: int = -1  # bytes stored, when cheap to know (decides whether parallel reading pays off)


class AuditSource(Protocol):
    """Read access to every chain, for verification and reports."""

    def describe(self) -> str: ...

    def keyring(self) -> KeyRing: ...

    def chains(self) -> list[ChainData]: ...

    def read_unit(self, unit: str) -> Iterator[tuple[str, bytes]]:
        """(where, line) for every whole line of one unit named in `ChainData.units`; `where` may
        name just the unit (the fast pass does not need line numbers; `ChainData.lines` gives them)."""
        ...
