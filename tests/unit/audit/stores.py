"""Write a chain with the real recorder, then read and rewrite its stored lines (to tamper with them)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

from guard.audit import open_recorder, open_source
from guard.audit.jsonl import SEGMENT_GLOB
from guard.audit.recorder import AuditRecorder
from guard.audit.verify import VerifyResult, verify
from guard.core.config import GuardSettings

from .conftest import make_decision


class Store(Protocol):
    settings: GuardSettings

    def lines(self, chain: str) -> list[bytes]: ...

    def rewrite(self, chain: str, lines: list[bytes]) -> None: ...


def write_chain(settings: GuardSettings, count: int, *, close: bool = True) -> AuditRecorder:
    """A recorder that has recorded `count` decisions (chain: start + count [+ end])."""

    async def run() -> AuditRecorder:
        recorder = open_recorder(settings)
        for index in range(count):
            await recorder.record(make_decision(index))
        if close:
            await recorder.aclose()
        return recorder

    return asyncio.run(run())


def check(settings: GuardSettings, **kwargs: object) -> VerifyResult:
    return verify(open_source(settings), **kwargs)  # type: ignore[arg-type]


class JsonlStore:
    def __init__(self, settings: GuardSettings) -> None:
        self.settings = settings

    def _segments(self, chain: str) -> list[Path]:
        return sorted((Path(self.settings.data_dir) / "audit" / "chains" / chain).glob(SEGMENT_GLOB))

    def lines(self, chain: str) -> list[bytes]:
        return [line for path in self._segments(chain) for line in path.read_bytes().splitlines(keepends=True)]

    def rewrite(self, chain: str, lines: list[bytes]) -> None:
        segments = self._segments(chain)
        segments[0].write_bytes(b"".join(lines))
        for extra in segments[1:]:
            extra.unlink()


class PostgresStore:
    def __init__(self, settings: GuardSettings) -> None:
        self.settings = settings
        self.url = settings.audit.url or ""

    def lines(self, chain: str) -> list[bytes]:
        import psycopg

        with psycopg.connect(self.url) as conn:
            rows = conn.execute("SELECT line FROM guard_audit_records WHERE chain_id = %s ORDER BY pos",
                                (chain,)).fetchall()
        return [row[0].encode() + b"\n" for row in rows]

    def rewrite(self, chain: str, lines: list[bytes]) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("DELETE FROM guard_audit_records WHERE chain_id = %s", (chain,))
            for line in lines:
                conn.execute(
                    "INSERT INTO guard_audit_records (chain_id, seq, ts, kind, line) VALUES (%s, 0, now(), 'x', %s)",
                    (chain, line.decode().rstrip("\n")),
                )
