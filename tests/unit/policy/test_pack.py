"""The shipped pack's own Rego tests pass, and a broken pack is caught by them or by the loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guard.errors import PolicyError
from guard.policy import default_policy_dir
from guard.policy.bundle import load_bundle
from guard.policy.testing import PolicyTestResult, discover_tests, run_policy_tests

SHIPPED = run_policy_tests(default_policy_dir())


def test_the_shipped_pack_has_tests_for_every_package() -> None:
    """Each of admit, output, consent and culture has a *_test.rego with test_ rules."""
    files = {Path(result.file).name for result in SHIPPED}
    assert files == {"admit_test.rego", "output_test.rego", "consent_test.rego", "culture_test.rego"}
    assert len(SHIPPED) >= 40


@pytest.mark.parametrize("result", SHIPPED, ids=[r.name for r in SHIPPED])
def test_shipped_policy_test_passes(result: PolicyTestResult) -> None:
    """Every test_ rule of the shipped pack evaluates to true."""
    assert result.passed, result.error


def test_a_changed_threshold_makes_a_policy_test_fail(pack_copy: Path) -> None:
    """Loosening the companion threshold is caught by the output policy tests."""
    path = pack_copy / "data" / "thresholds.json"
    data = json.loads(path.read_text())
    data["settings"]["companion"] = 0.95
    path.write_text(json.dumps(data))
    failed = {r.name for r in run_policy_tests(pack_copy) if not r.passed}
    assert "guard.output_test.test_manipulation_above_threshold_is_blocked_in_companion_settings" in failed


def test_a_syntax_error_is_reported_with_file_and_line(pack_copy: Path) -> None:
    """A broken module does not compile; the error names the file and line."""
    path = pack_copy / "guard" / "output.rego"
    path.write_text(path.read_text() + "\nbroken if {\n  input.x =\n}\n")
    with pytest.raises(PolicyError, match=r"guard/output\.rego:\d+:\d+"):
        run_policy_tests(pack_copy)


def test_whole_input_mocks_are_refused_before_they_crash_regopy(pack_copy: Path) -> None:
    """`with input as {...}` (which segfaults regopy 1.5) is reported as a clear error instead."""
    (pack_copy / "guard" / "extra_test.rego").write_text(
        "package guard.extra_test\nimport rego.v1\ntest_x if data.guard.admit.allow with input as {}\n")
    with pytest.raises(PolicyError, match="with input as"):
        load_bundle(pack_copy)


def test_test_rules_are_discovered_once_per_package() -> None:
    """Incremental test_ definitions count as one test; helpers without the prefix are not tests."""
    found = discover_tests({"a_test.rego": "package p.a_test\ntest_x if true\ntest_x if false\nhelper := 1\n"})
    assert found == [("a_test.rego", "p.a_test", "test_x")]
