"""Settings of the consent store (`consent.*`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["ConsentSettings"]


class ConsentSettings(BaseModel):
    url: str | None = Field(
        default=None, description="sqlite:///path or postgresql://...; default <data_dir>/consent.db"
    )
