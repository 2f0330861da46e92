"""PostgreSQL schema migrations for the consent store, the pseudonym vault and the audit sink.

`guard db upgrade` applies them; the stores also create their tables on first use, so upgrading is
needed before a rollout only when a new version brings a new migration. Each package owns its
schema: a module may offer `MIGRATIONS = [(version, description, statements), ...]`; otherwise its
`SCHEMA_SQL` is taken as version 1. Applied versions are kept in `guard_schema_migrations`, and a
transaction-scoped advisory lock lets many pods run the upgrade at once without racing.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from guard.errors import ConfigError, StateError

if TYPE_CHECKING:
    from guard.core.config import GuardSettings

__all__ = ["COMPONENTS", "Migration", "MigrationReport", "component_migrations", "pending", "targets", "upgrade"]

_PG_SCHEMES = ("postgresql://", "postgres://")
#: component -> the module that owns its PostgreSQL schema
COMPONENTS = {
    "consent": "guard.consent.postgres",
    "vault": "guard.pii.vault_postgres",
    "audit": "guard.audit.postgres",
}
# Any constant works; it only has to be the same in every process that migrates.
_LOCK_KEY = 0x6775617264  # "guard"
_LEDGER = """CREATE TABLE IF NOT EXISTS guard_schema_migrations (
    component text NOT NULL,
    version integer NOT NULL,
    description text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (component, version))"""


@dataclass(frozen=True, slots=True)
class Migration:
    component: str
    version: int
    description: str
    statements: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MigrationReport:
    database: str  # the URL without credentials
    applied: tuple[Migration, ...]
    already: tuple[tuple[str, int], ...]


def _statements(value: str | Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def component_migrations(component: str) -> list[Migration]:
    """The migrations a package declares, oldest first."""
    module = importlib.import_module(COMPONENTS[component])
    declared: Any = getattr(module, "MIGRATIONS", None)
    if declared is not None:
        migrations = [Migration(component, int(v), str(d), _statements(s)) for v, d, s in declared]
        return sorted(migrations, key=lambda m: m.version)
    schema = getattr(module, "SCHEMA_SQL", None) or getattr(module, "_SCHEMA", None)
    if schema is None:
        raise ConfigError(f"{COMPONENTS[component]} declares no PostgreSQL schema (MIGRATIONS or SCHEMA_SQL).",
                          hint="This is a packaging bug; please report it.")
    return [Migration(component, 1, "initial schema", _statements(schema))]


def targets(settings: GuardSettings) -> dict[str, list[str]]:
    """PostgreSQL URL -> the components stored there, from the configuration."""
    urls = {"consent": settings.consent.url, "vault": settings.pii.vault_url, "audit": settings.audit.url}
    out: dict[str, list[str]] = {}
    for component, url in urls.items():
        if url and url.startswith(_PG_SCHEMES):
            out.setdefault(url, []).append(component)
    return out


def redact_url(url: str) -> str:
    """The URL without user or password, for messages and logs."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}"


def _connect(url: str) -> Any:
    import psycopg

    try:
        return psycopg.connect(url, connect_timeout=10)
    except psycopg.Error as exc:
        raise StateError(f"Cannot connect to {redact_url(url)} to migrate it ({type(exc).__name__}).",
                         hint="Check the postgresql:// URLs in the configuration and that the server is up.") from None


def _applied(conn: Any) -> set[tuple[str, int]]:
    rows = conn.execute("SELECT component, version FROM guard_schema_migrations").fetchall()
    return {(str(c), int(v)) for c, v in rows}


def pending(url: str, components: Sequence[str]) -> list[Migration]:
    """Migrations not yet applied to the database at `url` (the database is not changed)."""
    import psycopg

    wanted = [m for c in components for m in component_migrations(c)]
    with _connect(url) as conn:
        try:
            exists = conn.execute("SELECT to_regclass('guard_schema_migrations') IS NOT NULL").fetchone()[0]
            done = _applied(conn) if exists else set()
        except psycopg.Error as exc:
            raise StateError(f"Cannot read the migration ledger of {redact_url(url)} ({type(exc).__name__}).",
                             hint="Check the database user's permissions.") from None
    return [m for m in wanted if (m.component, m.version) not in done]


def upgrade(url: str, components: Sequence[str]) -> MigrationReport:
    """Apply every pending migration of `components` to one database, in one transaction."""
    import psycopg

    wanted = [m for c in components for m in component_migrations(c)]
    with _connect(url) as conn:
        try:
            with conn.transaction():
                # Serialises concurrent upgrades (many pods starting); released at commit.
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                conn.execute(_LEDGER)
                done = _applied(conn)
                applied = []
                for migration in wanted:
                    if (migration.component, migration.version) in done:
                        continue
                    for statement in migration.statements:
                        conn.execute(statement)
                    conn.execute("INSERT INTO guard_schema_migrations (component, version, description)"
                                 " VALUES (%s, %s, %s)", (migration.component, migration.version,
                                                          migration.description))
                    applied.append(migration)
        except psycopg.Error as exc:
            raise StateError(f"Migrating {redact_url(url)} failed ({type(exc).__name__}); nothing was changed.",
                             hint="Check the database user's permissions and the server log.") from None
    already = tuple(sorted(done & {(m.component, m.version) for m in wanted}))
    return MigrationReport(redact_url(url), tuple(applied), already)
