"""Child process for test_audit_faults: a real proxy whose audit file hits a size limit (EFBIG), like a full disk.

Prints one JSON line: the statuses before, during and after the limit, and the decision ids that
were answered 200. RLIMIT_FSIZE applies to the whole process, so this runs apart from pytest.
"""

from __future__ import annotations

import asyncio
import json
import resource
import signal
import sys
from pathlib import Path

import httpx

from guard._guard import Guard
from guard.audit import audit_root, open_recorder
from guard.core.config import GuardSettings
from guard.demo.model_server import ScriptedModel
from guard.proxy import create_app


def segment_size(root: Path) -> int:
    return max((p.stat().st_size for p in root.rglob("*.jsonl")), default=0)


async def main(state: str) -> None:
    settings = GuardSettings(data_dir=state)
    settings.upstreams.openai.base_url = "http://upstream.test/v1"
    settings.upstreams.openai.api_key_env = None
    settings.audit.checkpoint_every = 1_000_000  # only records grow the segment while the limit holds
    guard = Guard(settings, recorder=open_recorder(settings))
    app = create_app(settings, guard=guard, upstream_transport=httpx.ASGITransport(app=ScriptedModel().app()))
    body = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}
    out: dict[str, list[object]] = {"before": [], "during": [], "after": [], "ok_ids": []}
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://proxy.test") as client:

        async def send(phase: str) -> None:
            response = await client.post("/v1/chat/completions", json=body)
            out[phase].append(response.status_code)
            if response.status_code == 200:
                out["ok_ids"].append(response.headers["x-guard-decision"])
            else:
                out.setdefault(phase + "_codes", []).append(response.json()["error"]["code"])

        for _ in range(3):
            await send("before")
        size = segment_size(audit_root(settings))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        # Room for part of one more record: the next write is torn, the ones after fail outright.
        resource.setrlimit(resource.RLIMIT_FSIZE, (size + 200, hard))
        try:
            for _ in range(3):
                await send("during")
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        for _ in range(3):
            await send("after")
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
