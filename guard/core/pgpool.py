"""A psycopg connection pool opened on first use, with the owner's schema applied once.

Stores are built outside any event loop (at start-up, from settings), so they cannot open their
pool in the constructor; the first exchange opens it. A pool that fails to open or to apply the
schema is closed again, and the next call retries from scratch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

__all__ = ["LazyPool"]


class LazyPool:
    def __init__(self, url: str, *, schema: Sequence[str], min_size: int = 1, max_size: int = 10,
                 timeout_s: float = 5.0) -> None:
        self.url = url
        self._schema = tuple(schema)
        self._min_size, self._max_size, self._timeout_s = min_size, max_size, timeout_s
        self._pool: AsyncConnectionPool | None = None
        self._opening: asyncio.Lock | None = None

    async def get(self) -> AsyncConnectionPool:
        if self._pool is not None:
            return self._pool
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._pool is None:
                from psycopg_pool import AsyncConnectionPool

                pool = AsyncConnectionPool(self.url, min_size=self._min_size, max_size=self._max_size,
                                           timeout=self._timeout_s, open=False)
                try:
                    await pool.open(wait=True, timeout=self._timeout_s)
                    async with pool.connection() as conn:
                        for statement in self._schema:
                            await conn.execute(statement)
                except BaseException:
                    await pool.close()
                    raise
                self._pool = pool
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
