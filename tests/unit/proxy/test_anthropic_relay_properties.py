"""Property: whatever the chunking and however much a filter holds back, the Anthropic relay emits a
well-formed event sequence (every block started once and stopped once, in order, deltas only inside
open blocks) and the client's text is exactly what the filters released."""

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
from guard.proxy.anthropic_messages import AnthropicRelay


class Holding:
    """Releases text only in slices of `size` characters, the rest at flush (a worst-case look-behind)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.held = ""

    async def feed(self, text: str) -> str:
        self.held += text
        cut = len(self.held) - len(self.held) % self.size
        out, self.held = self.held[:cut], self.held[cut:]
        return out

    async def flush(self) -> str:
        return self.held


def upstream_events(pieces: list[str], tool: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"type": "message_start", "message": {"id": "m", "content": []}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ]
    out += [{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}} for p in pieces]
    out.append({"type": "content_block_stop", "index": 0})
    if tool:
        out += [{"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "t",
                                                                               "name": "f", "input": {}}},
                {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta",
                                                                      "partial_json": "{}"}},
                {"type": "content_block_stop", "index": 1}]
    out += [{"type": "message_delta", "delta": {"stop_reason": "end_turn"}}, {"type": "message_stop"}]
    return out


async def relay(pieces: list[str], tool: bool, size: int) -> list[dict[str, Any]]:
    pipeline = Pipeline([], MemoryRecorder())
    exchange = Exchange(context=Context(), messages=[], api="anthropic.messages")
    guard_stream = pipeline.stream(exchange, Decision(context=exchange.context))
    guard_stream._filters = [("restore", Holding(size))]
    relayed = AnthropicRelay(guard_stream)
    out: list[dict[str, Any]] = []
    for event in upstream_events(pieces, tool):
        out += await relayed.on_event(event)
    return out


@settings(max_examples=60, deadline=None)
@given(pieces=st.lists(st.text(min_size=0, max_size=12), min_size=1, max_size=12), tool=st.booleans(),
       size=st.integers(min_value=1, max_value=40))
def test_relayed_events_are_well_formed_and_carry_all_text(pieces: list[str], tool: bool, size: int) -> None:
    """Blocks open and close once each, in order; the text is complete and in order."""
    out = asyncio.run(relay(pieces, tool, size))
    open_blocks: set[int] = set()
    started: list[int] = []
    stopped: list[int] = []
    for event in out:
        if event["type"] == "content_block_start":
            assert event["index"] not in started
            started.append(event["index"])
            open_blocks.add(event["index"])
        elif event["type"] == "content_block_delta":
            assert event["index"] in open_blocks
        elif event["type"] == "content_block_stop":
            open_blocks.remove(event["index"])
            stopped.append(event["index"])
    assert not open_blocks
    assert started == stopped == sorted(started)
    assert [e["type"] for e in out][-2:] == ["message_delta", "message_stop"]
    text = "".join(e["delta"]["text"] for e in out if e["type"] == "content_block_delta"
                   and e["delta"]["type"] == "text_delta")
    assert text == "".join(pieces)
    tool_starts = [e for e in out if e["type"] == "content_block_start" and e["content_block"]["type"] == "tool_use"]
    assert len(tool_starts) == int(tool)
    if tool:  # the tool block comes after every piece of text, as upstream sent it
        assert started == [0, 1]
