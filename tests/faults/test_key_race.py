"""Workers starting at the same moment with no key yet all end up with the same, complete key."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from guard.core.subjects import load_or_create_key


def _load(path: str, start: multiprocessing.synchronize.Barrier, out: multiprocessing.Queue[bytes]) -> None:
    start.wait()
    out.put(load_or_create_key(Path(path)))


def test_concurrent_first_starts_share_one_complete_key(tmp_path: Path) -> None:
    """Twelve processes race to create the key file: one wins, every other reads the winner's 32 bytes."""
    ctx = multiprocessing.get_context("fork")
    for attempt in range(5):
        path = tmp_path / f"subject-{attempt}.key"
        start, out = ctx.Barrier(12), ctx.Queue()
        workers = [ctx.Process(target=_load, args=(str(path), start, out)) for _ in range(12)]
        for worker in workers:
            worker.start()
        keys = [out.get(timeout=30) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
        assert {len(key) for key in keys} == {32}
        assert len(set(keys)) == 1
        assert path.read_bytes() == keys[0]
        assert not list(tmp_path.glob(".*.tmp")), "a temporary key file was left behind"
