"""Shared fixtures for the audit tests: settings in a temp dir, decisions, and stores to tamper with."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from guard.core.config import GuardSettings
from guard.core.context import Context
from guard.core.decision import Action, Decision, Finding, Outcome, Reason

PG_URL = os.environ.get("GUARD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def make_decision(index: int = 0, *, tenant: str = "default", action: Action = Action.PASS,
                  citation: str | None = None, region: str = "DE") -> Decision:
    """A decision shaped like the pipeline's, with no personal value anywhere."""
    decision = Decision(context=Context(tenant=tenant, region=region, purposes=("generation",)))
    decision.policy_revision = "rev-1"
    decision.escalate(action)
    decision.redactions["EMAIL_ADDRESS"] += index % 3
    if citation:
        decision.add_reason(Reason(id="rule.test", message="A test rule applied.", citation=citation))
    decision.findings.append(Finding(detector="tactics", label="guilt", score=0.9, start=0, end=5,
                                     evidence="after all I do"))
    decision.stage("admit").outcome = Outcome.OK
    decision.stage("admit").ms = 0.5
    return decision


@pytest.fixture
def settings(tmp_path: Path) -> GuardSettings:
    return GuardSettings(data_dir=str(tmp_path / "data"))


def pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=2):
            return True
    except Exception:
        return False


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A clean audit schema on the test PostgreSQL server (skips when it is unreachable)."""
    if not pg_available():
        pytest.skip(f"PostgreSQL not reachable at {PG_URL.split('@')[-1]}")
    import psycopg

    def drop() -> None:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            for table in ("guard_audit_records", "guard_audit_heads", "guard_audit_keys"):
                conn.execute(f"DROP TABLE IF EXISTS {table}")  # type: ignore[arg-type]

    drop()
    yield PG_URL
    drop()


def records_of(lines: list[bytes]) -> list[dict[str, Any]]:
    from guard.audit.record import parse_line

    return [parse_line(line).rec for line in lines]
