"""PostgreSQL stopped and started under traffic: exchanges fail closed while it is down and succeed
again afterwards without restarting the proxy; the audit chain written across the outage verifies."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from guard.cli import audit as audit_cli
from guard.core.config import GuardSettings
from guard.demo.model_server import ScriptedModel
from guard.proxy import create_app
from tests.support.postgres import fresh_database, unreachable_reason
from tests.support.servers import serve

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.slow]

CLUSTER = ("15", "main")


def pg_ctl(action: str) -> None:
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *CLUSTER, action, *(["-m", "fast"]
                    if action == "stop" else [])], check=True, capture_output=True, timeout=60)


def wait_until_up(timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while unreachable_reason() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert unreachable_reason() is None, "PostgreSQL did not come back"


@pytest.fixture
def restartable() -> Iterator[None]:
    if shutil.which("pg_ctlcluster") is None:
        pytest.skip("pg_ctlcluster is not installed: cannot restart the local PostgreSQL")
    reason = unreachable_reason()
    if reason:
        pytest.skip(reason)
    try:
        yield
    finally:
        # Whatever happened, leave the server running for the other tests.
        if unreachable_reason():
            pg_ctl("start")
            wait_until_up()


class Traffic:
    """Sends one chat request after another from a thread, noting (time, status, seconds taken)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.log: list[tuple[float, int, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        body = {"model": "m", "messages": [{"role": "user", "content": "Hi, I'm Maria Lopez. How are you?"}]}
        headers = {"X-Guard-Subject": "subject-1", "X-Guard-Conversation": "c-1", "X-Guard-Setting": "companion"}
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    status = client.post(self.url + "/v1/chat/completions", json=body, headers=headers).status_code
                except httpx.HTTPError:
                    status = 0
                self.log.append((started, status, time.monotonic() - started))
                time.sleep(0.05)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def between(self, start: float, end: float) -> list[int]:
        return [status for at, status, _ in self.log if start <= at < end]

    def within(self, start: float, end: float) -> list[int]:
        """Requests that started and finished inside the window (one still waiting for a pooled
        connection when the server came back may rightly succeed)."""
        return [status for at, status, took in self.log if start <= at and at + took < end]


def test_postgres_restart_under_traffic(restartable: None, tmp_path: Path) -> None:
    """Down: every exchange is refused fast with 503 (none served unrecorded). Up: 200 again, same process."""
    with fresh_database() as database:
        settings = GuardSettings(data_dir=str(tmp_path / "state"))
        settings.consent.url = database
        settings.audit.url = database
        settings.pii.vault_url = database
        model = ScriptedModel()
        with serve(model.app()) as upstream_url:
            settings.upstreams.openai.base_url = upstream_url + "/v1"
            settings.upstreams.openai.api_key_env = None
            # The app builds (and at shutdown closes) its own full pipeline from these settings.
            with serve(create_app(settings)) as url, Traffic(url) as traffic:
                time.sleep(2.0)
                stopped_at = time.monotonic()
                pg_ctl("stop")
                down_from = time.monotonic()
                time.sleep(12.0)  # longer than the stores' 5 s pool timeout, so whole requests fall inside
                down_until = time.monotonic()
                pg_ctl("start")
                wait_until_up()
                started_at = time.monotonic()
                deadline = started_at + 30
                while time.monotonic() < deadline and 200 not in traffic.between(started_at + 1, time.monotonic()):
                    time.sleep(0.2)
                time.sleep(1.0)
                recovered_by = time.monotonic()
            before = traffic.between(0, stopped_at)
            during = traffic.within(down_from + 0.5, down_until)
            after = traffic.between(started_at, recovered_by)
            assert before
            assert set(before) == {200}
            assert during, "no request was tried while PostgreSQL was down"
            assert set(during) == {503}, f"while down every exchange must be refused: {during}"
            assert max(took for _, _, took in traffic.log) < 15, "a request hung instead of failing fast"
            assert 200 in after, f"the proxy did not recover without a restart: {after}"
            assert after[-3:] == [200, 200, 200]
        app = typer.Typer()
        audit_cli.register(app)
        result = CliRunner().invoke(app, ["audit", "verify", database, "--json"])
        doc = json.loads(result.stdout)
        assert doc["ok"] is True, doc
