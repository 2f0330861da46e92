"""Server-sent events: an incremental parser for upstream streams and a formatter for ours."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio

__all__ = ["SSEEvent", "SSEParser", "drain", "format_event", "relay_reads"]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: How long a finished stream waits for the upstream body to end before closing the connection.
DRAIN_S = 0.25


@dataclass(slots=True, frozen=True)
class SSEEvent:
    data: str
    event: str | None = None

    def json(self) -> Any:
        return json.loads(self.data)


class SSEParser:
    """Turns arbitrary byte chunks into events (WHATWG rules: fields per line, blank line ends an event)."""

    def __init__(self) -> None:
        self._buffer = ""
        self._data: list[str] = []
        self._event: str | None = None

    def feed(self, text: str) -> list[SSEEvent]:
        buffer = self._buffer + text if self._buffer else text
        # A '\r' at the very end may be the first half of '\r\n': it waits for the next piece.
        end = len(buffer) - 1 if buffer.endswith("\r") else len(buffer)
        last = max(buffer.rfind("\n", 0, end), buffer.rfind("\r", 0, end))
        if last < 0:
            self._buffer = buffer
            return []
        self._buffer = buffer[last + 1:]
        events: list[SSEEvent] = []
        for line in _LINE_BREAK.split(buffer[: last + 1])[:-1]:
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def _line(self, line: str) -> SSEEvent | None:
        if not line:
            if not self._data and self._event is None:
                return None
            event = SSEEvent(data="\n".join(self._data), event=self._event)
            self._data, self._event = [], None
            return event
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        return None

    def close(self) -> list[SSEEvent]:
        """End of stream: an unterminated last event still counts."""
        return self.feed("\n\n") if self._buffer or self._data else []


#: Handles the events of one body piece: appends the bytes to send to `out` and returns True once
#: the stream is over (nothing more will be read).
ReadHandler = Callable[[list[SSEEvent], list[bytes]], Awaitable[bool]]


async def relay_reads(chunks: AsyncIterator[str], handle: ReadHandler) -> AsyncIterator[bytes]:
    """Per piece of the upstream body as the HTTP client hands it over (one HTTP chunk, which may
    hold many events), the events it completes go to `handle` together and what it produced leaves
    as one write. A piece is never held for the next one. What was produced before a handler
    raised is still sent, then the error propagates (the caller ends the stream with it)."""
    parser = SSEParser()
    ended = False
    while not ended:
        chunk = await anext(chunks, None)
        if chunk is None:
            events, ended = parser.close(), True
        else:
            events = parser.feed(chunk)
        if not events:
            continue
        out: list[bytes] = []
        try:
            over = await handle(events, out)
        except Exception:
            if out:
                yield b"".join(out)
            raise
        if out:
            yield b"".join(out)
        if over:
            return


async def drain(chunks: AsyncIterator[str]) -> None:
    """After the last event, read what follows (normally just the end of the chunked body, already
    here), so the upstream connection goes back to its pool instead of being closed and reopened.
    Call it once the client has its last event: the wait is then nobody's."""
    with anyio.move_on_after(DRAIN_S), contextlib.suppress(Exception):
        # The answer is complete: trouble reading past its end only costs this connection.
        async for _ in chunks:
            pass


def format_event(data: Any, *, event: str | None = None) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()
