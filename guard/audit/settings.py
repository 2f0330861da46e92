"""Settings of the record stage (`audit.*`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["AuditSettings"]


class AuditSettings(BaseModel):
    path: str | None = Field(default=None, description="JSONL directory; default <data_dir>/audit")
    url: str | None = Field(default=None, description="postgresql://... to write audit records to PostgreSQL")
    signing_key_file: str | None = Field(
        default=None, description="Ed25519 private key (PEM); default <data_dir>/audit-signing.pem"
    )
    fsync: bool = Field(default=False, description="fsync after every record (slower, survives power loss)")
    rotate_bytes: int = Field(default=64 * 1024 * 1024, gt=0, description="Start a new segment past this size")
    rotate_daily: bool = Field(default=True, description="Start a new segment when the UTC day changes")
    checkpoint_every: int = Field(
        default=100, gt=0, description="Write a signed checkpoint of the chain head every N records"
    )
    checkpoint_seconds: float = Field(
        default=1.0, gt=0, description="... and at least this often while records arrive"
    )
    recent: int = Field(default=10_000, ge=0, description="Recent decisions kept in memory for fast lookup")
    trusted_keys_dir: str | None = Field(
        default=None,
        description="Directory of trusted public keys (*.pub) for verification; default: the keys the "
        "writers published next to the log",
    )
