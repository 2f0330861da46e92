"""A writer killed mid-write (real process, SIGKILL) leaves a log that verifies up to its last whole
record; the next start moves the torn tail aside."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from guard.audit import open_recorder
from guard.audit.jsonl import SEGMENT_GLOB, JsonlSource
from guard.audit.verify import verify
from guard.core.config import GuardSettings

from .stores import write_chain

WRITER = Path(__file__).with_name("crash_writer.py")


def _kill_writer_mid_write(data_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with subprocess.Popen([sys.executable, str(WRITER), str(data_dir)], stdout=subprocess.PIPE, env=env) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == b"ready"
            _wait_for_a_write_in_progress(data_dir / "audit", deadline=time.monotonic() + 10)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


def _wait_for_a_write_in_progress(root: Path, *, deadline: float) -> None:
    """Return as soon as the newest segment ends mid-line: a big write is being copied in right now."""
    while time.monotonic() < deadline:
        segments = sorted(root.glob("chains/*/" + SEGMENT_GLOB))
        if segments:
            with segments[-1].open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size and os.pread(handle.fileno(), 1, size - 1) != b"\n":
                    return


def _whole_lines(root: Path) -> int:
    return sum(path.read_bytes().count(b"\n") for path in root.glob("chains/*/" + SEGMENT_GLOB))


@pytest.mark.slow
def test_killed_writer_log_verifies_up_to_the_last_whole_record(tmp_path: Path) -> None:
    """After SIGKILL the chain verifies (torn tail only warned about), and the next start repairs it."""
    root = tmp_path / "audit"
    torn_seen = False
    for _attempt in range(5):  # a kill between two writes leaves no tear; try again for one that does
        data_dir = tmp_path / f"run{_attempt}"
        root = data_dir / "audit"
        _kill_writer_mid_write(data_dir)
        result = verify(JsonlSource(root))
        assert result.ok, result.all_problems
        assert result.records == _whole_lines(root)
        assert result.records >= 6
        warnings = " ".join(result.chains[0].warnings)
        assert "not closed" in warnings
        if "Torn last line" in warnings:
            torn_seen = True
            break
    assert torn_seen, "no kill landed mid-write in 5 attempts"
    restarted = open_recorder(GuardSettings(data_dir=str(data_dir)))
    restarted.close()
    after = verify(JsonlSource(root))
    assert after.ok
    assert not any("Torn" in w for chain in after.chains for w in chain.warnings)
    assert list(root.glob("chains/*/torn-*.bin"))


def test_torn_tail_of_a_live_writer_is_left_alone(settings: GuardSettings) -> None:
    """A chain whose writer still holds its lock is not repaired by another starting writer."""
    live = open_recorder(settings)
    chain_dir = Path(settings.data_dir) / "audit" / "chains" / live.chain_id
    segment = next(chain_dir.glob(SEGMENT_GLOB))
    with segment.open("ab") as handle:
        handle.write(b'{"v":1,"hash":"partial')
    other = open_recorder(settings)
    assert segment.read_bytes().endswith(b'"partial')
    other.close()
    live.close()


def test_torn_tail_of_a_dead_writer_is_moved_aside(settings: GuardSettings) -> None:
    """A dead writer's incomplete last line is cut off and kept in torn-*.bin; earlier lines stay intact."""
    dead = write_chain(settings, 3, close=False)
    dead.sink.close()  # the process "died": its lock is released without a close record
    chain_dir = Path(settings.data_dir) / "audit" / "chains" / dead.chain_id
    segment = next(chain_dir.glob(SEGMENT_GLOB))
    before = segment.read_bytes()
    segment.write_bytes(before + b'{"v":1,"hash":"partial')
    restarted = open_recorder(settings)
    restarted.close()
    assert segment.read_bytes() == before
    assert (chain_dir / f"torn-{segment.stem}.bin").read_bytes() == b'{"v":1,"hash":"partial'
