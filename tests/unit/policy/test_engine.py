"""The embedded engine: compile once, revision digest, atomic hot reload, fail closed on errors."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from guard.core.config import GuardSettings
from guard.errors import ConfigError, PolicyError
from guard.policy import default_policy_dir
from guard.policy.embedded import EmbeddedEngine
from guard.policy.engine import open_engine
from guard.policy.opa import OpaEngine
from guard.policy.paths import resolve_policy_dir

INPUT: dict[str, Any] = {
    "context": {"tenant": "default", "setting": "general", "region": "US-TX", "country": "US", "locale": "en",
                "language": "en", "age_band": "adult", "purposes": ["generation"], "model_kind": "generative"},
    "consents": [], "signals": {"crisis": False, "special_categories": []}, "now": "2026-06-01T00:00:00.000000Z",
}


def _bump(path: Path) -> None:
    """Make sure the change is visible to an mtime check even on coarse clocks."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def _loosen_default_threshold(pack: Path, value: float) -> None:
    path = pack / "data" / "thresholds.json"
    data = json.loads(path.read_text())
    data["settings"]["general"] = value
    path.write_text(json.dumps(data))
    _bump(path)


def test_default_policy_dir_is_the_repository_pack() -> None:
    """In an editable install the shipped pack is the repository's policies/ directory."""
    root = default_policy_dir()
    assert (root / "guard" / "admit.rego").is_file()
    assert (root / "data" / "regimes.json").is_file()


def test_a_missing_configured_dir_is_a_config_error(tmp_path: Path) -> None:
    """policy.dir pointing nowhere is refused at start-up."""
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_policy_dir(str(tmp_path / "nope"))


def test_revision_is_a_digest_of_the_files(pack_copy: Path) -> None:
    """Two engines over the same files agree on the revision; any data change alters it."""
    first = EmbeddedEngine(pack_copy, reload=False)
    assert first.revision == EmbeddedEngine(default_policy_dir(), reload=False).revision
    _loosen_default_threshold(pack_copy, 0.61)
    assert EmbeddedEngine(pack_copy, reload=False).revision != first.revision


def test_reload_swaps_in_a_changed_pack(pack_copy: Path) -> None:
    """After an edit, reload() serves the new bundle and its revision."""
    engine = EmbeddedEngine(pack_copy, reload=False)
    before = engine.revision
    _loosen_default_threshold(pack_copy, 0.7)
    assert engine.reload() is True
    assert engine.revision != before
    assert engine.reloads == 1
    value = engine.evaluate_sync("output", {"context": INPUT["context"], "findings": [], "obligations": {}}).value
    assert value["threshold"] == 0.7


def test_a_broken_edit_keeps_the_last_good_bundle(pack_copy: Path) -> None:
    """A syntax error in an edit is reported and the previous bundle keeps answering."""
    engine = EmbeddedEngine(pack_copy, reload=False)
    before = engine.revision
    path = pack_copy / "guard" / "admit.rego"
    path.write_text(path.read_text() + "\noops if {\n")
    _bump(path)
    assert engine.reload() is False
    assert engine.revision == before
    assert engine.reload_failures == 1
    assert engine.last_error is not None
    assert "admit.rego" in engine.last_error
    assert engine.evaluate_sync("admit", INPUT).value["allow"] is True


def test_a_broken_pack_at_start_is_a_policy_error(pack_copy: Path) -> None:
    """An engine is never built from a pack that does not compile."""
    (pack_copy / "data" / "thresholds.json").write_text("{not json")
    with pytest.raises(PolicyError, match=r"thresholds\.json"):
        EmbeddedEngine(pack_copy)


@pytest.mark.parametrize("memo_entries", [frozenset(), frozenset({"admit", "output", "texts"})], ids=["cold", "memo"])
def test_evaluations_during_reloads_all_succeed(pack_copy: Path, memo_entries: frozenset[str]) -> None:
    """Threads evaluating while the pack is edited and reloaded never fail and never see a mix."""
    engine = EmbeddedEngine(pack_copy, reload=True, check_interval_s=0.0, memo_entries=memo_entries)
    revisions: set[str] = set()
    errors: list[BaseException] = []
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            try:
                evaluation = engine.evaluate_sync("admit", INPUT)
                assert evaluation.value["allow"] is True
                revisions.add(evaluation.revision)
            except BaseException as exc:
                errors.append(exc)

    workers = [threading.Thread(target=traffic) for _ in range(3)]
    for worker in workers:
        worker.start()
    for step in range(5):
        _loosen_default_threshold(pack_copy, 0.6 + step / 100)
        engine.reload()
    stop.set()
    for worker in workers:
        worker.join()
    assert errors == []
    assert engine.reloads >= 4
    assert len(revisions) >= 2


