"""Consent changes with their audit records: what the HTTP API and the CLI both use.

Every change (grant, withdrawal, erasure) is applied to the store and then written to the audit
trail: through the recorder's `append_event(kind, payload)` when it has one (the signed audit
recorder does), else as a `Decision` whose reasons say what happened. Payloads carry the subject's
keyed hash, never the subject id. If the audit write fails the change stays applied and the caller
gets a StateError, so it can retry; the store and the trail are not one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from guard.consent.records import ConsentRecord, policy_time, proof_digest, utc_now
from guard.consent.store import ConsentStore
from guard.core.context import Context
from guard.core.decision import Decision, Outcome, Reason
from guard.core.subjects import SubjectHasher
from guard.errors import GuardError, StateError

__all__ = ["ConsentLedger", "Erasure"]


@dataclass(frozen=True, slots=True)
class Erasure:
    consents: int
    vault_entries: int | None  # None: no vault configured


class ConsentLedger:
    def __init__(self, store: ConsentStore, hasher: SubjectHasher, *, audit: Any = None, vault: Any = None) -> None:
        self.store = store
        self.hasher = hasher
        self.audit = audit
        self.vault = vault

    def subject_hash(self, tenant: str, subject: str) -> str:
        return self.hasher(tenant, subject)

    async def grant(
        self, tenant: str, subject: str, purpose: str, *, source: str = "api", proof: str | None = None,
        consent_text: str | None = None, expires_at: datetime | None = None,
    ) -> ConsentRecord:
        """Record a consent; `consent_text` (the words the person agreed to) is kept only as a digest."""
        if consent_text is not None:
            proof = proof_digest(consent_text)
        record = await self.store.grant(tenant, self.subject_hash(tenant, subject), purpose, source=source,
                                        proof=proof, expires_at=expires_at)
        await self._audit("consent.granted", record, f"Consent for '{purpose}' was granted ({source}).")
        return record

    async def withdraw(self, tenant: str, subject: str, purpose: str, *, source: str = "api") -> ConsentRecord | None:
        record = await self.store.withdraw(tenant, self.subject_hash(tenant, subject), purpose)
        if record is not None:
            await self._audit("consent.withdrawn", record, f"Consent for '{purpose}' was withdrawn ({source}).")
        return record

    async def get(self, tenant: str, subject: str, purpose: str) -> ConsentRecord | None:
        return await self.store.get(tenant, self.subject_hash(tenant, subject), purpose)

    async def list(self, tenant: str, subject: str) -> list[ConsentRecord]:
        return await self.store.list(tenant, self.subject_hash(tenant, subject))

    async def erase(self, tenant: str, subject: str) -> Erasure:
        """Delete the subject's consents and vault entries; leave a tombstone in the audit trail."""
        subject_hash = self.subject_hash(tenant, subject)
        consents = await self.store.erase(tenant, subject_hash)
        vault_entries = await self.vault.erase(tenant, subject_hash) if self.vault is not None else None
        payload = {"tenant": tenant, "subject_hash": subject_hash, "consents": consents,
                   "vault_entries": vault_entries, "at": policy_time(utc_now())}
        message = f"The subject's data was erased: {consents} consent record(s), " + (
            f"{vault_entries} vault entr{'y' if vault_entries == 1 else 'ies'}." if vault_entries is not None
            else "no vault configured.")
        await self._write("subject.erased", tenant, payload, message, purposes=())
        return Erasure(consents=consents, vault_entries=vault_entries)

    async def _audit(self, kind: str, record: ConsentRecord, message: str) -> None:
        payload = {"tenant": record.tenant, "subject_hash": record.subject_hash, **record.to_policy(),
                   "proof": record.proof}
        await self._write(kind, record.tenant, payload, message, purposes=(record.purpose,))

    async def _write(
        self, kind: str, tenant: str, payload: dict[str, Any], message: str, *, purposes: tuple[str, ...]
    ) -> None:
        if self.audit is None:
            return
        try:
            await self._append(kind, tenant, payload, message, purposes)
        except GuardError:
            raise
        except Exception as exc:
            raise StateError(
                f"The consent change was applied but its audit record could not be written ({type(exc).__name__}).",
                hint="Check the audit trail's storage, then repeat the request (it is idempotent).",
            ) from None

    async def _append(
        self, kind: str, tenant: str, payload: dict[str, Any], message: str, purposes: tuple[str, ...]
    ) -> None:
        append_event = getattr(self.audit, "append_event", None)
        if append_event is not None:
            await append_event(kind, payload)
            return
        decision = Decision(context=Context(tenant=tenant, purposes=purposes or ("generation",)), api="guard.consent")
        decision.add_reason(Reason(id=kind, message=message))
        result = decision.stage("consent")
        result.outcome = Outcome.CHANGED
        result.rule_ids.append(kind)
        result.messages.append(f"subject_hash={payload['subject_hash']}")
        await self.audit.record(decision)
