"""Run a pack's Rego unit tests (`test_*` rules in `*_test.rego`), OPA's convention.

regopy has no test runner, so each `test_*` rule is compiled as an entrypoint of one bundle (the
pack's modules plus its tests) and evaluated on an empty input: `true` passes; false, undefined
or an error fails.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from guard.errors import PolicyError
from guard.policy.bundle import load_bundle
from guard.policy.rego import compile_bundle, evaluate, new_interpreter

__all__ = ["PolicyTestResult", "discover_tests", "run_policy_tests"]

_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)", re.MULTILINE)
_TEST_RULE = re.compile(r"^(test_\w+)\b", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class PolicyTestResult:
    file: str
    name: str            # package.rule, e.g. guard.admit_test.test_eu_workplace_denied
    passed: bool
    ms: float
    error: str | None = None


def discover_tests(sources: dict[str, str]) -> list[tuple[str, str, str]]:
    """(file, package, rule) for every distinct `test_*` rule, in file order."""
    found: list[tuple[str, str, str]] = []
    for file, source in sorted(sources.items()):
        package = _PACKAGE.search(source)
        if not package:
            continue
        seen: set[str] = set()
        for rule in _TEST_RULE.findall(source):
            if rule not in seen:
                seen.add(rule)
                found.append((file, package.group(1), rule))
    return found


def run_policy_tests(policy_dir: Path) -> list[PolicyTestResult]:
    """Every test's result; raises PolicyError if the pack (with its tests) does not load or compile."""
    pack = load_bundle(policy_dir)
    tests = discover_tests(pack.tests)
    if not tests:
        return []
    entrypoints = tuple(f"{package.replace('.', '/')}/{rule}" for _, package, rule in tests)
    compiled = compile_bundle(pack, entrypoints=entrypoints, with_tests=True)
    interpreter = new_interpreter()
    results = []
    for (file, package, rule), entrypoint in zip(tests, entrypoints, strict=True):
        started = time.perf_counter()
        error = None
        try:
            passed = evaluate(interpreter, compiled, entrypoint, {}) is True
        except PolicyError as exc:
            passed = False
            error = "undefined (a condition did not hold)" if "undefined" in exc.message else exc.message
        results.append(PolicyTestResult(file=file, name=f"{package}.{rule}", passed=passed,
                                  ms=(time.perf_counter() - started) * 1000.0, error=error))
    return results
