"""The record stage: seals each finished decision into the writer's chain and serves it back.

Appending is a short critical section (number, hash, sign, one write) under a lock, so records of
concurrent exchanges land in one well-ordered chain. The newest decision documents stay in memory
(the first recorded leave first) so `GET /guard/decisions/{id}` is a dictionary lookup; older ones
are found in the store.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
import time
from typing import TYPE_CHECKING, Any

from guard.audit.canonical import canonical_bytes
from guard.audit.chain import ChainWriter, Sealed
from guard.audit.keys import SigningKey, public_pem
from guard.audit.record import parse_line
from guard.core.lru import BoundedLRU
from guard.errors import BadRequest, GuardError

if TYPE_CHECKING:
    from guard.audit.sink import AuditSink
    from guard.core.decision import Decision

__all__ = ["AuditRecorder", "Receipt"]

_EVENT_KIND = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
Receipt = dict[str, Any]


def _scrubbed(doc: dict[str, Any]) -> dict[str, Any]:
    """Defence in depth: mask personal-data shapes in finding evidence, and any value the redact
    stage noted for this exchange (guard.logging.note_personal_values) anywhere in the document."""
    from guard.logging import current_personal_values, scrub_text, scrub_values

    known = current_personal_values()
    for finding in doc.get("findings") or ():
        if finding.get("evidence"):
            finding["evidence"] = scrub_text(str(finding["evidence"]), known)
    if known and _may_hold_any(doc, known):
        scrubbed: dict[str, Any] = scrub_values(doc, known)
        return scrubbed
    return doc


# Characters JSON writes escaped: a value holding one may not appear verbatim in the serialised text.
_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')


def _may_hold_any(doc: dict[str, Any], known: frozenset[str]) -> bool:
    """Whether any known value may occur in the document. Normally none does, and one serialisation
    with a substring test per value is far cheaper than walking every string (~1 ms per exchange)."""
    if any(_JSON_ESCAPED.search(value) for value in known):
        return True
    text = json.dumps(doc, ensure_ascii=False, default=str)
    return any(value in text for value in known)


class AuditRecorder:
    """A `Recorder` (guard.core.stage) that writes a signed, hash-chained audit trail."""

    def __init__(self, sink: AuditSink, key: SigningKey, *, checkpoint_every: int = 100,
                 checkpoint_seconds: float = 1.0, recent: int = 10_000) -> None:
        self.sink = sink
        self.chain = ChainWriter(key)
        self.checkpoint_every = checkpoint_every
        self.checkpoint_seconds = checkpoint_seconds
        self.recent_capacity = recent
        # Recent decisions as their stored lines: bytes cost a third of the memory of the parsed
        # documents and nothing to the garbage collector; `get` parses the one it returns. First
        # in, first out: reading a decision does not keep it longer.
        self._recent: BoundedLRU[str, bytes] = BoundedLRU(recent, refresh_on_get=False)
        self._lock = threading.Lock()
        self._checkpointed_seq = -1
        self._checkpointed_at = time.monotonic()
        self._closed = False
        self._uncertain: Sealed | None = None
        self._start()

    @property
    def chain_id(self) -> str:
        return self.chain.chain_id

    def _start(self) -> None:
        key = self.chain.key
        witness = self.sink.start(self.chain.chain_id, kid=key.kid, public_pem=public_pem(key.public))
        start = {"pid": os.getpid(), "kid": key.kid, "witness": witness}
        with self._lock:
            self.sink.write(self.chain.seal("chain.start", {"start": start}))
            self._checkpoint()

    def _checkpoint(self, *, closed: bool = False) -> None:
        self.sink.checkpoint(self.chain.head(closed=closed))
        self._checkpointed_seq = self.chain.seq
        self._checkpointed_at = time.monotonic()

    def _settle_uncertain(self) -> bool:
        """After a failed write, ask the sink whether that record is stored after all; keep it if so.

        Returns True if it was kept. Raises StateError (and asks again on the next append) while
        the sink cannot tell, so no record is sealed on top of an unknown state.
        """
        pending = self._uncertain
        if pending is None:
            return False
        kept = self.sink.stored(pending)
        if kept:
            self.chain.seq, self.chain.last_hash = pending.seq, pending.hash
        self._uncertain = None
        return kept

    def append(self, kind: str, fields: dict[str, Any]) -> Sealed:
        """Seal and store one record now (synchronous; callers in async code use `record`)."""
        with self._lock:
            if self._closed:
                from guard.errors import StateError

                raise StateError("The audit recorder is closed.", hint="Record before shutting down.")
            self._settle_uncertain()
            seq, last_hash = self.chain.seq, self.chain.last_hash
            sealed = self.chain.seal(kind, fields)
            try:
                self.sink.write(sealed)
            except BaseException:
                # Not stored, so not part of the chain: the next record must link to the last stored
                # one. A database may have committed it before the link broke: settle that first.
                self.chain.seq, self.chain.last_hash = seq, last_hash
                self._uncertain = sealed
                try:
                    kept = self._settle_uncertain()
                except GuardError:
                    kept = False  # cannot tell yet: asked again before the next record
                if not kept:
                    raise
            due = (self.chain.seq - self._checkpointed_seq >= self.checkpoint_every
                   or time.monotonic() - self._checkpointed_at >= self.checkpoint_seconds)
            if due:
                self._checkpoint()
        return sealed

    async def _append(self, kind: str, fields: dict[str, Any]) -> Sealed:
        if self.sink.blocking:
            return await asyncio.to_thread(self.append, kind, fields)
        return self.append(kind, fields)

    async def record(self, decision: Decision) -> None:
        doc = _scrubbed(decision.to_document())
        sealed = await self._append("decision", {"decision": doc})
        self._remember(str(doc["id"]), sealed.line)

    async def append_event(self, kind: str, payload: dict[str, Any]) -> Receipt:
        """Record something that is not an exchange, e.g. `consent.granted` or `subject.erased`.

        `payload` must hold no raw personal value: pass subject hashes (SubjectHasher), purposes,
        regions and times. Returns a receipt {chain, seq, hash} the caller may keep as proof.
        """
        if not _EVENT_KIND.match(kind) or len(kind) > 64:
            raise BadRequest("Audit event kinds are dotted lower_snake_case names such as 'consent.granted'.",
                             hint="Rename the event kind.")
        try:
            canonical_bytes(payload)
        except (TypeError, ValueError):
            raise BadRequest("The audit event payload must be plain JSON (no NaN, no objects).",
                             hint="Convert times to ISO strings and sets to sorted lists.") from None
        sealed = await self._append("event", {"event": {"type": kind, "payload": payload}})
        return {"chain": self.chain_id, "seq": sealed.seq, "hash": sealed.hash}

    def _remember(self, decision_id: str, line: bytes) -> None:
        if self.recent_capacity <= 0:
            return
        with self._lock:
            self._recent.put(decision_id, line)

    async def get(self, decision_id: str, *, tenant: str | None = None) -> dict[str, object] | None:
        line = self._recent.get(decision_id)
        doc: dict[str, Any] | None = None
        if line is not None:
            doc = parse_line(line).rec["decision"]
        else:
            doc = await asyncio.to_thread(self.sink.find, decision_id)
        if doc is None:
            return None
        context = doc.get("context")
        if tenant is not None and (not isinstance(context, dict) or context.get("tenant") != tenant):
            return None
        return doc

    def close(self) -> None:
        """Seal the chain with a `chain.end` record and a closed checkpoint; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self.sink.write(self.chain.seal("chain.end", {}))
                self._checkpoint(closed=True)
            finally:
                self.sink.close()

    async def aclose(self) -> None:
        if self.sink.blocking:
            await asyncio.to_thread(self.close)
        else:
            self.close()
