"""The production audit store: PostgreSQL (psycopg 3), same records and chains as the JSONL files.

Each record is one row holding its exact line, plus a few columns extracted for lookups. Rows are
only ever inserted; `pos` (an identity column) keeps storage order, so verification can tell a
reordered or inserted row from a deleted one just as it does for files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from guard.audit.keys import KeyRing
from guard.audit.record import RecordFormatError, parse_line
from guard.audit.sink import ChainData, Witness
from guard.errors import StateError

if TYPE_CHECKING:
    import psycopg

    from guard.audit.chain import Head, Sealed

__all__ = ["SCHEMA_SQL", "PostgresSink", "PostgresSource"]

SCHEMA_SQL = (
    """CREATE TABLE IF NOT EXISTS guard_audit_records (
        pos bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        chain_id text NOT NULL,
        seq bigint NOT NULL,
        ts timestamptz NOT NULL,
        kind text NOT NULL,
        decision_id text,
        tenant text,
        line text NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS guard_audit_records_chain ON guard_audit_records (chain_id, pos)",
    "CREATE INDEX IF NOT EXISTS guard_audit_records_decision ON guard_audit_records (decision_id)",
    "CREATE INDEX IF NOT EXISTS guard_audit_records_ts ON guard_audit_records (ts)",
    """CREATE TABLE IF NOT EXISTS guard_audit_heads (
        chain_id text PRIMARY KEY, head text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())""",
    "CREATE TABLE IF NOT EXISTS guard_audit_keys (kid text PRIMARY KEY, pem text NOT NULL)",
)
_WITNESS_LIMIT = 64


def _connect(url: str) -> psycopg.Connection[Any]:
    import psycopg

    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        raise StateError(f"Cannot connect to the audit database ({type(exc).__name__}).",
                         hint="Check audit.url and that PostgreSQL is reachable.") from None


def _state_error(exc: Exception) -> StateError:
    return StateError(f"The audit database failed ({type(exc).__name__}).",
                      hint="Check PostgreSQL; exchanges are refused until records can be written.")


