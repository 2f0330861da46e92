"""PostgreSQL vault: the production backend, shared by every worker and pod.

Same contract and sealing as the SQLite vault: each value and token is sealed with AES-256-GCM
under the vault key (bound to its conversation key), lookups go through keyed digests, so the
table holds no readable personal data. A pseudonym made by one worker is restored by any other
that has the same `pii.key_file`. The psycopg 3 async pool opens on first use; the table is
created if missing (or beforehand by `guard db upgrade`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from guard.core.pgpool import LazyPool
from guard.errors import StateError
from guard.pii.sealing import RowSealer
from guard.pii.vault import VaultEntry

if TYPE_CHECKING:
    from psycopg import AsyncConnection
    from psycopg_pool import AsyncConnectionPool

    from guard.pii.keys import PIIKeys

__all__ = ["SCHEMA_SQL", "PostgresVault"]

SCHEMA_SQL = (
    """CREATE TABLE IF NOT EXISTS guard_pii_vault (
        conversation text NOT NULL,
        value_digest text NOT NULL,
        token_digest text NOT NULL,
        tenant text NOT NULL,
        subject_hash text,
        sealed bytea NOT NULL,
        expires_at double precision NOT NULL,
        pos bigint GENERATED ALWAYS AS IDENTITY,
        PRIMARY KEY (conversation, value_digest))""",
    "CREATE UNIQUE INDEX IF NOT EXISTS guard_pii_vault_token ON guard_pii_vault (conversation, token_digest)",
    "CREATE INDEX IF NOT EXISTS guard_pii_vault_subject ON guard_pii_vault (tenant, subject_hash)",
    "CREATE INDEX IF NOT EXISTS guard_pii_vault_expiry ON guard_pii_vault (expires_at)",
)


class PostgresVault:
    def __init__(self, url: str, *, keys: PIIKeys, ttl_s: float, clock: Callable[[], float] = time.time,
                 min_size: int = 1, max_size: int = 10, timeout_s: float = 5.0) -> None:
        self.url = url
        self._keys = keys
        self._ttl = ttl_s
        self._clock = clock
        self._pool = LazyPool(url, schema=SCHEMA_SQL, min_size=min_size, max_size=max_size, timeout_s=timeout_s)
        self._sealer = RowSealer(
            keys.vault,
            unreadable="A PII vault entry cannot be decrypted: the vault key differs between workers or changed.",
            unreadable_hint="Give every worker and pod the same pii.key_file.",
        )

    async def _ready(self) -> AsyncConnectionPool:
        return await self._pool.get()

    async def _run(self, work: Callable[[AsyncConnection[Any]], Any]) -> Any:
        import psycopg
        import psycopg_pool

        try:
            pool = await self._ready()
            async with pool.connection() as conn:
                return await work(conn)
        except (psycopg.Error, psycopg_pool.PoolTimeout, OSError) as exc:
            raise StateError(
                f"The PII vault database failed ({type(exc).__name__}), so the exchange was refused.",
                hint="Check pii.vault_url and that PostgreSQL is reachable.",
            ) from None

    async def load(self, conversation: str) -> list[VaultEntry]:
        now = self._clock()

        async def work(conn: AsyncConnection[Any]) -> list[tuple[Any, ...]]:
            cursor = await conn.execute(
                "SELECT sealed, tenant, subject_hash, expires_at FROM guard_pii_vault"
                " WHERE conversation = %s AND expires_at > %s ORDER BY pos", (conversation, now))
            return list(await cursor.fetchall())

        rows = await self._run(work)
        return [self._sealer.unseal(conversation, bytes(sealed), tenant, subject, expires)
                for sealed, tenant, subject, expires in rows]

    async def add(self, conversation: str, entries: Sequence[VaultEntry]) -> list[VaultEntry]:
        if not entries:
            return []
        expires = self._clock() + self._ttl
        prepared = [(entry, (conversation, self._keys.mac("value", entry.entity, entry.operator, entry.value),
                             self._keys.mac("token", entry.token), entry.tenant, entry.subject_hash,
                             self._sealer.seal(conversation, entry), expires)) for entry in entries]

        async def work(conn: AsyncConnection[Any]) -> list[VaultEntry]:
            refused: list[VaultEntry] = []
            async with conn.transaction():
                # An expired row must not block a new one with the same value or token.
                await conn.execute("DELETE FROM guard_pii_vault WHERE conversation = %s AND expires_at <= %s",
                                   (conversation, expires - self._ttl))
                for entry, row in prepared:
                    cursor = await conn.execute(
                        "INSERT INTO guard_pii_vault (conversation, value_digest, token_digest, tenant,"
                        " subject_hash, sealed, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                        " ON CONFLICT DO NOTHING", row)
                    if cursor.rowcount == 0:
                        refused.append(entry)
            return refused

        result: list[VaultEntry] = await self._run(work)
        return result

    async def erase(self, tenant: str, subject_hash: str) -> int:
        async def work(conn: AsyncConnection[Any]) -> int:
            cursor = await conn.execute("DELETE FROM guard_pii_vault WHERE tenant = %s AND subject_hash = %s",
                                        (tenant, subject_hash))
            return int(cursor.rowcount)

        erased: int = await self._run(work)
        self._sealer.forget()  # forget what this process opened; other subjects' rows are opened again
        return erased

    async def purge_expired(self) -> int:
        now = self._clock()

        async def work(conn: AsyncConnection[Any]) -> int:
            cursor = await conn.execute("DELETE FROM guard_pii_vault WHERE expires_at <= %s", (now,))
            return int(cursor.rowcount)

        purged: int = await self._run(work)
        return purged

    async def aclose(self) -> None:
        self._sealer.forget()
        await self._pool.close()
