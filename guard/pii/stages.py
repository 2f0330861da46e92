"""The redact and restore stages.

`redact` (before the model): finds personal data in every message in `prepare`, replaces it in
`on_request`, and checks the model's answer for other people's personal data in `on_response` /
`on_stream` (it runs before `inspect`, so detectors never see foreign personal data).
`restore` (after `judge`): puts the conversation's own values back where the answer uses their
placeholders or pseudonyms, when `pii.restore` is on.

Counts go to `decision.redactions`: `PERSON` for a value removed from the request,
`output:PHONE_NUMBER` for one removed from the answer. Values never go anywhere but the vault.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from guard.core.decision import Action, Decision, Outcome
from guard.core.stage import BaseStage, ChunkFilter
from guard.errors import RedactionError, StateError
from guard.logging import note_personal_values
from guard.pii.analyzer import Analyzer
from guard.pii.conversation import ConversationMap, mentions
from guard.pii.entities import ESCAPED_TOKEN, TOKEN, escape_tokens
from guard.pii.operators import OPERATORS, encrypt_value, hash_value, mask_value
from guard.pii.pseudonyms import Pseudonymizer
from guard.pii.restore import RestoreFilter, Restorer, find_literals
from guard.pii.spans import Span, spread_found_values
from guard.pii.special import SpecialCategoryFinder

if TYPE_CHECKING:
    from guard.core.exchange import Exchange
    from guard.core.subjects import SubjectHasher
    from guard.pii.analyzer import PIIAnalyzer
    from guard.pii.keys import PIIKeys
    from guard.pii.settings import PIISettings
    from guard.pii.vault import Vault

__all__ = ["RedactStage", "RestoreStage"]

_SCRATCH = "pii"
_RETRIES = 3
_PURGE_INTERVAL_S = 600.0


@dataclass(slots=True)
class _State:
    """What the redact stage leaves in `exchange.scratch["pii"]` for its later hooks and for restore."""

    language: str = "en"
    texts: list[str] = field(default_factory=list)
    spans: list[list[Span]] = field(default_factory=list)
    operators: dict[str, str] = field(default_factory=dict)
    placeholders: dict[str, str] = field(default_factory=dict)  # token -> value
    pseudonyms: dict[str, str] = field(default_factory=dict)    # pseudonym -> value
    escapes: dict[str, str] = field(default_factory=dict)       # escaped user text -> as typed
    own: set[str] = field(default_factory=set)

    def restorer(self, *, restore: bool) -> Restorer:
        if restore:
            return Restorer({**self.escapes, **self.placeholders}, self.pseudonyms)
        return Restorer(self.escapes, {})


def _state(exchange: Exchange) -> _State:
    found = exchange.scratch.get(_SCRATCH)
    if isinstance(found, _State):
        return found
    state = _State()
    exchange.scratch[_SCRATCH] = state
    return state


class RedactStage(BaseStage):
    name = "redact"

    def __init__(
        self,
        settings: PIISettings,
        *,
        analyzer: PIIAnalyzer,
        vault: Vault,
        keys: PIIKeys,
        hasher: SubjectHasher,
    ) -> None:
        self.settings = settings
        self.analyzer = analyzer
        self.vault = vault
        self._keys = keys
        self._hasher = hasher
        self._pseudonymizer = Pseudonymizer(keys.pseudonym)
        self._special = SpecialCategoryFinder(cache_size=settings.cache_size)
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        # spaCy objects are not thread-safe; one analysis thread keeps the event loop free.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guard-pii")
        self._next_purge = 0.0

    async def analyze(self, texts: Sequence[str], language: str, *, cache: bool = True) -> list[list[Span]]:
        loop = asyncio.get_running_loop()
        if isinstance(self.analyzer, Analyzer):
            # Cache lookups and patterns here; only texts that need the NER model go to its thread.
            batch = self.analyzer.begin(texts, language, cache=cache)
            found = batch.results if batch.done else await loop.run_in_executor(
                self._executor, self.analyzer.finish, batch
            )
        else:
            found = await loop.run_in_executor(
                self._executor, lambda: self.analyzer.analyze_batch(list(texts), language, cache=cache)
            )
        return spread_found_values(texts, found)

    # -- input -----------------------------------------------------------------------------

    async def prepare(self, exchange: Exchange) -> None:
        if not self.settings.enabled:
            return
        state = _state(exchange)
        state.language = exchange.context.language
        state.texts = [message.text for message in exchange.messages]
        state.spans = await self.analyze(state.texts, state.language)
        for text, spans in zip(state.texts, state.spans, strict=True):
            exchange.signals.pii_types.update(span.entity for span in spans)
            exchange.signals.special_categories.update(self._special.find(text))

    async def on_request(self, exchange: Exchange, decision: Decision) -> None:
        if not self.settings.enabled:
            return
        state = _state(exchange)
        texts = [message.text for message in exchange.messages]
        if texts != state.texts:  # prepare did not run, or a stage changed the messages since
            state.texts, state.spans = texts, await self.analyze(texts, exchange.context.language)
        state.operators = self._operators(decision)
        key, subject_hash = self._conversation_key(exchange)
        await self._purge_now_and_then()
        lock = self._locks.setdefault(key, asyncio.Lock()) if key else asyncio.Lock()
        async with lock:
            rewritten, counts, cmap = await self._rewrite_and_store(state, key, subject_hash, exchange)
        changed = False
        for message, text in zip(exchange.messages, rewritten, strict=True):
            if text != message.text:
                message.text = text
                changed = True
        decision.redactions.update(counts)
        state.placeholders = {t: v for t, v in cmap.restorable().items() if TOKEN.fullmatch(t)}
        state.pseudonyms = {t: v for t, v in cmap.restorable().items() if not TOKEN.fullmatch(t)}
        state.own |= cmap.values()
        # Defence in depth: the log scrubber and the audit recorder mask these exact values too.
        note_personal_values(text[span.start:span.end] for text, spans in zip(texts, state.spans, strict=True)
                             for span in spans)
        state.escapes = {
            m.group(0): f"<{m.group(1)[1:]}{m.group(2)}>" for text in rewritten for m in ESCAPED_TOKEN.finditer(text)
        }
        if changed:
            decision.stage(self.name).outcome = Outcome.CHANGED

    async def _purge_now_and_then(self) -> None:
        """Delete expired vault entries at most once per interval: rows of conversations that
        never come back would otherwise stay (sealed, but stored) past their TTL."""
        now = time.monotonic()
        if now >= self._next_purge:
            self._next_purge = now + _PURGE_INTERVAL_S
            await self.vault.purge_expired()

    async def _rewrite_and_store(
        self, state: _State, key: str | None, subject_hash: str | None, exchange: Exchange
    ) -> tuple[list[str], Counter[str], ConversationMap]:
        tenant = exchange.context.tenant
        # Without a conversation, a fresh scope keeps one exchange's pseudonyms unlinkable to another's.
        scope = key or secrets.token_hex(16)
        if not any(state.spans):
            # Nothing to replace anywhere in the (resent) history, so no stand-in of ours can be
            # upstream: spare the vault a round trip on PII-free turns.
            key = None
        for _ in range(_RETRIES):
            entries = await self.vault.load(key) if key else []
            cmap = ConversationMap(entries, tenant=tenant, subject_hash=subject_hash, scope=scope,
                                   pseudonymizer=self._pseudonymizer)
            rewritten, counts = self._rewrite(state, cmap)
            # Another worker may have given the same number to another value meanwhile: retry.
            if not key or not cmap.added or not await self.vault.add(key, cmap.added):
                return rewritten, counts, cmap
        raise StateError(
            "The PII vault kept refusing new placeholders for this conversation.",
            hint="Another process is writing the same conversation at a high rate; retry the request.",
        )

    def _rewrite(self, state: _State, cmap: ConversationMap) -> tuple[list[str], Counter[str]]:
        counts: Counter[str] = Counter()
        taken = mentions(state.texts)
        rewritten: list[str] = []
        for text, spans in zip(state.texts, state.spans, strict=True):
            pieces: list[str] = []
            position = 0
            for span in spans:
                value = text[span.start:span.end]
                state.own.add(value)
                operator = state.operators.get(span.entity, state.operators["*"])
                if operator == "keep":
                    continue
                pieces.append(escape_tokens(text[position:span.start]))
                pieces.append(self._replacement(span.entity, operator, value, cmap, taken))
                position = span.end
                counts[span.entity] += 1
            pieces.append(escape_tokens(text[position:]))
            rewritten.append("".join(pieces))
        return rewritten, counts

    def _replacement(
        self, entity: str, operator: str, value: str, cmap: ConversationMap | None, taken: Callable[[str], bool]
    ) -> str:
        if operator == "mask":
            return mask_value(entity, value)
        if operator == "hash":
            return hash_value(self._keys.hash, entity, value)
        if operator == "encrypt":
            return encrypt_value(self._keys.encrypt, entity, value)
        if cmap is None:  # the answer's foreign values: replaced, never remembered
            if operator == "pseudonym":
                return self._pseudonymizer.make(entity, value, scope="output")
            return f"<{entity}>"
        return cmap.token_for(entity, operator, value, taken=taken)

    def _operators(self, decision: Decision) -> dict[str, str]:
        """Operator per entity type: settings, then the admit policy's `redact` obligation; `*` = default."""
        chosen: dict[str, str] = {"*": self.settings.default_operator, **self.settings.operators}
        obligation: Any = decision.obligations.get("redact")
        if isinstance(obligation, dict):
            chosen.update({str(k): str(v) for k, v in obligation.items()})
        elif isinstance(obligation, list):
            for item in obligation:
                if isinstance(item, dict) and "entity" in item and "operator" in item:
                    chosen[str(item["entity"])] = str(item["operator"])
                else:
                    raise RedactionError(
                        "The admit policy's redact obligation has an item without entity and operator.",
                        hint='Use [{"entity": "PERSON", "operator": "pseudonym"}] or {"PERSON": "pseudonym"}.',
                    )
        elif obligation is not None:
            raise RedactionError("The admit policy's redact obligation must be a list or an object.",
                                 hint='Use {"PERSON": "pseudonym"} or a list of {entity, operator}.')
        bad = sorted({op for op in chosen.values() if op not in OPERATORS})
        if bad:
            raise RedactionError(
                f"Unknown redaction operator(s): {', '.join(b[:32] for b in bad)}.",
                hint="Use one of: " + ", ".join(sorted(OPERATORS)) + ".",
            )
        return chosen

    def _conversation_key(self, exchange: Exchange) -> tuple[str | None, str | None]:
        context = exchange.context
        subject_hash = self._hasher(context.tenant, context.subject) if context.subject else None
        if context.conversation:
            return self._keys.mac("conversation", context.tenant, context.conversation), subject_hash
        if subject_hash:
            return self._keys.mac("subject", context.tenant, subject_hash), subject_hash
        return None, None

    # -- output ----------------------------------------------------------------------------

    async def foreign(self, text: str, state: _State, *, context_len: int = 0) -> list[Span]:
        """Personal data in an answer that is neither the person's own nor one of our stand-ins."""
        if not text.strip():
            return []
        spans = (await self.analyze([text], state.language, cache=False))[0]
        ours = _literal_matches(text, state)
        return [
            span for span in spans
            if span.start >= context_len
            and text[span.start:span.end] not in state.own
            and not TOKEN.search(text[span.start:span.end])
            and not any(span.start < end and start < span.end for start, end in ours)
        ]

    def replace_foreign(self, text: str, spans: Sequence[Span], state: _State, decision: Decision) -> str:
        pieces: list[str] = []
        position = 0
        for span in spans:
            operator = state.operators.get(span.entity, state.operators.get("*", self.settings.default_operator))
            if operator == "keep":
                continue
            pieces += [text[position:span.start], self._replacement(span.entity, operator, text[span.start:span.end],
                                                                    None, lambda _: False)]
            position = span.end
            decision.redactions[f"output:{span.entity}"] += 1
            decision.stage(self.name).outcome = Outcome.CHANGED
            decision.escalate(Action.REWRITE)  # the person sees a changed answer; the action must say so
        pieces.append(text[position:])
        return "".join(pieces)

    async def on_response(self, exchange: Exchange, decision: Decision) -> None:
        if not (self.settings.enabled and self.settings.output_check and exchange.response_text):
            return
        state = _state(exchange)
        if "*" not in state.operators:
            state.operators = self._operators(decision)
        spans = await self.foreign(exchange.response_text, state)
        if spans:
            exchange.response_text = self.replace_foreign(exchange.response_text, spans, state, decision)

    def on_stream(self, exchange: Exchange, decision: Decision) -> ChunkFilter | None:
        if not (self.settings.enabled and self.settings.output_check):
            return None
        from guard.pii.output_stream import OutputCheckFilter

        state = _state(exchange)
        if "*" not in state.operators:
            state.operators = self._operators(decision)
        return OutputCheckFilter(self, state, decision, window=self.settings.stream_window)

    async def aclose(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        await self.vault.aclose()


def _literal_matches(text: str, state: _State) -> list[tuple[int, int]]:
    """Where the answer holds our stand-ins or the user's escaped placeholders (start, end)."""
    literals = [*state.placeholders, *state.pseudonyms, *state.escapes]
    return [(start, end) for start, end, _ in find_literals(text, literals)]


class RestoreStage(BaseStage):
    name = "restore"

    def __init__(self, settings: PIISettings) -> None:
        self.settings = settings

    def _restorer(self, exchange: Exchange) -> Restorer | None:
        state = exchange.scratch.get(_SCRATCH)
        if not self.settings.enabled or not isinstance(state, _State):
            return None
        restorer = state.restorer(restore=self.settings.restore)
        return restorer or None

    async def on_response(self, exchange: Exchange, decision: Decision) -> None:
        restorer = self._restorer(exchange)
        if restorer is None or not exchange.response_text:
            return
        text, count = restorer.apply(exchange.response_text)
        if count:
            exchange.response_text = text
            decision.stage(self.name).outcome = Outcome.CHANGED

    def on_stream(self, exchange: Exchange, decision: Decision) -> ChunkFilter | None:
        restorer = self._restorer(exchange)
        if restorer is None:
            return None

        def changed(_: int) -> None:
            decision.stage(self.name).outcome = Outcome.CHANGED

        return RestoreFilter(restorer, changed)