async def test_reload_happens_by_itself_after_the_check_interval(pack_copy: Path) -> None:
    """With reload on, an evaluation after the interval notices the change and a thread reloads."""
    engine = EmbeddedEngine(pack_copy, reload=True, check_interval_s=0.0)
    before = engine.revision
    _loosen_default_threshold(pack_copy, 0.65)
    await engine.evaluate("admit", INPUT)
    for _ in range(200):
        if engine.revision != before:
            break
        threading.Event().wait(0.01)
    assert engine.revision != before


def test_undefined_entry_is_a_policy_error(pack_copy: Path) -> None:
    """If the decision rule has no value for an input, evaluation fails (closed) with a clear error."""
    path = pack_copy / "guard" / "admit.rego"
    source = path.read_text().replace('decision := {"allow": allow', 'decision := {"allow": allow, "x": input.nope')
    path.write_text(source)
    engine = EmbeddedEngine(pack_copy, reload=False)
    with pytest.raises(PolicyError, match="undefined"):
        engine.evaluate_sync("admit", INPUT)


def test_open_engine_follows_settings(tmp_path: Path) -> None:
    """policy.engine picks embedded (default) or OPA."""
    assert isinstance(open_engine(GuardSettings().policy), EmbeddedEngine)
    opa = open_engine(GuardSettings(policy={"engine": "opa", "opa_push": False}).policy)  # type: ignore[arg-type]
    assert isinstance(opa, OpaEngine)


OUTPUT_INPUT: dict[str, Any] = {"context": INPUT["context"], "findings": [], "obligations": {"crisis_protocol": False}}


def test_output_evaluations_are_memoised_per_input(pack_copy: Path) -> None:
    """The same output input is answered from the memo; a different one is evaluated."""
    engine = EmbeddedEngine(pack_copy, reload=False)
    first = engine.evaluate_sync("output", OUTPUT_INPUT)
    assert engine.evaluate_sync("output", OUTPUT_INPUT).value == first.value
    assert engine.memo_hits == 1
    engine.evaluate_sync("output", {**OUTPUT_INPUT, "obligations": {"crisis_protocol": True}})
    assert engine.memo_hits == 1  # admit memoisation: test_memo.py


def test_a_reload_never_serves_a_memo_of_the_old_bundle(pack_copy: Path) -> None:
    """After a reload the same input is evaluated by the new bundle."""
    engine = EmbeddedEngine(pack_copy, reload=False)
    assert engine.evaluate_sync("output", OUTPUT_INPUT).value["threshold"] == 0.6
    _loosen_default_threshold(pack_copy, 0.7)
    assert engine.reload()
    assert engine.evaluate_sync("output", OUTPUT_INPUT).value["threshold"] == 0.7


def test_impure_packs_are_not_memoised(pack_copy: Path) -> None:
    """A pack that reads the clock is evaluated every time."""
    path = pack_copy / "guard" / "output.rego"
    path.write_text(path.read_text() + "\nclock := time.now_ns()\n")
    engine = EmbeddedEngine(pack_copy, reload=False)
    engine.evaluate_sync("output", OUTPUT_INPUT)
    engine.evaluate_sync("output", OUTPUT_INPUT)
    assert engine.memo_hits == 0


def test_default_policy_dir_prefers_the_wheel_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a wheel the pack is force-included as guard/_policies, which wins over a repository copy."""
    from guard.policy import paths

    package = tmp_path / "site" / "guard"
    (package / "_policies" / "guard").mkdir(parents=True)
    monkeypatch.setattr(paths, "_PACKAGE_ROOT", package)
    assert paths.default_policy_dir() == package / "_policies"


def test_default_policy_dir_missing_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without either layout the error says how to fix it."""
    from guard.policy import paths

    monkeypatch.setattr(paths, "_PACKAGE_ROOT", tmp_path / "nowhere" / "guard")
    with pytest.raises(ConfigError, match=r"policy\.dir"):
        paths.default_policy_dir()
