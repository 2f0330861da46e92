"""Shared fixtures for the PII tests: one NER analyzer per session, stages over a memory vault."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from guard.core.context import Context
from guard.core.decision import Decision
from guard.core.exchange import Exchange, Message
from guard.core.subjects import SubjectHasher
from guard.pii.analyzer import Analyzer
from guard.pii.keys import PIIKeys
from guard.pii.settings import PIISettings
from guard.pii.stages import RedactStage, RestoreStage
from guard.pii.vault import MemoryVault

KEYS = PIIKeys.from_master(b"k" * 32)
HASHER = SubjectHasher(b"s" * 32)


@pytest.fixture(scope="session")
def ner_analyzer() -> Analyzer:
    """The default analyzer with the spaCy model (loaded once for the whole session)."""
    return Analyzer(PIISettings())


@pytest.fixture(scope="session")
def pattern_analyzer() -> Analyzer:
    return Analyzer(PIISettings(ner=False))


StageFactory = Callable[..., tuple[RedactStage, RestoreStage]]


@pytest.fixture
async def make_stages(ner_analyzer: Analyzer) -> AsyncIterator[StageFactory]:
    """Build redact/restore stages over a memory vault; `ner=False` swaps in patterns only."""
    built: list[RedactStage] = []

    def make(analyzer: Analyzer | None = None, **pii: object) -> tuple[RedactStage, RestoreStage]:
        settings = PIISettings(**pii)  # type: ignore[arg-type]
        redact = RedactStage(settings, analyzer=analyzer or ner_analyzer, vault=MemoryVault(),
                             keys=KEYS, hasher=HASHER)
        built.append(redact)
        return redact, RestoreStage(settings)

    yield make
    for stage in built:
        await stage.aclose()


def chat(*texts: str, conversation: str | None = "c-1", subject: str | None = "u-1",
         roles: tuple[str, ...] = ()) -> Exchange:
    context = Context(conversation=conversation, subject=subject)
    messages = [Message(roles[i] if i < len(roles) else "user", text, ("messages", i, "content"))
                for i, text in enumerate(texts)]
    return Exchange(context=context, messages=messages)


async def redact_request(stage: RedactStage, exchange: Exchange, **obligations: object) -> Decision:
    decision = Decision(context=exchange.context, obligations=dict(obligations))
    await stage.prepare(exchange)
    await stage.on_request(exchange, decision)
    return decision

