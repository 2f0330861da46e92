"""Consent records and the one timestamp form policies compare."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

__all__ = ["ConsentRecord", "policy_time", "proof_digest", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


def policy_time(moment: datetime | None) -> str | None:
    """UTC, fixed width, microseconds: strings in this form sort in time order (Rego compares them)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def proof_digest(text: str) -> str:
    """What is kept as proof of the consent text the person saw: its SHA-256, never the text."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """The current consent of one subject (by keyed hash) for one purpose, in one tenant."""

    tenant: str
    subject_hash: str
    purpose: str
    granted_at: datetime
    expires_at: datetime | None = None
    withdrawn_at: datetime | None = None
    source: str = "api"
    proof: str | None = None

    def status(self, now: datetime) -> str:
        """`valid`, `withdrawn`, `expired` or `pending` (granted in the future) at `now`."""
        if self.withdrawn_at is not None and self.withdrawn_at <= now:
            return "withdrawn"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        if self.granted_at > now:
            return "pending"
        return "valid"

    def withdrawn(self, at: datetime) -> ConsentRecord:
        return replace(self, withdrawn_at=at)

    def to_policy(self) -> dict[str, Any]:
        """The record as the admit policy sees it (DESIGN.md input contract)."""
        return {
            "purpose": self.purpose,
            "granted_at": policy_time(self.granted_at),
            "expires_at": policy_time(self.expires_at),
            "withdrawn_at": policy_time(self.withdrawn_at),
            "source": self.source,
        }

    def to_document(self, now: datetime | None = None) -> dict[str, Any]:
        """The record as the consent API returns it: no subject hash, with its status now."""
        doc = self.to_policy()
        doc["proof"] = self.proof
        doc["status"] = self.status(now or utc_now())
        return doc
