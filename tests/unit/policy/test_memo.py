"""Admit memoisation: sound only while no serving module reads `input.now`; time counts through consent states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guard.consent.records import ConsentRecord
from guard.core.context import Context
from guard.core.exchange import Signals
from guard.policy import default_policy_dir
from guard.policy.bundle import load_bundle
from guard.policy.documents import admit_input
from guard.policy.embedded import EmbeddedEngine
from guard.policy.purity import Purity, purity, reads_input_now, without_comments

from .test_engine import _bump, _loosen_default_threshold

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
CONTEXT = Context(subject="s", setting="general", region="US-TX",  # type: ignore[arg-type]
                  purposes=("generation", "personalization"))


def _record(**times: datetime | None) -> ConsentRecord:
    times.setdefault("granted_at", NOW - timedelta(days=10))
    return ConsentRecord("default", "h", "personalization", **times)  # type: ignore[arg-type]


def _admit(engine: EmbeddedEngine, records: list[ConsentRecord], now: datetime,
           context: Context = CONTEXT) -> dict[str, Any]:
    return engine.evaluate_sync("admit", admit_input(context.policy_view(), records, Signals(), now)).value


def _ids(value: dict[str, Any]) -> list[str]:
    return sorted(reason["id"] for reason in value["reasons"])


# --- The static check -----------------------------------------------------------------------------

@pytest.mark.parametrize("source", [
    "t := input.now",
    't := input["now"]',
    "t := input[key]",
    "doc := input",
    'x := object.get(input, "now", "")',
    "walk(input, [path, value])",
    "import input",
    "import input.now",
    "keys := {k | some k, _ in input}",
    "t := input .context",                # not the plain form: counted, on the safe side
    'x := "# not a comment"; t := input.now',
    "x := `raw # string`\nt := input.now",
    'x := "\\" # still a string"; t := input.now',
    'm := "the input is checked"',        # strings are scanned like code
])
def test_every_way_to_reach_input_now_is_detected(source: str) -> None:
    """Any `input` not followed by `.` and an identifier other than `now` counts as reading the clock."""
    assert reads_input_now(f"package p\n\n{source}\n")


@pytest.mark.parametrize("source", [
    "s := input.context.setting",
    "c := input.consents[_]",
    "n := input.nowhere",
    "n := input.now_ms",
    "inputs := 1\nmy_input := inputs",
    "# t := input.now, in a comment",
    't := "input.context" # input.now',
    "x := data.input_now",
])
def test_plain_field_reads_are_not_reading_the_clock(source: str) -> None:
    """`input.<identifier>` with another name, other identifiers and comments leave the pack memoisable."""
    assert not reads_input_now(f"package p\n\n{source}\n")


def test_comments_go_and_strings_stay() -> None:
    """Comment removal keeps a `#` inside a string, escaped quotes and raw strings."""
    source = 'a := "x # y" # gone\nb := `# kept\n` # gone too\nc := "\\"#" # gone\n'
    assert without_comments(source) == 'a := "x # y" \nb := `# kept\n` \nc := "\\"#" \n'


def test_the_shipped_pack_is_memoisable_although_its_tests_read_input_now() -> None:
    """Serving modules never read input.now or an impure builtin; the `*_test.rego` files are not scanned."""
    pack = load_bundle(default_policy_dir())
    assert purity(pack.modules.values()) == Purity(pure=True, reads_now=False)
    assert any(reads_input_now(source) for source in pack.tests.values())
    assert EmbeddedEngine(default_policy_dir(), reload=False).memoised() == ["admit", "output", "texts"]


# --- Memo hits and misses on the shipped pack -----------------------------------------------------

def test_a_repeated_conversation_input_is_a_hit_at_a_later_time() -> None:
    """The same context, consents and signals a minute later are answered from the memo."""
    engine = EmbeddedEngine(default_policy_dir(), reload=False)
    records = [_record()]
    first = _admit(engine, records, NOW)
    assert _admit(engine, records, NOW + timedelta(minutes=1)) == first
    assert engine.memo_hits == 1
    assert first["allow"] is True


def test_a_withdrawal_between_two_exchanges_is_a_miss_and_refused() -> None:
    """A withdrawal changes the record's state, hence the key: the next exchange is refused."""
    engine = EmbeddedEngine(default_policy_dir(), reload=False)
    assert _admit(engine, [_record()], NOW)["allow"] is True
    later = NOW + timedelta(seconds=30)
    refused = _admit(engine, [_record().withdrawn(NOW + timedelta(seconds=1))], later)
    assert engine.memo_hits == 0
    assert refused["allow"] is False
    assert _ids(refused) == ["consent.withdrawn"]


def test_an_expiry_crossing_is_a_miss_and_refused() -> None:
    """The same record, once `now` passes its expiry, is in state expired: evaluated again, refused."""
    engine = EmbeddedEngine(default_policy_dir(), reload=False)
    record = _record(expires_at=NOW + timedelta(seconds=1))
    assert _admit(engine, [record], NOW)["allow"] is True
    assert _admit(engine, [record], NOW + timedelta(microseconds=999_999))["allow"] is True
    assert engine.memo_hits == 1
    expired = _admit(engine, [record], NOW + timedelta(seconds=1))
    assert engine.memo_hits == 1
    assert expired["allow"] is False
    assert _ids(expired) == ["consent.expired"]


