"""Property: for any chunking and hold-back, the Responses relay delivers all text in order, the
`done` events and the final response carry exactly the delivered text, and a function call that
follows the text still comes after it."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from guard.core.context import Context
from guard.core.decision import Decision
from guard.core.exchange import Exchange
from guard.core.memory import MemoryRecorder
from guard.core.pipeline import Pipeline
from guard.proxy.responses import ResponsesRelay
from tests.unit.proxy.test_anthropic_relay_properties import Holding
from tests.unit.proxy.test_responses_route import events


async def relay(body: dict[str, Any], size: int, pieces: list[str]) -> list[dict[str, Any]]:
    pipeline = Pipeline([], MemoryRecorder())
    exchange = Exchange(context=Context(), messages=[], api="openai.responses")
    guard_stream = pipeline.stream(exchange, Decision(context=exchange.context))
    guard_stream._filters = [("restore", Holding(size))]
    relayed = ResponsesRelay(guard_stream)
    out: list[dict[str, Any]] = []
    for event in events(body):
        if event["type"] == "response.output_text.delta":  # re-chunk the upstream's text arbitrarily
            continue
        if event["type"] == "response.output_text.done":
            part = {k: event[k] for k in ("item_id", "output_index", "content_index")}
            for piece in pieces:
                out += await relayed.on_event({"type": "response.output_text.delta", **part, "delta": piece})
        out += await relayed.on_event(event)
    return out


@settings(max_examples=60, deadline=None)
@given(pieces=st.lists(st.text(max_size=10), min_size=1, max_size=10), size=st.integers(1, 30), tool=st.booleans())
def test_done_events_and_final_response_match_the_delivered_text(pieces: list[str], size: int, tool: bool) -> None:
    """Whatever the filter holds, what the client reads in deltas is what every summary event says."""
    body = {"model": "m", "input": "weather?" if tool else "hi", "tools": [{"type": "function"}] if tool else []}
    out = asyncio.run(relay(body, size, pieces))
    delivered = "".join(e["delta"] for e in out if e["type"] == "response.output_text.delta")
    assert delivered == "".join(pieces)
    kinds = [e["type"] for e in out]
    assert kinds[-1] == "response.completed"
    text_done = next(e for e in out if e["type"] == "response.output_text.done")
    assert text_done["text"] == delivered
    assert next(e for e in out if e["type"] == "response.content_part.done")["part"]["text"] == delivered
    assert out[-1]["response"]["output"][0]["content"][0]["text"] == delivered
    last_delta = max(i for i, k in enumerate(kinds) if k == "response.output_text.delta") if delivered else -1
    assert kinds.index("response.output_text.done") > last_delta
    if tool:
        assert kinds.index("response.output_item.done") < kinds.index("response.function_call_arguments.delta")
