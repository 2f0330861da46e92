"""The production consent store: PostgreSQL through a psycopg 3 async pool.

The pool opens on first use (inside the running event loop), so the store can be built at import
or configuration time. Tables are created if missing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from guard.consent.records import ConsentRecord, utc_now
from guard.core.pgpool import LazyPool
from guard.errors import StateError

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

__all__ = ["PostgresConsentStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS guard_consents (
    tenant TEXT NOT NULL,
    subject_hash TEXT NOT NULL,
    purpose TEXT NOT NULL,
    granted_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    withdrawn_at TIMESTAMPTZ,
    source TEXT NOT NULL,
    proof TEXT,
    PRIMARY KEY (tenant, subject_hash, purpose)
);
CREATE TABLE IF NOT EXISTS guard_disclosures (
    tenant TEXT NOT NULL,
    conversation_hash TEXT NOT NULL,
    shown_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, conversation_hash)
);
"""

_COLUMNS = "tenant, subject_hash, purpose, granted_at, expires_at, withdrawn_at, source, proof"


def _record(row: tuple[Any, ...]) -> ConsentRecord:
    return ConsentRecord(tenant=row[0], subject_hash=row[1], purpose=row[2], granted_at=row[3],
                         expires_at=row[4], withdrawn_at=row[5], source=row[6], proof=row[7])


class PostgresConsentStore:
    """Consent records in PostgreSQL (`postgresql://...`)."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10, timeout_s: float = 5.0) -> None:
        self.url = url
        self._pool = LazyPool(url, schema=[_SCHEMA], min_size=min_size, max_size=max_size, timeout_s=timeout_s)

    async def _ready(self) -> AsyncConnectionPool:
        return await self._pool.get()

    async def _fetch(self, sql: str, params: tuple[Any, ...], *, rows: bool = True) -> list[tuple[Any, ...]]:
        import psycopg
        import psycopg_pool

        try:
            pool = await self._ready()
            async with pool.connection() as conn:
                cursor = await conn.execute(sql, params)
                if not rows:
                    return [(cursor.rowcount,)]
                return list(await cursor.fetchall()) if cursor.description else []
        except (psycopg.Error, psycopg_pool.PoolTimeout, OSError) as exc:
            raise StateError(
                f"The consent store ({type(exc).__name__}) could not be used, so the exchange was refused.",
                hint="Check that PostgreSQL at consent.url is reachable and the user may create tables.",
            ) from None

    async def grant(
        self, tenant: str, subject_hash: str, purpose: str, *,
        source: str = "api", proof: str | None = None,
        expires_at: datetime | None = None, granted_at: datetime | None = None,
    ) -> ConsentRecord:
        record = ConsentRecord(tenant=tenant, subject_hash=subject_hash, purpose=purpose,
                               granted_at=granted_at or utc_now(), expires_at=expires_at,
                               source=source, proof=proof)
        await self._fetch(
            f"INSERT INTO guard_consents ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, NULL, %s, %s) "  # noqa: S608
            "ON CONFLICT (tenant, subject_hash, purpose) DO UPDATE SET granted_at = EXCLUDED.granted_at, "
            "expires_at = EXCLUDED.expires_at, withdrawn_at = NULL, source = EXCLUDED.source, "
            "proof = EXCLUDED.proof",
            (tenant, subject_hash, purpose, record.granted_at, expires_at, source, proof), rows=False,
        )
        return record

    async def withdraw(
        self, tenant: str, subject_hash: str, purpose: str, *, at: datetime | None = None
    ) -> ConsentRecord | None:
        rows = await self._fetch(
            f"UPDATE guard_consents SET withdrawn_at = %s WHERE tenant = %s AND subject_hash = %s "  # noqa: S608
            f"AND purpose = %s RETURNING {_COLUMNS}",
            (at or utc_now(), tenant, subject_hash, purpose),
        )
        return _record(rows[0]) if rows else None

    async def get(self, tenant: str, subject_hash: str, purpose: str) -> ConsentRecord | None:
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM guard_consents WHERE tenant = %s AND subject_hash = %s "  # noqa: S608
            "AND purpose = %s",
            (tenant, subject_hash, purpose),
        )
        return _record(rows[0]) if rows else None

    async def list(self, tenant: str, subject_hash: str) -> list[ConsentRecord]:
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM guard_consents WHERE tenant = %s AND subject_hash = %s "  # noqa: S608
            "ORDER BY purpose",
            (tenant, subject_hash),
        )
        return [_record(row) for row in rows]

    async def erase(self, tenant: str, subject_hash: str) -> int:
        rows = await self._fetch("DELETE FROM guard_consents WHERE tenant = %s AND subject_hash = %s",
                                 (tenant, subject_hash), rows=False)
        return int(rows[0][0])

    async def last_disclosed(self, tenant: str, conversation_hash: str) -> datetime | None:
        rows = await self._fetch(
            "SELECT shown_at FROM guard_disclosures WHERE tenant = %s AND conversation_hash = %s",
            (tenant, conversation_hash),
        )
        value = rows[0][0] if rows else None
        return value if isinstance(value, datetime) else None

    async def mark_disclosed(self, tenant: str, conversation_hash: str, at: datetime) -> None:
        await self._fetch(
            "INSERT INTO guard_disclosures (tenant, conversation_hash, shown_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (tenant, conversation_hash) DO UPDATE SET shown_at = EXCLUDED.shown_at",
            (tenant, conversation_hash, at), rows=False,
        )

    async def aclose(self) -> None:
        await self._pool.close()
