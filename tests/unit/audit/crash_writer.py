"""A writer process for the crash test: records decisions until killed (some very large, so a
kill is likely to land in the middle of a write)."""

from __future__ import annotations

import asyncio
import sys

from guard.audit import open_recorder
from guard.core.config import GuardSettings
from guard.core.context import Context
from guard.core.decision import Decision


async def main(data_dir: str) -> None:
    recorder = open_recorder(GuardSettings(data_dir=data_dir))
    index = 0
    while True:
        decision = Decision(context=Context())
        if index % 2:
            decision.notices.append("n" * (4 << 20))  # a 4 MiB record takes a while to write
        await recorder.record(decision)
        index += 1
        if index == 5:
            print("ready", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
