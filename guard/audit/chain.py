"""One writer's hash chain: numbers, links and signs records, and signs checkpoints of its head.

Pure bookkeeping, no I/O: a sink stores what this produces. One `ChainWriter` per process, so
concurrent workers never contend for the same `prev`; verification and reports merge chains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from guard.audit.canonical import canonical_bytes, sha256_hex
from guard.audit.keys import KeyRing, SigningKey
from guard.audit.record import GENESIS, SCHEMA_VERSION, encode_line
from guard.core.ids import new_id

__all__ = ["ChainWriter", "Head", "Sealed", "utc_now"]


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(slots=True, frozen=True)
class Sealed:
    """A record ready to store: its line, hash and body."""

    line: bytes
    hash: str
    rec: dict[str, Any]

    @property
    def seq(self) -> int:
        return int(self.rec["seq"])


@dataclass(slots=True, frozen=True)
class Head:
    """A signed statement "chain C had `seq`+1 records, the last with hash H" (a checkpoint)."""

    chain: str
    seq: int
    hash: str
    ts: str
    closed: bool
    kid: str
    sig: str

    def body(self) -> dict[str, Any]:
        return {"v": SCHEMA_VERSION, "chain": self.chain, "seq": self.seq, "hash": self.hash,
                "ts": self.ts, "closed": self.closed, "kid": self.kid}

    def to_bytes(self) -> bytes:
        return canonical_bytes({**self.body(), "sig": self.sig})

    def signature_valid(self, keys: KeyRing) -> bool:
        digest = bytes.fromhex(sha256_hex(canonical_bytes(self.body())))
        return keys.verify(self.kid, self.sig, digest)

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Head:
        """Build from a parsed head document; raise ValueError if fields are missing or mistyped."""
        try:
            head = cls(chain=str(doc["chain"]), seq=int(doc["seq"]), hash=str(doc["hash"]),
                       ts=str(doc["ts"]), closed=bool(doc["closed"]), kid=str(doc["kid"]),
                       sig=str(doc["sig"]))
        except (KeyError, TypeError, ValueError):
            raise ValueError("not a chain head document") from None
        return head


class ChainWriter:
    """Assigns `seq` and `prev`, hashes and signs. Not thread-safe: the recorder holds a lock."""

    def __init__(self, key: SigningKey, *, chain_id: str | None = None) -> None:
        self.key = key
        self.chain_id = chain_id or new_id()
        self.seq = -1
        self.last_hash = GENESIS

    def seal(self, kind: str, fields: dict[str, Any], *, ts: str | None = None) -> Sealed:
        rec = {"v": SCHEMA_VERSION, "chain": self.chain_id, "seq": self.seq + 1,
               "prev": self.last_hash, "ts": ts or utc_now(), "kind": kind, **fields}
        line, digest = encode_line(rec, kid=self.key.kid, sign=self.key.sign)
        self.seq += 1
        self.last_hash = digest
        return Sealed(line=line, hash=digest, rec=rec)

    def head(self, *, closed: bool = False) -> Head:
        unsigned = Head(chain=self.chain_id, seq=self.seq, hash=self.last_hash, ts=utc_now(),
                        closed=closed, kid=self.key.kid, sig="")
        digest = bytes.fromhex(sha256_hex(canonical_bytes(unsigned.body())))
        return Head(chain=unsigned.chain, seq=unsigned.seq, hash=unsigned.hash, ts=unsigned.ts,
                    closed=closed, kid=unsigned.kid, sig=self.key.sign(digest))
