"""Streamed answers: restoration across chunk borders with a bounded hold-back, and the output check."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from guard.pii.restore import RestoreFilter, Restorer

from .conftest import StageFactory, chat, redact_request

RESTORER = Restorer(
    {"<PERSON_1>": "Sarah Connor", "<PERSON_12>": "Kyle Reese", "<\u2060PERSON_1>": "<PERSON_1>"},
    {"Dana Dempsey": "John Connor", "Dana": "Ann"},
)
_PIECES = st.sampled_from(["<PERSON_1>", "<PERSON_12>", "<\u2060PERSON_1>", "<PER", "SON_1>", "Dana Dempsey",
                           "Dana", "Danae", "xDana", " ", ".", "<", "hello", "<PERSON_2>", "\u2060"])


async def stream(chunks: list[str], restorer: Restorer = RESTORER) -> tuple[str, int]:
    restore = RestoreFilter(restorer, lambda _: None)
    out, most = "", 0
    for chunk in chunks:
        out += await restore.feed(chunk)
        most = max(most, restore.held)
    return out + await restore.flush(), most


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=14), st.lists(st.integers(1, 7), min_size=1, max_size=30))
async def test_streamed_restore_equals_whole_restore(pieces: list[str], sizes: list[int]) -> None:
    """However the answer is cut into chunks, the stream restores exactly what the whole text would."""
    text = "".join(pieces)
    chunks, position, index = [], 0, 0
    while position < len(text):
        size = sizes[index % len(sizes)]
        chunks.append(text[position:position + size])
        position, index = position + size, index + 1
    out, most = await stream(chunks)
    assert out == RESTORER.apply(text)[0]
    assert most <= RESTORER.longest


async def test_a_placeholder_split_across_chunks_is_restored() -> None:
    """`<PER` + `SON_1>` comes out as the name, and nothing longer than a placeholder is held."""
    out, most = await stream(["Hi <PER", "SON_1>, bye"])
    assert out == "Hi Sarah Connor, bye"
    assert most <= len("<PERSON_12>")


async def test_streaming_pipeline_restores_and_checks_output(make_stages: StageFactory) -> None:
    """Through both filters: own placeholders restored, a foreign number split in chunks removed."""
    redact, restore = make_stages()
    exchange = chat("I'm Sarah Connor.")
    decision = await redact_request(redact, exchange)
    check = redact.on_stream(exchange, decision)
    put_back = restore.on_stream(exchange, decision)
    assert check is not None
    assert put_back is not None
    answer = ("Of course <PERSON_1>, I can help with that. If it gets worse, you could ring the clinic "
              "on +44 20 7946 0958 and ask for the nurse on duty; they open at eight.")
    out = ""
    for i in range(0, len(answer), 3):
        released = await check.feed(answer[i:i + 3])
        out += await put_back.feed(released) if released else ""
        assert check.held < 2 * redact.settings.stream_window + 3
    out += await put_back.feed(await check.flush()) + await put_back.flush()
    assert out.startswith("Of course Sarah Connor, I can help")
    assert "7946" not in out
    assert "<PHONE_NUMBER>" in out
    assert decision.redactions["output:PHONE_NUMBER"] == 1
