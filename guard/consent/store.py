"""The `ConsentStore` protocol: consent records by tenant and subject hash, plus disclosure times.

Stores never see a raw subject id: callers pass `SubjectHasher(tenant, subject)`. The same stores
keep when the AI disclosure was last shown in a conversation (keyed by a conversation hash), so the
judge can repeat it every few hours across workers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from guard.consent.records import ConsentRecord

__all__ = ["ConsentStore"]


@runtime_checkable
class ConsentStore(Protocol):
    async def grant(
        self, tenant: str, subject_hash: str, purpose: str, *,
        source: str = "api", proof: str | None = None,
        expires_at: datetime | None = None, granted_at: datetime | None = None,
    ) -> ConsentRecord:
        """Record (or renew) a consent; a renewal clears an earlier withdrawal."""
        ...

    async def withdraw(
        self, tenant: str, subject_hash: str, purpose: str, *, at: datetime | None = None
    ) -> ConsentRecord | None:
        """Mark a consent withdrawn (kept for proof); None if there was none."""
        ...

    async def get(self, tenant: str, subject_hash: str, purpose: str) -> ConsentRecord | None: ...

    async def list(self, tenant: str, subject_hash: str) -> list[ConsentRecord]:
        """Every record of the subject, sorted by purpose."""
        ...

    async def erase(self, tenant: str, subject_hash: str) -> int:
        """Delete every record of the subject (GDPR Art. 17); the number deleted."""
        ...

    async def last_disclosed(self, tenant: str, conversation_hash: str) -> datetime | None: ...

    async def mark_disclosed(self, tenant: str, conversation_hash: str, at: datetime) -> None: ...

    async def aclose(self) -> None: ...
