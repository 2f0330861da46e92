"""Several guard processes on one PostgreSQL behave as one service (real `guard serve`, real HTTP).

Two single-worker processes stand in for two pods (so each request's worker is known), and one
`guard serve --workers 2` checks uvicorn's own worker processes. All share one database for
consent, the pseudonym vault and the audit trail, and the same key files, as the deploy/ manifests do.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import typer
import yaml
from typer.testing import CliRunner

from guard.audit.keys import generate_key_file
from guard.cli import audit as audit_cli
from guard.cli import consent as consent_cli
from guard.demo.model_server import ScriptedModel
from tests.support.guard_process import guard_serve
from tests.support.postgres import fresh_database
from tests.support.servers import serve
from tests.unit.proxy.test_metrics import samples

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.slow]

NAME = "Maria Lopez"
SUBJECT = "alice-7"


class Upstream:
    """A scripted model that, like a stateful assistant, remembers the stand-in it was told in turn 1."""

    def __init__(self) -> None:
        self.model = ScriptedModel(reply=self.reply)
        self.remembered: str | None = None

    def reply(self, body: dict[str, Any]) -> str:
        text = str(body["messages"][-1]["content"])
        if "remember" in text:
            return f"Of course, you are {self.remembered}."
        found = re.match(r"Hi, I'm (.+)\.$", text)
        if found:
            self.remembered = found.group(1)
        return "Nice to meet you."


@dataclass
class Cluster:
    database: str
    config: Path
    upstream: Upstream
    upstream_url: str
    tmp: Path
    pods: list[str]


def write_config(tmp: Path, database: str, upstream_url: str, name: str) -> Path:
    keys = tmp / "keys"
    config = {
        "data_dir": str(tmp / f"data-{name}"),
        "subject_key_file": str(keys / "subject.key"),
        "upstreams": {"openai": {"base_url": upstream_url + "/v1", "api_key_env": None}},
        "consent": {"url": database},
        "pii": {"vault_url": database, "key_file": str(keys / "pii.key")},
        "audit": {"url": database, "signing_key_file": str(keys / "audit-signing.pem")},
    }
    path = tmp / f"guard-{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def make_keys(tmp: Path) -> None:
    keys = tmp / "keys"
    keys.mkdir()
    (keys / "subject.key").write_bytes(os.urandom(32))
    (keys / "pii.key").write_bytes(os.urandom(32))
    generate_key_file(keys / "audit-signing.pem")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("cluster")
    make_keys(tmp)
    upstream = Upstream()
    with fresh_database() as database, serve(upstream.model.app()) as upstream_url:
        configs = [write_config(tmp, database, upstream_url, name) for name in ("a", "b")]
        with guard_serve(configs[0], log=tmp / "a.log") as pod_a, guard_serve(configs[1], log=tmp / "b.log") as pod_b:
            yield Cluster(database, configs[0], upstream, upstream_url, tmp, [pod_a, pod_b])


def chat(url: str, text: str, *, purposes: str = "generation", conversation: str | None = None,
         messages: list[dict[str, str]] | None = None) -> httpx.Response:
    headers = {"X-Guard-Subject": SUBJECT, "X-Guard-Purposes": purposes, "Connection": "close"}
    if conversation:
        headers["X-Guard-Conversation"] = conversation
    body = {"model": "scripted", "messages": messages or [{"role": "user", "content": text}]}
    return httpx.post(url + "/v1/chat/completions", json=body, headers=headers, timeout=60)


def cli(module: Any, args: list[str]) -> Any:
    app = typer.Typer()

    @app.callback()
    def group() -> None:
        """Keep sub-command names even when a module registers a single command."""

    module.register(app)
    return CliRunner().invoke(app, args)


def test_a_withdrawal_is_honoured_by_every_pod_on_its_next_exchange(cluster: Cluster) -> None:
    """Granted: both pods serve personalization; withdrawn through one store: both refuse the very next one."""
    purposes = "generation,personalization"
    assert cli(consent_cli, ["consent", "grant", "--subject", SUBJECT, "--purpose", "personalization",
                             "--config", str(cluster.config)]).exit_code == 0
    for pod in cluster.pods:
        response = chat(pod, "hello there", purposes=purposes)
        assert response.status_code == 200, response.text
    withdrawn = cli(consent_cli, ["consent", "withdraw", "--subject", SUBJECT, "--purpose", "personalization",
                                  "--config", str(cluster.config)])
    assert withdrawn.exit_code == 0, withdrawn.output
    for pod in cluster.pods:
        response = chat(pod, "hello again", purposes=purposes)
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "consent_required"


def test_a_stand_in_made_by_one_pod_is_restored_by_another(cluster: Cluster) -> None:
    """Turn 1 on pod A stores Maria's stand-in; turn 2 on pod B names someone else, and the (stateful)
    model's answer uses Maria's stand-in: pod B must number the newcomer after hers and restore hers.
    A pod with its own vault would give the newcomer the same stand-in and restore the wrong name."""
    conversation = "conv-cross-pod"
    first = chat(cluster.pods[0], f"Hi, I'm {NAME}.", conversation=conversation)
    assert first.status_code == 200, first.text
    stand_in = cluster.upstream.remembered
    assert stand_in
    assert NAME not in stand_in
    assert NAME not in json.dumps(cluster.upstream.model.received[-1])
    second = chat(cluster.pods[1], "My friend John Smith says hi. Do you remember my name?",
                  conversation=conversation)
    assert second.status_code == 200, second.text
    sent = json.dumps(cluster.upstream.model.received[-1])
    assert "John Smith" not in sent
    assert stand_in not in sent, "pod B gave the newcomer the stand-in pod A had given Maria"
    assert second.json()["choices"][0]["message"]["content"] == f"Of course, you are {NAME}."


def test_audit_chains_of_all_pods_verify_together_and_feed_one_report(cluster: Cluster) -> None:
    """After traffic on both pods the shared audit log holds a chain per writer and verifies as a whole."""
    for pod in cluster.pods:
        assert chat(pod, "one more for the record").status_code == 200
    with psycopg.connect(cluster.database) as conn:
        writers = conn.execute("SELECT count(DISTINCT chain_id) FROM guard_audit_records"
                               " WHERE decision_id IS NOT NULL").fetchone()
    assert writers is not None
    assert writers[0] >= 2
    result = cli(audit_cli, ["audit", "verify", cluster.database, "--json", "--config", str(cluster.config)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["ok"] is True
    assert len(doc["chains"]) >= 2
    from guard.cli import report as report_cli

    report = cli(report_cli, ["report", "--format", "json", "--source", cluster.database,
                              "--config", str(cluster.config)])
    assert report.exit_code == 0, report.output
    summary = json.loads(report.output)
    with psycopg.connect(cluster.database) as conn:
        stored = conn.execute("SELECT count(*) FROM guard_audit_records WHERE decision_id IS NOT NULL").fetchone()
    assert stored is not None
    assert summary["totals"]["decisions"] == stored[0], "one report must cover every pod's decisions"
    assert summary["verification"]["ok"] is True
    assert len(summary["verification"]["chains"]) >= 2


def test_two_uvicorn_workers_share_consent_vault_and_audit(cluster: Cluster, tmp_path: Path) -> None:
    """`guard serve --workers 2`: both workers serve, both honour a withdrawal, both chains verify."""
    config = write_config(cluster.tmp, cluster.database, cluster.upstream_url, "w2")
    purposes = "generation,personalization"
    subject_args = ["--subject", SUBJECT, "--purpose", "personalization", "--config", str(config)]
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    multiprocess = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    with guard_serve(config, workers=2, log=tmp_path / "w2.log", env=multiprocess) as url:
        assert cli(consent_cli, ["consent", "grant", *subject_args]).exit_code == 0
        before = _chains(cluster.database)
        for _ in range(30):
            assert chat(url, "hello workers", purposes=purposes).status_code == 200
        served = _chains(cluster.database) - before
        assert len(served) == 2, "both workers should have served (new connection per request)"
        # Whichever worker answers the scrape, the counts are those of both (prometheus multiprocess mode).
        for _ in range(4):
            scrape = httpx.get(url + "/metrics", timeout=10, headers={"Connection": "close"}).text
            assert total(scrape, "guard_exchanges_total", status="2xx") == 30
        assert cli(consent_cli, ["consent", "withdraw", *subject_args]).exit_code == 0
        statuses = {chat(url, "still there?", purposes=purposes).status_code for _ in range(20)}
        assert statuses == {403}
    result = cli(audit_cli, ["audit", "verify", cluster.database, "--json", "--config", str(config)])
    assert result.exit_code == 0, result.output


def total(scrape: str, name: str, **labels: str) -> float:
    """Sum of a metric's samples whose labels include `labels`."""
    return sum(v for (sample, found), v in samples(scrape).items()
               if sample == name and set(labels.items()) <= set(found))


def _chains(database: str) -> set[str]:
    with psycopg.connect(database) as conn:
        rows = conn.execute("SELECT DISTINCT chain_id FROM guard_audit_records WHERE decision_id IS NOT NULL")
        return {str(r[0]) for r in rows}
