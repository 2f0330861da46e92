"""Consent store fixtures: every test runs against SQLite and, when reachable, PostgreSQL."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from guard.consent.postgres import PostgresConsentStore
from guard.consent.sqlite import SQLiteConsentStore
from guard.consent.store import ConsentStore

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _postgres_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def consent_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ConsentStore]:
    """A fresh store; PostgreSQL tests use a tenant prefix of their own so runs never collide."""
    if request.param == "sqlite":
        store: ConsentStore = SQLiteConsentStore(tmp_path / "consent.db")
    else:
        if not _postgres_up():
            pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
        store = PostgresConsentStore(PG_URL)
    yield store
    await store.aclose()


@pytest.fixture
def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"
