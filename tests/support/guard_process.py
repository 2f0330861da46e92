"""Run `guard serve` as a real process (one or several uvicorn workers) for multi-worker tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.servers import free_port

GUARD = str(Path(sys.executable).with_name("guard"))


@contextmanager
def guard_serve(config: Path, *, workers: int = 1, log: Path | None = None, timeout: float = 120.0,
                env: dict[str, str] | None = None) -> Iterator[str]:
    """Start `guard serve --config FILE --workers N` on a free port; yield its URL once /readyz is 200."""
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GUARD_")}, **(env or {})}
    out = open(log or os.devnull, "wb")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen([GUARD, "serve", "--config", str(config), "--port", str(port), "--workers", str(workers)],
                            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:] if log else ""
                raise RuntimeError(f"guard serve exited with status {proc.returncode}:\n{tail}")
            try:
                if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("guard serve was not ready in time")
            time.sleep(0.2)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        out.close()
