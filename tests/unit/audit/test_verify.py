"""Tampering with a stored chain in each of the five ways is caught, and the record is named."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from guard.audit.canonical import sha256_hex
from guard.audit.keys import SigningKey
from guard.audit.record import encode_line, parse_line
from guard.core.config import GuardSettings

from .stores import JsonlStore, PostgresStore, Store, check, write_chain

N = 12  # decisions; the chain holds seq 0 (start) .. 12 (decisions) and 13 (end)


@pytest.fixture(params=["jsonl", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, settings: GuardSettings) -> Store:
    if request.param == "jsonl":
        return JsonlStore(settings)
    url = request.getfixturevalue("pg_url")
    return PostgresStore(settings.model_copy(update={"audit": settings.audit.model_copy(update={"url": url})}))


def _tampered(store: Store, change: Callable[[list[bytes]], list[bytes]]) -> tuple[str, list[str]]:
    recorder = write_chain(store.settings, N)
    chain = recorder.chain_id
    store.rewrite(chain, change(store.lines(chain)))
    result = check(store.settings)
    assert not result.ok
    return chain, [f"{p.kind}:{p.seq}:{p.message}" for p in result.all_problems]


def test_untouched_chain_verifies(store: Store) -> None:
    """A chain written and closed by the recorder verifies, fast and with every signature."""
    write_chain(store.settings, N)
    for full in (False, True):
        result = check(store.settings, full=full)
        assert result.ok, result.all_problems
        assert result.records == N + 2
        assert result.chains[0].closed


def test_modified_record_is_named(store: Store) -> None:
    """Editing a record's content is reported as that record, modified."""
    def change(lines: list[bytes]) -> list[bytes]:
        lines[5] = lines[5].replace(b'"action":"pass"', b'"action":"block"')
        return lines

    _chain, problems = _tampered(store, change)
    assert len(problems) == 1
    assert problems[0].startswith("modified:5:Record seq 5")


def test_modified_and_rehashed_record_is_named(store: Store) -> None:
    """Re-hashing an edited record (and all after it) still fails its signature: the first is named."""
    def change(lines: list[bytes]) -> list[bytes]:
        forger = SigningKey.from_private(Ed25519PrivateKey.generate())
        prev = parse_line(lines[4]).hash
        out = lines[:5]
        for line in lines[5:]:
            env = parse_line(line)
            rec = dict(env.rec, prev=prev)
            if env.seq == 5:
                rec["decision"] = dict(rec["decision"], action="block")
            new, prev = encode_line(rec, kid=env.kid, sign=forger.sign)
            out.append(new)
        return out

    _chain, problems = _tampered(store, change)
    modified = [p for p in problems if p.startswith("modified:")]
    assert modified[0].startswith("modified:5:")
    assert "signature" in modified[0]
    assert len(modified) == 1  # the re-hashed followers are folded into the one finding


def test_deleted_record_is_named(store: Store) -> None:
    """Removing a record is reported as that seq, deleted, with where it was."""
    _chain, problems = _tampered(store, lambda lines: lines[:7] + lines[8:])
    assert problems == [problems[0]]
    assert problems[0].startswith("deleted:7:Record seq 7 was deleted (between")


def test_inserted_copy_is_named(store: Store) -> None:
    """Replaying a genuine record a second time is reported as an insertion of that copy."""
    _chain, problems = _tampered(store, lambda lines: [*lines[:9], lines[3], *lines[9:]])
    assert len(problems) == 1
    assert problems[0].startswith("inserted:3:")
    assert "second copy of seq 3" in problems[0]


def test_inserted_forgery_is_named(store: Store) -> None:
    """A forged record claiming an existing seq is reported as inserted, not as a modification."""
    def change(lines: list[bytes]) -> list[bytes]:
        forger = SigningKey.from_private(Ed25519PrivateKey.generate())
        rec = dict(parse_line(lines[6]).rec)
        rec["decision"] = dict(rec["decision"], action="block")
        forged, _ = encode_line(rec, kid=parse_line(lines[6]).kid, sign=forger.sign)
        return [*lines[:7], forged, *lines[7:]]

    _chain, problems = _tampered(store, change)
    assert len(problems) == 1
    assert problems[0].startswith("inserted:6:")
    assert "forged" in problems[0]


def test_reordered_records_are_named(store: Store) -> None:
    """Swapping two records is reported as a reordering that names one of them."""
    def change(lines: list[bytes]) -> list[bytes]:
        lines[4], lines[5] = lines[5], lines[4]
        return lines

    _chain, problems = _tampered(store, change)
    assert len(problems) == 1
    kind, seq, _message = problems[0].split(":", 2)
    assert kind == "reordered"
    assert seq in {"4", "5"}


def test_truncated_chain_is_detected_by_its_checkpoint(store: Store) -> None:
    """Cutting the newest records (close record included) is caught by the signed checkpoint."""
    _chain, problems = _tampered(store, lambda lines: lines[:-3])
    assert len(problems) == 1
    assert problems[0].startswith(f"truncated:{N - 1}:The chain was truncated after seq {N - 2}")


def test_sha256_helper_is_plain_sha256() -> None:
    """The chain hash is ordinary SHA-256 in hex, so any tool can recompute it."""
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.slow
def test_parallel_verification_agrees_with_sequential(settings: GuardSettings,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading segments in worker processes finds the same chains, counts and problems."""
    import guard.audit.verify as verify_module

    monkeypatch.setattr(verify_module, "_PARALLEL_BYTES", 0)
    small = settings.model_copy(update={"audit": settings.audit.model_copy(update={"rotate_bytes": 3000})})
    recorder = write_chain(small, 30)
    write_chain(small, 5)
    clean = [check(small, workers=w).to_document() for w in (1, 2)]
    assert clean[0] == clean[1]
    assert clean[0]["ok"]
    store = JsonlStore(small)
    lines = store.lines(recorder.chain_id)
    store.rewrite(recorder.chain_id, lines[:10] + lines[11:])
    broken = [check(small, workers=w).to_document() for w in (1, 2)]
    assert broken[0] == broken[1]
    assert [p["kind"] for p in broken[0]["problems"]] == ["deleted"]


def test_verifying_a_log_while_it_is_written_finds_no_problem(settings: GuardSettings) -> None:
    """A live writer (rotating segments, appending checkpoints) never makes verification fail."""
    import threading

    from guard.audit import open_recorder

    from .conftest import make_decision

    live = settings.model_copy(update={"audit": settings.audit.model_copy(
        update={"rotate_bytes": 6000, "checkpoint_every": 3})})
    recorder = open_recorder(live)
    decision = make_decision()
    doc = decision.to_document()
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            recorder.append("decision", {"decision": doc})

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for _ in range(15):
            result = check(live)
            assert result.ok, result.all_problems
    finally:
        stop.set()
        writer.join()
        recorder.close()
    assert check(live, full=True).ok
