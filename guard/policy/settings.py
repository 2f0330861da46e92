"""Settings of the admit and judge stages (`policy.*`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["PolicySettings"]


class PolicySettings(BaseModel):
    dir: str | None = Field(default=None, description="Policy pack directory; None = the shipped pack")
    engine: Literal["embedded", "opa"] = "embedded"
    opa_url: str = "http://127.0.0.1:8181"
    opa_timeout_s: float = Field(default=2.0, gt=0)
    opa_push: bool = Field(default=True, description="Upload the pack to OPA at start (else use OPA's bundles)")
    reload: bool = Field(default=True, description="Recompile when a policy or data file changes")
