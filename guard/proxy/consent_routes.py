"""The consent API: grant, read, withdraw and list consents; erase a subject.

    PUT    /guard/consent/{subject}/{purpose}   grant or renew (body: expires_at | expires_in_days,
                                                source, consent_text | proof)
    GET    /guard/consent/{subject}/{purpose}   one record, with its status now
    DELETE /guard/consent/{subject}/{purpose}   withdraw (the record is kept as proof)
    GET    /guard/consent/{subject}             every record of the subject
    DELETE /guard/subjects/{subject}            erase consents and vault entries (GDPR Art. 17)

The tenant is the authenticated key's tenant; with auth disabled, the `X-Guard-Tenant` header, else
`default`. Subjects are hashed with the guard's SubjectHasher before they reach the store; no
response or audit record holds the subject id. Every change is an audit record (see
`guard.consent.ledger`). Consents are read fresh on every exchange, so a withdrawal applies to
the very next request.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from guard.consent.ledger import ConsentLedger
from guard.consent.records import utc_now
from guard.errors import BadRequest, ConfigError, GuardError, NotFound
from guard.proxy.errors import error_response

__all__ = ["ConsentGrant", "router"]

router = APIRouter()

_PURPOSE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_MAX_SUBJECT = 256


class ConsentGrant(BaseModel):
    """The body of a grant; everything is optional."""

    model_config = ConfigDict(extra="forbid")

    expires_at: datetime | None = None
    expires_in_days: float | None = Field(default=None, gt=0, le=3650)
    source: str = Field(default="api", pattern=r"^[A-Za-z0-9_.:/@ -]{1,64}$",
                        description="Where the consent was given, e.g. signup-form")
    consent_text: str | None = Field(default=None, max_length=20_000,
                                     description="The text the person agreed to; only its SHA-256 is kept")
    proof: str | None = Field(default=None, max_length=200, description="A digest or reference you keep")

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    def expiry(self, now: datetime) -> datetime | None:
        if self.expires_at is not None:
            return self.expires_at
        if self.expires_in_days is not None:
            return now + timedelta(days=self.expires_in_days)
        return None


def _tenant(request: Request) -> str:
    tenant = getattr(request.state, "tenant", None)  # set by the auth middleware: a header cannot override it
    if isinstance(tenant, str):
        return tenant
    header = request.headers.get("x-guard-tenant", "").strip()
    if header and len(header) <= 128:
        return header
    return "default"


def _ledger(request: Request) -> ConsentLedger:
    guard = request.app.state.guard
    store = guard.services.get("consents")
    if store is None:
        raise ConfigError("No consent store is configured in this guard.",
                          hint="Build the guard with Guard.from_config, or pass services={'consents': ...}.")
    return ConsentLedger(store, guard.hasher, audit=guard.pipeline.recorder, vault=guard.services.get("vault"))


def _check(subject: str, purpose: str | None = None) -> None:
    if not subject or len(subject) > _MAX_SUBJECT:
        raise BadRequest(f"Subject ids are 1 to {_MAX_SUBJECT} characters.")
    if purpose is not None and not _PURPOSE.match(purpose):
        raise BadRequest("Purpose names are lower_snake_case words such as 'emotion_inference'.")


def _failure(error: GuardError) -> JSONResponse:
    return error_response(error, action="pass")


async def _grant_body(request: Request) -> ConsentGrant:
    raw = await request.body()
    if not raw.strip():
        return ConsentGrant()
    try:
        return ConsentGrant.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:5])
        raise BadRequest(f"Invalid consent body: {problems}.",
                         hint="Send JSON such as {\"expires_in_days\": 365, \"consent_text\": \"...\"}.") from None


@router.put("/guard/consent/{subject}/{purpose}")
async def grant_consent(subject: str, purpose: str, request: Request) -> Any:
    try:
        _check(subject, purpose)
        body = await _grant_body(request)
        record = await _ledger(request).grant(
            _tenant(request), subject, purpose, source=body.source, proof=body.proof,
            consent_text=body.consent_text, expires_at=body.expiry(utc_now()),
        )
    except GuardError as error:
        return _failure(error)
    return record.to_document()


@router.get("/guard/consent/{subject}/{purpose}")
async def get_consent(subject: str, purpose: str, request: Request) -> Any:
    try:
        _check(subject, purpose)
        record = await _ledger(request).get(_tenant(request), subject, purpose)
        if record is None:
            raise NotFound("No consent record for this subject and purpose.",
                           hint="Grant one with PUT /guard/consent/{subject}/{purpose}.")
    except GuardError as error:
        return _failure(error)
    return record.to_document()


@router.delete("/guard/consent/{subject}/{purpose}")
async def withdraw_consent(subject: str, purpose: str, request: Request) -> Any:
    try:
        _check(subject, purpose)
        record = await _ledger(request).withdraw(_tenant(request), subject, purpose)
        if record is None:
            raise NotFound("No consent record for this subject and purpose to withdraw.")
    except GuardError as error:
        return _failure(error)
    return record.to_document()


@router.get("/guard/consent/{subject}")
async def list_consents(subject: str, request: Request) -> Any:
    try:
        _check(subject)
        records = await _ledger(request).list(_tenant(request), subject)
    except GuardError as error:
        return _failure(error)
    now = utc_now()
    return {"consents": [record.to_document(now) for record in records]}


@router.delete("/guard/subjects/{subject}")
async def erase_subject(subject: str, request: Request) -> Any:
    try:
        _check(subject)
        erasure = await _ledger(request).erase(_tenant(request), subject)
    except GuardError as error:
        return _failure(error)
    return {"erased": {"consents": erasure.consents, "vault_entries": erasure.vault_entries}}