class PostgresSink:
    """Writes one chain into the guard_audit_* tables (created if missing)."""

    blocking = True

    def __init__(self, url: str, *, fsync: bool = False) -> None:
        self.url = url
        # PostgreSQL makes each committed row durable itself (synchronous_commit); fsync is moot here.
        self.fsync = fsync
        self._conn: psycopg.Connection[Any] | None = None
        self._chain_id = ""

    def start(self, chain_id: str, *, kid: str, public_pem: bytes) -> Witness:
        import psycopg

        self._conn = _connect(self.url)
        self._chain_id = chain_id
        try:
            for statement in SCHEMA_SQL:
                self._conn.execute(statement)
            self._conn.execute("INSERT INTO guard_audit_keys (kid, pem) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                               (kid, public_pem.decode("ascii")))
            rows = self._conn.execute(
                "SELECT chain_id, head FROM guard_audit_heads ORDER BY chain_id DESC LIMIT %s",
                (_WITNESS_LIMIT,)).fetchall()
        except psycopg.Error as exc:
            raise _state_error(exc) from None
        witness: Witness = {}
        for chain, head in rows:
            try:
                doc = json.loads(head)
                witness[chain] = {"seq": int(doc["seq"]), "hash": str(doc["hash"])}
            except (ValueError, KeyError, TypeError):
                continue
        return witness

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None:
            raise StateError("The audit sink was used before start().", hint="This is a bug; please report it.")
        if self._conn.closed or self._conn.broken:
            # PostgreSQL restarted or the link dropped: reconnect (StateError while it is still down).
            # The chain's state lives in the recorder, so the chain simply continues.
            self._conn.close()
            self._conn = _connect(self.url)
        return self._conn

    def write(self, sealed: Sealed) -> None:
        import psycopg

        rec = sealed.rec
        decision = rec.get("decision") if isinstance(rec.get("decision"), dict) else None
        tenant = decision.get("context", {}).get("tenant") if decision else None
        try:
            self._connection().execute(
                "INSERT INTO guard_audit_records (chain_id, seq, ts, kind, decision_id, tenant, line) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (rec["chain"], rec["seq"], rec["ts"], rec["kind"],
                 decision.get("id") if decision else None, tenant, sealed.line.decode("utf-8").rstrip("\n")),
            )
        except psycopg.Error as exc:
            raise _state_error(exc) from None

    def stored(self, sealed: Sealed) -> bool:
        import psycopg

        try:
            row = self._connection().execute(
                "SELECT 1 FROM guard_audit_records WHERE chain_id = %s AND seq = %s AND line = %s LIMIT 1",
                (sealed.rec["chain"], sealed.seq, sealed.line.decode("utf-8").rstrip("\n")),
            ).fetchone()
        except psycopg.Error as exc:
            raise _state_error(exc) from None
        return row is not None

    def checkpoint(self, head: Head) -> None:
        import psycopg

        try:
            self._connection().execute(
                "INSERT INTO guard_audit_heads (chain_id, head) VALUES (%s, %s) "
                "ON CONFLICT (chain_id) DO UPDATE SET head = excluded.head, updated_at = now()",
                (head.chain, head.to_bytes().decode("utf-8")),
            )
        except psycopg.Error as exc:
            raise _state_error(exc) from None

    def find(self, decision_id: str) -> dict[str, Any] | None:
        import psycopg

        conn = _connect(self.url)  # own connection: called from a worker thread beside writes
        try:
            row = conn.execute("SELECT line FROM guard_audit_records WHERE decision_id = %s LIMIT 1",
                               (decision_id,)).fetchone()
        except psycopg.Error as exc:
            raise _state_error(exc) from None
        finally:
            conn.close()
        if row is None:
            return None
        try:
            doc = parse_line(row[0].encode("utf-8")).rec.get("decision")
        except RecordFormatError:
            return None
        return doc if isinstance(doc, dict) else None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class PostgresSource:
    """Reads every chain from the guard_audit_* tables, rows in insertion order."""

    def __init__(self, url: str, *, trusted_keys: Any = None) -> None:
        self.url = url
        self.trusted_keys = trusted_keys

    def describe(self) -> str:
        return self.url.split("@")[-1]  # never echo a password

    def keyring(self) -> KeyRing:
        if self.trusted_keys is not None:
            return KeyRing.from_dir(self.trusted_keys)
        ring = KeyRing()
        with _connect(self.url) as conn:
            for (pem,) in conn.execute("SELECT pem FROM guard_audit_keys").fetchall():
                try:
                    ring.add_pem(pem.encode("ascii"))
                except ValueError:
                    continue
        return ring

    def chains(self) -> list[ChainData]:
        import psycopg

        try:
            with _connect(self.url) as conn:
                ids = [row[0] for row in conn.execute(
                    "SELECT DISTINCT chain_id FROM guard_audit_records ORDER BY chain_id").fetchall()]
                heads = dict(conn.execute("SELECT chain_id, head FROM guard_audit_heads").fetchall())
        except psycopg.errors.UndefinedTable:
            return []
        except psycopg.Error as exc:
            raise _state_error(exc) from None
        return [self._chain(chain, heads.get(chain)) for chain in ids]

    def _chain(self, chain: str, head: str | None) -> ChainData:
        return ChainData(
            chain_id=chain,
            lines=lambda: self._lines(chain),
            first_line=lambda: self._first(chain),
            head=head.encode("utf-8") if head else None,
            units=(chain,),
        )

    def read_unit(self, unit: str) -> Iterator[tuple[str, bytes]]:
        return self._lines(unit)

    def _lines(self, chain: str) -> Iterator[tuple[str, bytes]]:
        conn = _connect(self.url)
        try:
            # a named (server-side) cursor streams rows instead of loading the whole chain; it
            # needs a transaction, so this connection leaves autocommit
            conn.autocommit = False
            with conn.cursor(name=f"audit_{chain[:8]}") as cursor:
                cursor.itersize = 5000
                cursor.execute("SELECT pos, line FROM guard_audit_records WHERE chain_id = %s ORDER BY pos",
                               (chain,))
                for pos, line in cursor:
                    yield f"row pos={pos}", line.encode("utf-8") + b"\n"
        finally:
            conn.close()

    def _first(self, chain: str) -> bytes | None:
        with _connect(self.url) as conn:
            row = conn.execute("SELECT line FROM guard_audit_records WHERE chain_id = %s ORDER BY pos LIMIT 1",
                               (chain,)).fetchone()
        return row[0].encode("utf-8") + b"\n" if row else None
