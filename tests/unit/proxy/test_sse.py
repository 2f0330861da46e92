"""The SSE parser reassembles events however the byte stream is cut."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from guard.proxy.sse import SSEParser, format_event

payloads = st.lists(
    st.text(alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=40),
    min_size=1, max_size=8,
)


@given(payloads, st.lists(st.integers(min_value=1, max_value=17), min_size=1, max_size=30),
       st.sampled_from(["\n", "\r\n", "\r"]))
def test_events_survive_any_chunking_and_line_ending(datas: list[str], cuts: list[int], newline: str) -> None:
    """Cutting the stream anywhere, with any line ending, yields the same events in order."""
    wire = "".join(format_event(d).decode().replace("\n", newline) for d in datas)
    parser = SSEParser()
    events = []
    position, index = 0, 0
    while position < len(wire):
        size = cuts[index % len(cuts)]
        events.extend(parser.feed(wire[position:position + size]))
        position += size
        index += 1
    events.extend(parser.close())
    assert [event.data for event in events] == datas


def test_comments_and_event_names_are_handled() -> None:
    """Comment lines are ignored; `event:` names the event; multi-line data joins with newlines."""
    parser = SSEParser()
    events = parser.feed(": keep-alive\nevent: message_start\ndata: a\ndata: b\n\n")
    assert [(e.event, e.data) for e in events] == [("message_start", "a\nb")]


def test_an_unterminated_last_event_is_still_delivered() -> None:
    """A stream that ends without the final blank line still yields its last event."""
    parser = SSEParser()
    assert parser.feed("data: [DONE]") == []
    assert [e.data for e in parser.close()] == ["[DONE]"]
