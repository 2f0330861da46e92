"""Settings of the record stage (`audit.*`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["AuditSettings"]


class AuditSettings(BaseModel):
    path: str | None = Field(default=None, description="JSONL directory; default <data_dir>/audit")
    url: str | None = Field(default=None, description="postgresql://... to write audit records to PostgreSQL")
    signing_key_file: str | None = Field(default=None, description="Ed25519 private key (PEM); default <data_dir>/audit-signing.pem")
    fsync: bool = Field(default=False, description="fsync after every record (slower, survives power loss)")
    rotate_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
