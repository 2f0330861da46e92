"""Consent records: who agreed to what, until when, and the proof.

`open_store(settings)` returns the configured `ConsentStore`: SQLite (default, `<data_dir>/consent.db`
or `consent.url = sqlite:///path`) or PostgreSQL (`consent.url = postgresql://...`). Nothing is
opened until first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from guard.consent.records import ConsentRecord, policy_time, proof_digest, utc_now
from guard.consent.store import ConsentStore

if TYPE_CHECKING:
    from guard.core.config import GuardSettings

__all__ = ["ConsentRecord", "ConsentStore", "open_store", "policy_time", "proof_digest", "utc_now"]


def open_store(settings: GuardSettings) -> ConsentStore:
    """The configured consent store; raises ConfigError for an unsupported URL."""
    from guard.errors import ConfigError

    url = settings.consent.url
    if url is None:
        from guard.consent.sqlite import SQLiteConsentStore

        return SQLiteConsentStore(settings.data_path("consent.db"))
    if url.startswith(("postgresql://", "postgres://")):
        from guard.consent.postgres import PostgresConsentStore

        return PostgresConsentStore(url)
    if url.startswith("sqlite:///"):
        from guard.consent.sqlite import SQLiteConsentStore

        # sqlite:///relative.db, sqlite:////absolute/path.db, sqlite:///:memory:
        return SQLiteConsentStore(url.removeprefix("sqlite:///"))
    raise ConfigError(
        "consent.url must start with sqlite:/// or postgresql://.",
        hint="Use sqlite:///relative.db, sqlite:////absolute/path.db or postgresql://user@host/db.",
    )
