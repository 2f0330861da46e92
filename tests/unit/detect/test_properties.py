"""Properties of the stream filter and the package import."""

from __future__ import annotations

import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from guard.core.context import Context
from guard.core.decision import Decision
from guard.detect import split_sentences
from guard.detect.detector import ManipulationDetector
from guard.detect.model import load_model
from guard.detect.stage import InspectStage

STAGE = InspectStage([ManipulationDetector(load_model(), min_score=0.5)])
PIECES = [
    "Good night! ", "Leaving already? ", "We just started. ", "Only I understand you.", " ", "\n",
    "Dr. Smith says 3.5 mg. ", "wait", "...", "Sleep well", "!", "*grabs your hand* ",
]


@settings(max_examples=60, deadline=None)
@given(
    answer=st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
    cuts=st.lists(st.integers(min_value=1, max_value=9), max_size=40),
)
async def test_stream_releases_exactly_the_answer_for_any_chunking(answer: str, cuts: list[int]) -> None:
    """Whatever the chunking, the filter releases the answer unchanged, holding at most one sentence."""
    decision = Decision(context=Context())
    chunk_filter = STAGE.on_stream_for(user="ok bye", decision=decision)
    released, fed, position = "", 0, 0
    for size in cuts:
        chunk = answer[position : position + size]
        if not chunk:
            break
        position += len(chunk)
        fed = position
        released += await chunk_filter.feed(chunk)
        assert answer.startswith(released)
        assert len(split_sentences(answer[len(released) : fed])) <= 1
    if position < len(answer):
        released += await chunk_filter.feed(answer[position:])
    released += await chunk_filter.flush()
    assert released == answer
    for finding in decision.findings:
        assert answer[finding.start : finding.end] == finding.evidence


def test_importing_the_package_loads_no_model_or_numpy() -> None:
    """`import guard.detect` stays light: no numpy, scikit-learn or model file until first use."""
    code = "import sys, guard.detect; print(sorted(m for m in ('numpy', 'sklearn') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
