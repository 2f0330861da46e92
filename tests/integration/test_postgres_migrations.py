"""`guard db upgrade` applies each package's schema once, safely in parallel; `guard db status` reports."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import typer
import yaml
from typer.testing import CliRunner

from guard.cli.db import register
from guard.core.config import load_settings
from guard.db import targets, upgrade
from guard.pii.keys import PIIKeys
from guard.pii.vault import VaultEntry
from guard.pii.vault_postgres import PostgresVault
from tests.support.postgres import fresh_database

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture
def database() -> Iterator[str]:
    with fresh_database() as url:
        yield url


def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def config_for(tmp_path: Path, url: str | None) -> Path:
    values = {"data_dir": str(tmp_path / "state")}
    if url:
        values |= {"consent": {"url": url}, "audit": {"url": url}, "pii": {"vault_url": url}}
    path = tmp_path / "guard.yaml"
    path.write_text(yaml.safe_dump(values))
    return path


def flat(output: str) -> str:
    """Rich wraps long lines in the test runner; compare on single spaces."""
    return " ".join(output.split())


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def test_upgrade_creates_every_schema_once_and_status_follows(tmp_path: Path, database: str) -> None:
    """First run applies consent, vault and audit v1; the second applies nothing; status exits 1 then 0."""
    config = config_for(tmp_path, database)
    runner = CliRunner()
    before = runner.invoke(cli(), ["db", "status", "--config", str(config)])
    assert before.exit_code == 1, before.output
    assert "pending" in flat(before.output)
    first = runner.invoke(cli(), ["db", "upgrade", "--config", str(config)])
    assert first.exit_code == 0, first.output
    for component in ("consent", "vault", "audit"):
        assert f"applied {component} v1" in flat(first.output)
    assert {"guard_consents", "guard_pii_vault", "guard_audit_records", "guard_schema_migrations"} <= tables(database)
    second = runner.invoke(cli(), ["db", "upgrade", "--config", str(config)])
    assert second.exit_code == 0
    assert "applied" not in second.output
    assert "current audit v1" in flat(second.output)
    after = runner.invoke(cli(), ["db", "status", "--config", str(config)])
    assert after.exit_code == 0, after.output
    assert "up to date" in flat(after.output)


def test_many_pods_upgrading_at_once_apply_each_migration_once(database: str) -> None:
    """Concurrent upgrades serialise on the advisory lock: no error, one ledger row per migration."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            upgrade(database, ["consent", "vault", "audit"])
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with psycopg.connect(database) as conn:
        rows = conn.execute("SELECT component, version FROM guard_schema_migrations ORDER BY 1").fetchall()
    assert rows == [("audit", 1), ("consent", 1), ("vault", 1)]


async def test_stores_work_on_a_migrated_database(database: str) -> None:
    """The migrated tables are the ones the stores use (their own CREATE IF NOT EXISTS is a no-op)."""
    upgrade(database, ["vault"])
    vault = PostgresVault(database, keys=PIIKeys.from_master(b"k" * 32), ttl_s=60)
    try:
        await vault.add("c", [VaultEntry("PERSON", "pseudonym", "Ann Lee", "Kim Ode", "t", "s")])
        assert [e.value for e in await vault.load("c")] == ["Ann Lee"]
    finally:
        await vault.aclose()


def test_a_later_migration_declared_by_a_package_is_applied_alone(database: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A package's MIGRATIONS list is honoured: after v1, only the new v2 runs."""
    import guard.pii.vault_postgres as module

    upgrade(database, ["vault"])
    monkeypatch.setattr(module, "MIGRATIONS", [
        (1, "initial schema", module.SCHEMA_SQL),
        (2, "note column", "ALTER TABLE guard_pii_vault ADD COLUMN note text"),
    ], raising=False)
    report = upgrade(database, ["vault"])
    assert [(m.component, m.version) for m in report.applied] == [("vault", 2)]
    with psycopg.connect(database) as conn:
        columns = {r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'guard_pii_vault'")}
    assert "note" in columns


def test_an_unreachable_database_exits_1_without_leaking_the_password(tmp_path: Path) -> None:
    """A failed connection is a clear error (exit 1) that names the host but never the password."""
    config = config_for(tmp_path, "postgresql://guard:hunter2@127.0.0.1:1/guard")
    result = CliRunner().invoke(cli(), ["db", "upgrade", "--config", str(config)])
    assert result.exit_code == 1
    assert "Cannot connect to postgresql://127.0.0.1:1/guard" in flat(result.output)
    assert "hunter2" not in result.output


def test_without_postgres_urls_there_is_nothing_to_do(tmp_path: Path) -> None:
    """Embedded stores only: exit 0 with a sentence saying so."""
    config = config_for(tmp_path, None)
    result = CliRunner().invoke(cli(), ["db", "upgrade", "--config", str(config)])
    assert result.exit_code == 0
    assert "nothing to migrate" in flat(result.output)
    assert targets(load_settings(config)) == {}
