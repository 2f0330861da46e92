"""An in-memory Recorder: keeps the newest decisions for lookup; for tests and in-process use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from guard.core.lru import BoundedLRU

if TYPE_CHECKING:
    from guard.core.decision import Decision

__all__ = ["MemoryRecorder"]


class MemoryRecorder:
    """Holds the last `capacity` decision documents. Not an audit trail: nothing is signed or kept."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        # The last recorded, not the last read: first in, first out.
        self._docs: BoundedLRU[str, dict[str, object]] = BoundedLRU(capacity, refresh_on_get=False)

    async def record(self, decision: Decision) -> None:
        self._docs.put(decision.id, decision.to_document())

    async def get(self, decision_id: str, *, tenant: str | None = None) -> dict[str, object] | None:
        doc = self._docs.get(decision_id)
        if doc is None:
            return None
        context = doc.get("context")
        if tenant is not None and isinstance(context, dict) and context.get("tenant") != tenant:
            return None
        return doc

    def __len__(self) -> int:
        return len(self._docs)

    async def aclose(self) -> None:
        return None
