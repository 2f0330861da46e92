"""The record stage: what it writes, how it serves decisions back, and how it starts and stops."""

from __future__ import annotations

import asyncio
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from guard.audit import open_recorder
from guard.audit.chain import Sealed
from guard.audit.jsonl import SEGMENT_GLOB, JsonlSink
from guard.audit.keys import SigningKey
from guard.audit.recorder import AuditRecorder
from guard.core.config import GuardSettings
from guard.core.stage import Recorder
from guard.errors import BadRequest, ConfigError, StateError

from .conftest import make_decision
from .stores import JsonlStore, check, write_chain


def _audit(settings: GuardSettings, **update: object) -> GuardSettings:
    return settings.model_copy(update={"audit": settings.audit.model_copy(update=update)})


@pytest.fixture(params=["jsonl", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_settings(request: pytest.FixtureRequest, settings: GuardSettings) -> GuardSettings:
    if request.param == "jsonl":
        return settings
    return _audit(settings, url=request.getfixturevalue("pg_url"))


def test_recorder_keeps_the_protocol(settings: GuardSettings) -> None:
    """open_recorder returns a guard.core.stage.Recorder."""
    recorder = open_recorder(settings)
    assert isinstance(recorder, Recorder)
    recorder.close()


async def test_get_serves_recent_and_stored_decisions(any_settings: GuardSettings) -> None:
    """get() finds a decision from memory and, for another worker's or an old one, from the store."""
    writer = open_recorder(any_settings)
    decision = make_decision(1, tenant="acme")
    await writer.record(decision)
    assert (await writer.get(decision.id)) == decision.to_document()
    other_worker = open_recorder(_audit(any_settings, recent=0))
    stored = await other_worker.get(decision.id, tenant="acme")
    assert stored is not None
    assert stored["id"] == decision.id
    assert stored["explanation"] == decision.to_document()["explanation"]
    await writer.aclose()
    await other_worker.aclose()


async def test_get_is_tenant_scoped(any_settings: GuardSettings) -> None:
    """Another tenant, or an unknown id, gets None."""
    recorder = open_recorder(any_settings)
    decision = make_decision(tenant="acme")
    await recorder.record(decision)
    assert await recorder.get(decision.id, tenant="globex") is None
    assert await recorder.get("01900000-0000-7000-8000-000000000000") is None
    assert await recorder.get("not-a-uuid") is None
    await recorder.aclose()


async def test_events_are_chained_and_return_a_receipt(any_settings: GuardSettings) -> None:
    """append_event seals a non-exchange record into the same chain and returns its place in it."""
    recorder = open_recorder(any_settings)
    receipt = await recorder.append_event("consent.granted", {"subject_hash": "ab" * 32, "purpose": "training"})
    assert receipt["chain"] == recorder.chain_id
    assert receipt["seq"] == 1
    await recorder.aclose()
    assert check(any_settings, full=True).ok


async def test_event_kind_and_payload_are_validated(settings: GuardSettings) -> None:
    """Event kinds are dotted snake-case names and payloads plain JSON."""
    recorder = open_recorder(settings)
    with pytest.raises(BadRequest, match="dotted"):
        await recorder.append_event("Consent Granted", {})
    with pytest.raises(BadRequest, match="plain JSON"):
        await recorder.append_event("x.y", {"when": object()})
    await recorder.aclose()


async def test_concurrent_records_form_one_valid_chain(settings: GuardSettings) -> None:
    """Many exchanges recorded at once still produce one gap-free chain."""
    recorder = open_recorder(_audit(settings, checkpoint_every=7))
    await asyncio.gather(*(recorder.record(make_decision(i)) for i in range(200)))
    await recorder.aclose()
    result = check(settings, full=True)
    assert result.ok
    assert result.records == 202


def test_segments_rotate_by_size(settings: GuardSettings) -> None:
    """Past rotate_bytes a new segment starts; the chain still verifies across files."""
    small = _audit(settings, rotate_bytes=4000)
    recorder = write_chain(small, 20)
    chain_dir = Path(settings.data_dir) / "audit" / "chains" / recorder.chain_id
    assert len(list(chain_dir.glob(SEGMENT_GLOB))) > 3
    assert check(small).ok


def test_segments_rotate_by_day(tmp_path: Path) -> None:
    """A record from a new UTC day opens a new segment named for that day."""
    key = SigningKey.from_private(Ed25519PrivateKey.generate())
    recorder = AuditRecorder(JsonlSink(tmp_path), key)
    for ts in ("2026-01-01T23:59:59Z", "2026-01-02T00:00:01Z"):
        recorder.sink.write(recorder.chain.seal("event", {"event": {"type": "t", "payload": {}}}, ts=ts))
    recorder.close()
    names = sorted(p.name for p in (tmp_path / "chains" / recorder.chain_id).glob(SEGMENT_GLOB))
    # start record (today), the two dated records, the end record (today again)
    assert [name.split("-")[1] for name in names][1:3] == ["20260101.jsonl", "20260102.jsonl"]


def test_default_key_is_created_private(settings: GuardSettings) -> None:
    """With no key configured, one is made under data_dir with mode 0600 and reused."""
    first = open_recorder(settings)
    first.close()
    path = Path(settings.data_dir) / "audit-signing.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = open_recorder(settings)
    second.close()
    assert first.chain.key.kid == second.chain.key.kid


def test_configured_key_missing_is_a_config_error(settings: GuardSettings, tmp_path: Path) -> None:
    """A configured key file that does not exist stops start-up with a ConfigError."""
    with pytest.raises(ConfigError, match="does not exist"):
        open_recorder(_audit(settings, signing_key_file=str(tmp_path / "missing.pem")))


@pytest.mark.parametrize("content", [b"garbage", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"])
def test_configured_key_wrong_is_a_config_error(settings: GuardSettings, tmp_path: Path, content: bytes) -> None:
    """A configured key file that is not an Ed25519 PEM key stops start-up with a ConfigError."""
    bad = tmp_path / "bad.pem"
    bad.write_bytes(content)
    with pytest.raises(ConfigError, match="not an unencrypted PEM"):
        open_recorder(_audit(settings, signing_key_file=str(bad)))


def test_rsa_key_is_refused(settings: GuardSettings, tmp_path: Path) -> None:
    """A PEM key of another algorithm is refused by name."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path = tmp_path / "ec.pem"
    path.write_bytes(pem)
    with pytest.raises(ConfigError, match="not an Ed25519 key"):
        open_recorder(_audit(settings, signing_key_file=str(path)))


def test_records_hold_no_subject_or_message_text(settings: GuardSettings) -> None:
    """The stored decision has no subject id, conversation id or message text."""
    from guard.core.context import Context
    from guard.core.decision import Decision

    async def run() -> str:
        recorder = open_recorder(settings)
        decision = Decision(context=Context(subject="subject-Zq81", conversation="conv-Pw77"))
        await recorder.record(decision)
        await recorder.aclose()
        return recorder.chain_id

    chain = asyncio.run(run())
    stored = b"".join(JsonlStore(settings).lines(chain))
    assert b"subject-Zq81" not in stored
    assert b"conv-Pw77" not in stored


def test_witness_catches_truncation_when_the_checkpoint_is_gone(settings: GuardSettings) -> None:
    """A later writer's start record vouches for earlier chains' heads, so deleting records and the
    checkpoint together is still caught."""
    first = write_chain(settings, 6)
    write_chain(settings, 1)  # starts after the first closed: witnesses its head
    store = JsonlStore(settings)
    store.rewrite(first.chain_id, store.lines(first.chain_id)[:-3])
    (Path(settings.data_dir) / "audit" / "chains" / first.chain_id / "heads.jsonl").unlink()
    problems = check(settings).all_problems
    assert [(p.kind, p.chain) for p in problems] == [("truncated", first.chain_id)]


def test_deleted_chain_is_caught_by_its_witness(settings: GuardSettings) -> None:
    """Removing a whole chain directory is reported as a deleted chain."""
    import shutil

    first = write_chain(settings, 2)
    write_chain(settings, 1)
    shutil.rmtree(Path(settings.data_dir) / "audit" / "chains" / first.chain_id)
    problems = check(settings).all_problems
    assert [(p.kind, p.chain) for p in problems] == [("deleted", first.chain_id)]


def test_torn_checkpoint_line_falls_back_to_the_previous_one(settings: GuardSettings) -> None:
    """A crash while appending a checkpoint leaves the earlier checkpoints usable."""
    recorder = write_chain(settings, 3)
    heads_path = Path(settings.data_dir) / "audit" / "chains" / recorder.chain_id / "heads.jsonl"
    with heads_path.open("ab") as handle:
        handle.write(b'{"chain":"torn')
    assert check(settings).ok


def test_head_checkpoint_is_signed(settings: GuardSettings) -> None:
    """Editing the checkpoint file (to hide a truncation) breaks its signature."""
    recorder = write_chain(settings, 2)
    heads_path = Path(settings.data_dir) / "audit" / "chains" / recorder.chain_id / "heads.jsonl"
    lines = heads_path.read_bytes().splitlines()
    head = json.loads(lines[-1])
    head["seq"] = 1
    heads_path.write_bytes(b"\n".join([*lines[:-1], json.dumps(head).encode()]) + b"\n")
    problems = check(settings).all_problems
    assert [p.kind for p in problems] == ["modified"]
    assert "checkpoint" in problems[0].message


def test_evidence_and_noted_values_are_scrubbed_before_storage(settings: GuardSettings) -> None:
    """Defence in depth: a personal value that slipped into a finding or a message is masked in the log."""
    from guard.core.decision import Finding, Reason
    from guard.logging import personal_values

    async def run() -> str:
        recorder = open_recorder(settings)
        decision = make_decision()
        decision.findings.append(Finding(detector="tactics", label="guilt", score=0.8, start=0, end=9,
                                         evidence="Rosalind, write to ros@example.org"))
        decision.add_reason(Reason(id="x", message="About Rosalind Quiggley."))
        with personal_values(["Rosalind Quiggley", "Rosalind"]):
            await recorder.record(decision)
        stored = await recorder.get(decision.id)
        assert stored is not None
        assert "Rosalind" not in json.dumps(stored)
        await recorder.aclose()
        return recorder.chain_id

    chain = asyncio.run(run())
    data = b"".join(JsonlStore(settings).lines(chain))
    assert b"Rosalind" not in data
    assert b"ros@example.org" not in data


def _uuid7_at(moment: datetime) -> str:
    import uuid

    ms = int(moment.timestamp() * 1000)
    return str(uuid.UUID(int=(ms << 80) | (0x7 << 76) | (0x2 << 62) | 1))


def test_lookup_finds_old_decisions_in_their_days_segment(tmp_path: Path) -> None:
    """A decision from days ago is found in its day's segment; today's is found without reading older ones."""
    from guard.audit.jsonl import find_decision

    key = SigningKey.from_private(Ed25519PrivateKey.generate())
    recorder = AuditRecorder(JsonlSink(tmp_path), key, recent=0)
    today = datetime.now(UTC)
    ids = {}
    for offset in (-3, -1, 0):
        moment = today + timedelta(days=offset)
        ids[offset] = _uuid7_at(moment)
        doc = {"id": ids[offset], "context": {"tenant": "default"}}
        recorder.sink.write(recorder.chain.seal("decision", {"decision": doc},
                                                ts=moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")))
    recorder.close()
    for offset, decision_id in ids.items():
        assert find_decision(tmp_path, decision_id) == {"id": decision_id, "context": {"tenant": "default"}}, offset
    for segment in (tmp_path / "chains" / recorder.chain_id).glob(SEGMENT_GLOB):
        if segment.stem.endswith((today - timedelta(days=3)).strftime("%Y%m%d")):
            segment.write_bytes(b"")  # today's lookup must not depend on it
    assert find_decision(tmp_path, ids[0]) is not None
    assert find_decision(tmp_path, ids[-3]) is None


class _LostAckSink(JsonlSink):
    """Stores the 3rd record but then reports failure, like a database whose commit answer was lost;
    while `down`, it cannot even be asked."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.writes = 0
        self.down = False
        self.lines: list[bytes] = []

    def write(self, sealed: Sealed) -> None:
        if self.down:
            raise StateError("down", hint="wait")
        super().write(sealed)
        self.lines.append(sealed.line)
        self.writes += 1
        if self.writes == 3:
            self.down = True
            raise StateError("connection lost after commit", hint="retry")

    def stored(self, sealed: Sealed) -> bool:
        if self.down:
            raise StateError("down", hint="wait")
        return sealed.line in self.lines


def test_a_record_committed_before_the_link_broke_stays_in_the_chain(tmp_path: Path) -> None:
    """After a write whose outcome was unknown, the recorder asks again before sealing the next record."""
    sink = _LostAckSink(tmp_path)
    recorder = AuditRecorder(sink, SigningKey.from_private(Ed25519PrivateKey.generate()))
    recorder.append("event", {"event": {"type": "a", "payload": {}}})
    with pytest.raises(StateError):
        recorder.append("event", {"event": {"type": "b", "payload": {}}})  # stored, but reported failed
    with pytest.raises(StateError):
        recorder.append("event", {"event": {"type": "c", "payload": {}}})  # still cannot tell: refused
    sink.down = False
    recorder.append("event", {"event": {"type": "d", "payload": {}}})
    recorder.close()
    from guard.audit.jsonl import JsonlSource
    from guard.audit.verify import verify

    result = verify(JsonlSource(tmp_path), full=True)
    assert result.ok, result.all_problems
    kinds = [line for line in b"".join(sink.lines).split(b"\n") if b'"type":"' in line]
    assert [k.split(b'"type":"')[1][:1] for k in kinds] == [b"a", b"b", b"d"]


def test_workers_starting_together_share_one_default_key(settings: GuardSettings) -> None:
    """Several writers creating the default key at once all end up with the same, complete key."""
    from concurrent.futures import ThreadPoolExecutor

    from guard.audit import open_signing_key_for

    with ThreadPoolExecutor(8) as pool:
        kids = set(pool.map(lambda _: open_signing_key_for(settings).kid, range(16)))
    assert len(kids) == 1
    assert not list(Path(settings.data_dir).glob(".*.tmp"))


def test_fsync_mode_writes_a_verifiable_chain(settings: GuardSettings) -> None:
    """With audit.fsync every record and checkpoint is flushed to disk; the chain is the same."""
    durable = _audit(settings, fsync=True, checkpoint_every=2)
    write_chain(durable, 5)
    result = check(durable, full=True)
    assert result.ok
    assert result.records == 7