def test_a_consent_granted_for_later_becomes_valid_when_its_time_comes() -> None:
    """A pending record is missing until `now` reaches its grant, then the exchange is allowed."""
    engine = EmbeddedEngine(default_policy_dir(), reload=False)
    record = _record(granted_at=NOW + timedelta(hours=1))
    assert _ids(_admit(engine, [record], NOW)) == ["consent.missing"]
    assert _admit(engine, [record], NOW + timedelta(hours=1))["allow"] is True
    assert engine.memo_hits == 0


# --- Packs that read the clock, and reloads -------------------------------------------------------

_CLOCK_RULES = {
    "field": 'input.now >= "2026-06-01T12:00:00.000000Z"',
    "brackets": 'input["now"] >= "2026-06-01T12:00:00.000000Z"',
    "bare": 'object.get(input, "now", "") >= "2026-06-01T12:00:00.000000Z"',
}


def _add_maintenance_window(pack: Path, condition: str) -> None:
    """An admit prohibition in force from 12:00 to 13:00 on 2026-06-01, read from the clock."""
    path = pack / "guard" / "admit.rego"
    path.write_text(path.read_text() + f"""
prohibitions contains r if {{
	{condition}
	input.now < "2026-06-01T13:00:00.000000Z"
	r := {{"id": "ops.maintenance", "message": "Closed for maintenance.", "citation": null}}
}}
""")
    _bump(path)


@pytest.mark.parametrize("form", sorted(_CLOCK_RULES))
def test_a_pack_reading_input_now_is_not_memoised_and_stays_correct(pack_copy: Path, form: str) -> None:
    """With memo on, a rule on the clock gives different answers at two times for the same input."""
    _add_maintenance_window(pack_copy, _CLOCK_RULES[form])
    engine = EmbeddedEngine(pack_copy, reload=False)
    records = [_record()]
    assert _admit(engine, records, NOW - timedelta(minutes=1))["allow"] is True
    assert _ids(_admit(engine, records, NOW)) == ["ops.maintenance"]
    assert _admit(engine, records, NOW + timedelta(hours=2))["allow"] is True
    assert engine.memo_hits == 0
    assert engine.memoised() == ["output", "texts"]  # what the load and reload logs report


def test_a_reload_clears_the_memo_and_serves_the_new_bundle(pack_copy: Path) -> None:
    """A memoised admit input is evaluated again by the new bundle, under its revision."""
    engine = EmbeddedEngine(pack_copy, reload=False)
    records = [_record()]
    first = engine.evaluate_sync("admit", admit_input(CONTEXT.policy_view(), records, Signals(), NOW))
    _loosen_default_threshold(pack_copy, 0.7)
    assert engine.reload()
    again = engine.evaluate_sync("admit", admit_input(CONTEXT.policy_view(), records, Signals(), NOW))
    assert engine.memo_hits == 0
    assert again.revision != first.revision
    assert again.value == first.value  # thresholds do not change admit decisions


def test_the_clock_flag_is_recomputed_on_reload(pack_copy: Path) -> None:
    """Reloading into a pack that reads input.now stops admit memoisation; reloading back resumes it."""
    engine = EmbeddedEngine(pack_copy, reload=False)
    path = pack_copy / "guard" / "admit.rego"
    original = path.read_text()
    _add_maintenance_window(pack_copy, _CLOCK_RULES["field"])
    assert engine.reload()
    records = [_record()]
    assert _admit(engine, records, NOW - timedelta(minutes=1))["allow"] is True
    assert _ids(_admit(engine, records, NOW)) == ["ops.maintenance"]
    assert engine.memo_hits == 0
    path.write_text(original)
    _bump(path)
    assert engine.reload()
    _admit(engine, records, NOW)
    _admit(engine, records, NOW + timedelta(minutes=1))
    assert engine.memo_hits == 1


# --- Memo on and off agree ------------------------------------------------------------------------

MEMO_ON = EmbeddedEngine(default_policy_dir(), reload=False)
MEMO_OFF = EmbeddedEngine(default_policy_dir(), reload=False, memo_entries=frozenset())

moments = st.integers(-4, 4).map(lambda s: NOW + timedelta(seconds=s))
records = st.lists(st.builds(
    ConsentRecord, tenant=st.just("t"), subject_hash=st.just("h"),
    purpose=st.sampled_from(["emotion_inference", "personalization", "training", "special_category_data"]),
    granted_at=moments, expires_at=st.none() | moments, withdrawn_at=st.none() | moments,
), max_size=3)
contexts = st.builds(
    Context, subject=st.just("s"), setting=st.sampled_from(["healthcare", "general", "companion", "workplace"]),
    region=st.sampled_from(["DE", "US-TX", "US-CA"]),
    purposes=st.lists(st.sampled_from(["generation", "emotion_inference", "personalization", "training"]),
                      min_size=1, max_size=3),
)
signals = st.builds(Signals, special_categories=st.sets(st.just("health"), max_size=1), crisis=st.booleans())


@settings(max_examples=200, deadline=None)
@given(contexts, records, signals, moments, moments)
def test_memo_on_and_off_give_the_same_decisions(
    context: Context, consents: list[ConsentRecord], signal: Signals, first: datetime, second: datetime
) -> None:
    """For any consents and two times, the memoising engine decides as the one that always evaluates;
    when no record's state differs between the times, the second answer comes from the memo."""
    for now in (first, second):
        hits = MEMO_ON.memo_hits
        document = admit_input(context.policy_view(), consents, signal, now)
        assert MEMO_ON.evaluate_sync("admit", document).value == MEMO_OFF.evaluate_sync("admit", document).value
    if [r.status(first) for r in consents] == [r.status(second) for r in consents]:
        assert MEMO_ON.memo_hits == hits + 1
