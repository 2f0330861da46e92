"""Who an exchange is about and where it happens: the facts policy decides on."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["AgeBand", "Context", "ModelKind", "Setting"]

_REGION = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_PURPOSE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class Setting(StrEnum):
    COMPANION = "companion"
    HEALTHCARE = "healthcare"
    CUSTOMER_SERVICE = "customer_service"
    EDUCATION = "education"
    WORKPLACE = "workplace"
    GENERAL = "general"


class AgeBand(StrEnum):
    MINOR = "minor"
    ADULT = "adult"
    UNKNOWN = "unknown"


class ModelKind(StrEnum):
    GENERATIVE = "generative"
    EMOTION = "emotion"


class Context(BaseModel):
    """The circumstances of one exchange.

    `subject` is the app's pseudonymous id for the person. It is only ever stored as a keyed hash
    (see `guard.core.subjects`), never as given.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant: str = Field(default="default", min_length=1, max_length=128)
    subject: str | None = Field(default=None, min_length=1, max_length=256)
    conversation: str | None = Field(default=None, min_length=1, max_length=256)
    setting: Setting = Setting.GENERAL
    region: str | None = Field(default=None, description="ISO 3166 code, e.g. DE or US-CA")
    locale: str = "en"
    age_band: AgeBand = AgeBand.UNKNOWN
    purposes: tuple[str, ...] = ("generation",)
    model_kind: ModelKind = ModelKind.GENERATIVE

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().upper()
        if not _REGION.match(value):
            raise ValueError("region must be an ISO 3166 code such as 'DE' or 'US-CA'")
        return value

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        value = value.strip()
        if not _LOCALE.match(value):
            raise ValueError("locale must be a BCP 47 tag such as 'en', 'de-DE' or 'ja'")
        return value

    @field_validator("purposes", mode="before")
    @classmethod
    def _purposes(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in (p.strip() for p in value.split(",")) if part]
        if isinstance(value, list | tuple | set | frozenset):
            items = sorted({str(v).strip().lower() for v in value})
            for item in items:
                if not _PURPOSE.match(item):
                    raise ValueError(f"purpose names are lower_snake_case words, got {item[:40]!r}")
            return tuple(items) or ("generation",)
        return value

    @property
    def country(self) -> str | None:
        """The ISO 3166-1 part of the region (`US` for `US-CA`)."""
        return self.region.split("-", 1)[0] if self.region else None

    @property
    def language(self) -> str:
        """The primary language subtag of the locale (`de` for `de-AT`)."""
        return self.locale.split("-", 1)[0].lower()

    def policy_view(self) -> dict[str, object]:
        """The context as policies and decision documents see it: no subject, no conversation id."""
        return {
            "tenant": self.tenant,
            "setting": self.setting.value,
            "region": self.region,
            "country": self.country,
            "locale": self.locale,
            "language": self.language,
            "age_band": self.age_band.value,
            "purposes": list(self.purposes),
            "model_kind": self.model_kind.value,
        }
