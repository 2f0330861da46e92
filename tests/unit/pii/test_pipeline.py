"""The stages inside the real pipeline: redacted request, restored and checked stream, decision record."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guard.core.memory import MemoryRecorder
from guard.core.pipeline import Pipeline
from guard.pii.analyzer import Analyzer
from guard.pii.settings import PIISettings
from guard.pii.stages import RedactStage, RestoreStage
from guard.pii.vault import MemoryVault

from .conftest import HASHER, KEYS, StageFactory, chat


async def test_pipeline_stream_round_trip(make_stages: StageFactory) -> None:
    """Upstream sees placeholders; the client's stream gets the name back; the record has counts only."""
    redact, restore = make_stages()
    recorder = MemoryRecorder()
    pipeline = Pipeline([redact, restore], recorder)
    exchange = chat("Hi, I'm Sarah Connor, mail me at sarah@example.com")
    decision = await pipeline.start(exchange)
    assert exchange.messages[0].text == "Hi, I'm <PERSON_1>, mail me at <EMAIL_ADDRESS_1>"
    stream = pipeline.stream(exchange, decision)
    answer = "Hello <PERSON_1>! I will write to <EMAIL_ADDRESS_1> today."
    out = "".join([await stream.feed(answer[i:i + 4]) for i in range(0, len(answer), 4)])
    out += await stream.finish()
    assert out == "Hello Sarah Connor! I will write to sarah@example.com today."
    document = (await recorder.get(decision.id)) or {}
    assert document["redactions"] == {"EMAIL_ADDRESS": 1, "PERSON": 1}
    assert "Sarah" not in str(document)


_FOREIGN = ["bob.ray@mail.example.org", "(415) 555-2671", "+44 20 7946 0958", "4111 1111 1111 1111",
            "2223003122003222", "DE89370400440532013000"]
_WORDS = ["the", "answer", "is", "call", "and", "then", "ok.", "<PERSON_1>", "\n", "x" * 30]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_FOREIGN + _WORDS), min_size=1, max_size=25),
       st.lists(st.integers(1, 9), min_size=1, max_size=20))
async def test_streamed_output_check_never_leaks(pattern_analyzer: Analyzer, parts: list[str],
                                                 sizes: list[int]) -> None:
    """However the answer is chunked, no foreign e-mail, phone, card or IBAN reaches the client."""
    pii = PIISettings(ner=False)
    redact = RedactStage(pii, analyzer=pattern_analyzer, vault=MemoryVault(), keys=KEYS, hasher=HASHER)
    pipeline = Pipeline([redact, RestoreStage(pii)], MemoryRecorder())
    try:
        exchange = chat("I'm fine, thanks")
        decision = await pipeline.start(exchange)
        stream = pipeline.stream(exchange, decision)
        answer = " ".join(parts)
        out, position, index = "", 0, 0
        while position < len(answer):
            size = sizes[index % len(sizes)]
            out += await stream.feed(answer[position:position + size])
            position, index = position + size, index + 1
        out += await stream.finish()
    finally:
        await redact.aclose()
    for value in _FOREIGN:
        assert value not in out
    if not set(parts) & set(_FOREIGN):
        assert out == answer  # nothing to remove: released exactly as streamed
