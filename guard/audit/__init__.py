"""The audit trail: signed, hash-chained records of every decision, their verification, and reports.

`open_recorder(settings)` is the factory `guard._build` calls. Everything heavy is imported
inside functions so `import guard.audit` stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from guard.audit.keys import SigningKey
    from guard.audit.recorder import AuditRecorder
    from guard.audit.sink import AuditSink, AuditSource
    from guard.core.config import GuardSettings

__all__ = ["audit_root", "open_recorder", "open_signing_key_for", "open_sink", "open_source"]

_PG_SCHEMES = ("postgresql://", "postgres://")


def audit_root(settings: GuardSettings) -> Path:
    return Path(settings.audit.path).expanduser() if settings.audit.path else settings.data_path("audit")


def _check_url(url: str) -> None:
    from guard.errors import ConfigError

    if not url.startswith(_PG_SCHEMES):
        raise ConfigError("audit.url must be a postgresql:// URL.",
                          hint="Use audit.path for JSONL files, or give a postgresql://user@host/db URL.")


def open_signing_key_for(settings: GuardSettings) -> SigningKey:
    """The configured key (must exist and be valid), or the default one, created on first use."""
    from guard.audit.keys import open_signing_key

    configured = settings.audit.signing_key_file
    if configured:
        return open_signing_key(Path(configured).expanduser(), create=False)
    return open_signing_key(settings.data_path("audit-signing.pem"), create=True)


def open_sink(settings: GuardSettings) -> AuditSink:
    audit = settings.audit
    if audit.url:
        _check_url(audit.url)
        from guard.audit.postgres import PostgresSink

        return PostgresSink(audit.url, fsync=audit.fsync)
    from guard.audit.jsonl import JsonlSink

    return JsonlSink(audit_root(settings), fsync=audit.fsync, rotate_bytes=audit.rotate_bytes,
                     rotate_daily=audit.rotate_daily)


def open_source(settings: GuardSettings, location: str | None = None) -> AuditSource:
    """Read access for verify/report: `location` (a directory or postgresql:// URL) or the configured store."""
    trusted = Path(settings.audit.trusted_keys_dir).expanduser() if settings.audit.trusted_keys_dir else None
    target = location or settings.audit.url
    if target and target.startswith(_PG_SCHEMES):
        from guard.audit.postgres import PostgresSource

        return PostgresSource(target, trusted_keys=trusted)
    if target and location is None:
        _check_url(target)
    from guard.audit.jsonl import JsonlSource

    root = Path(location).expanduser() if location else audit_root(settings)
    return JsonlSource(root, trusted_keys=trusted)


def open_recorder(settings: GuardSettings) -> AuditRecorder:
    """The record stage for these settings: JSONL files by default, PostgreSQL for a postgresql:// url."""
    from guard.audit.recorder import AuditRecorder

    key = open_signing_key_for(settings)
    audit = settings.audit
    return AuditRecorder(open_sink(settings), key, checkpoint_every=audit.checkpoint_every,
                         checkpoint_seconds=audit.checkpoint_seconds, recent=audit.recent)
