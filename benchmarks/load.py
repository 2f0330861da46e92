"""Load benchmark: the proxy's added latency, throughput and memory under many concurrent clients.

    python benchmarks/load.py [--quick] [--delay 0.5] [--requests 2000] [--json benchmarks/results/load.json]

Three processes talk over real loopback HTTP:

- a stand-in model upstream (this file, `_upstream` sub-command) that answers every Chat
  Completions request after a fixed delay, as JSON or as an SSE stream of ~30 chunks;
- the proxy, started as `guard serve --workers N` with the full default pipeline (policy, PII
  redaction with spaCy NER, manipulation detection, restore, signed JSONL audit);
- the clients (this process, aiohttp): closed-loop, each sends its next request when the last
  one is answered; every message is ~300 characters, some with names, e-mails or phone numbers.

For each (mode, clients, workers) the same clients first talk to the upstream directly, then
through the proxy, in the same run; the added latency is the difference of the percentiles
(p50/p95/p99 proxy minus p50/p95/p99 direct; for streams, to the last byte). Peak memory is the
largest summed RSS of the proxy's processes during the run. The memory-growth run sends 20,000
exchanges through one worker and samples RSS every 1,000.

The clients share the machine's cores with the proxy, so on a small machine the figures include
that contention; the JSON records the CPU count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "load.json"
MESSAGE_CHARS = 300

# -- the stand-in upstream --------------------------------------------------------------------------

_REPLY = ("I hear you, and it makes sense that today felt heavy. It can help to write down what went well, "
          "even small things, and to plan one kind thing for yourself tomorrow. If you want, tell me more "
          "about what happened at work and we can think it through together, step by step, at your pace.")


def upstream_app(delay: float) -> Any:
    """A minimal raw-ASGI Chat Completions server: fixed delay, then JSON or ~30 SSE chunks."""
    words = _REPLY.split(" ")
    pieces = [" ".join(words[i:i + 2]) + " " for i in range(0, len(words), 2)]

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        payload = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "bench",
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return b"data: " + json.dumps(payload).encode() + b"\n\n"

    completion = json.dumps({
        "id": "c", "object": "chat.completion", "created": 0, "model": "bench",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": _REPLY}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 80, "completion_tokens": 60, "total_tokens": 140}}).encode()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        stream = b'"stream": true' in body or b'"stream":true' in body
        await asyncio.sleep(delay)
        if not stream:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": completion})
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")]})
        await send({"type": "http.response.body", "body": chunk({"role": "assistant", "content": ""}),
                    "more_body": True})
        for piece in pieces:
            await send({"type": "http.response.body", "body": chunk({"content": piece}), "more_body": True})
        await send({"type": "http.response.body", "body": chunk({}, "stop") + b"data: [DONE]\n\n"})

    return app


def run_upstream(port: int, delay: float) -> None:
    import uvicorn

    uvicorn.run(upstream_app(delay), host="127.0.0.1", port=port, log_level="error", backlog=4096,
                loop="uvloop", http="httptools", lifespan="on")


# -- messages ----------------------------------------------------------------------------------------

_NAMES = ["Maria Lopez", "James Okafor", "Aiko Tanaka", "Lukas Becker", "Priya Raman", "Sofia Rossi"]
_OPENERS = [
    "I had a long day at work and my manager ignored my ideas again in the weekly meeting.",
    "Can you help me plan a quiet weekend? I want to read, cook something new and call my sister.",
    "I keep thinking about the exam next month and whether I studied the right chapters.",
    "My neighbour's dog barked all night, so I am tired and a bit grumpy this morning.",
]
_PII = [
    "By the way, I'm {name} and you can reach me at {email} if that matters.",
    "My friend {name} said I should call her on 415-555-{num:04d} tonight.",
    "Nothing personal here, just thinking out loud about routines and sleep.",
    "Nothing personal here, just wondering how other people cope with busy weeks.",
]


def make_messages(count: int, seed: int = 7) -> list[str]:
    """Deterministic ~300-character user messages; half mention a name, e-mail or phone number."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        name = rng.choice(_NAMES)
        email = name.lower().replace(" ", ".") + "@example.com"
        text = rng.choice(_OPENERS) + " " + rng.choice(_PII).format(name=name, email=email, num=rng.randrange(10000))
        filler = " I would love a short, kind answer with one practical suggestion for today."
        while len(text) < MESSAGE_CHARS:
            text += filler
        out.append(text[:MESSAGE_CHARS])
    return out


# -- processes and memory ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry))
    return kids


def tree_rss_mb(pid: int) -> float:
    """Summed resident memory of a process and all its descendants (Linux /proc)."""
    total_kb = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
        todo.extend(_children(current))
    return total_kb / 1024


class PeakMemory:
    """Samples a process tree's RSS in a thread; `peak` is the largest seen."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        self.pid, self.every, self.peak = pid, every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            self._stop.wait(self.every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with status {proc.returncode} before it was ready")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} was not ready after {timeout} s")


@contextmanager
def process(args: list[str], ready_url: str, *, env: dict[str, str] | None = None,
            log: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_ready(ready_url, proc)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if log:
            out.close()  # type: ignore[union-attr]


@contextmanager
def upstream(delay: float) -> Iterator[str]:
    port = free_port()
    with process([sys.executable, __file__, "_upstream", "--port", str(port), "--delay", str(delay)],
                 f"http://127.0.0.1:{port}/healthz-any"):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def proxy(upstream_url: str, workers: int, state: Path,
          overrides: dict[str, Any] | None = None) -> Iterator[tuple[str, int]]:
    port = free_port()
    config = state / f"guard-{workers}w.yaml"
    values: dict[str, Any] = {
        "data_dir": str(state / f"data-{workers}w"),
        "upstreams": {"openai": {"base_url": upstream_url + "/v1", "api_key_env": None,
                                 "max_connections": 1024}},
    }
    for dotted, value in (overrides or {}).items():
        node = values
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    config.write_text(json.dumps(values))
    guard = str(Path(sys.executable).with_name("guard"))
    args = [guard, "serve", "--config", str(config), "--port", str(port), "--workers", str(workers)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUARD_")}
    with process(args, f"http://127.0.0.1:{port}/readyz", env=env, log=state / f"proxy-{workers}w.log") as proc:
        yield f"http://127.0.0.1:{port}", proc.pid


# -- clients -----------------------------------------------------------------------------------------

@dataclass
class RunResult:
    latencies_ms: list[float] = field(default_factory=list)
    first_byte_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def drive(base_url: str, *, clients: int, requests: int, warmup: int, stream: bool,
                messages: list[str], on_progress: Any = None) -> RunResult:
    """Closed-loop clients: `warmup` unmeasured requests, then `requests` measured ones."""
    import aiohttp

    result = RunResult()
    issued = 0
    done = 0
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    timeout = aiohttp.ClientTimeout(total=120)
    started_measuring = 0.0

    async def one(session: aiohttp.ClientSession, index: int) -> None:
        nonlocal done, started_measuring
        body = {"model": "bench", "messages": [
            {"role": "system", "content": "You are a kind companion."},
            {"role": "user", "content": messages[index % len(messages)]}], "stream": stream}
        headers = {"X-Guard-Setting": "companion", "X-Guard-Subject": f"user-{index % 500}",
                   "X-Guard-Region": "US", "Authorization": "Bearer sk-bench"}
        begin = time.perf_counter()
        first = None
        try:
            async with session.post(base_url + "/v1/chat/completions", json=body, headers=headers) as response:
                if stream:
                    async for _ in response.content.iter_any():
                        first = first or time.perf_counter()
                else:
                    await response.read()
                    first = time.perf_counter()
                ok = response.status == 200
                why = f"status {response.status}"
        except (TimeoutError, aiohttp.ClientError) as exc:
            ok, why = False, type(exc).__name__
        end = time.perf_counter()
        if index < warmup:
            return
        if not ok:
            result.errors += 1
            result.error_kinds[why] = result.error_kinds.get(why, 0) + 1
            return
        result.latencies_ms.append((end - begin) * 1000)
        result.first_byte_ms.append(((first or end) - begin) * 1000)
        done += 1
        if on_progress:
            on_progress(done)

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal issued, started_measuring
        while issued < warmup + requests:
            index = issued
            issued += 1
            if index == warmup:
                started_measuring = time.perf_counter()
            await one(session, index)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    result.seconds = time.perf_counter() - (started_measuring or time.perf_counter())
    return result


def measure(url: str, pid: int | None, *, clients: int, requests: int, stream: bool,
            messages: list[str]) -> tuple[RunResult, float]:
    warmup = min(requests, clients * 2)
    if pid is None:
        return asyncio.run(drive(url, clients=clients, requests=requests, warmup=warmup, stream=stream,
                                 messages=messages)), 0.0
    with PeakMemory(pid) as memory:
        result = asyncio.run(drive(url, clients=clients, requests=requests, warmup=warmup, stream=stream,
                                   messages=messages))
    return result, memory.peak


def memory_growth(url: str, pid: int, *, exchanges: int, clients: int, messages: list[str]) -> dict[str, Any]:
    """Send `exchanges` requests, sampling the proxy's RSS every tenth of the run."""
    step = max(1, exchanges // 20)
    samples: list[tuple[int, float]] = [(0, tree_rss_mb(pid))]

    def progress(done: int) -> None:
        if done % step == 0:
            samples.append((done, tree_rss_mb(pid)))

    started = time.perf_counter()
    result = asyncio.run(drive(url, clients=clients, requests=exchanges, warmup=0, stream=False,
                               messages=messages, on_progress=progress))
    half = [s for s in samples if s[0] >= exchanges // 2]
    slope = 0.0
    if len(half) >= 2:
        xs, ys = [s[0] for s in half], [s[1] for s in half]
        slope = statistics.linear_regression(xs, ys).slope * 1000  # MB per 1,000 exchanges
    return {
        "exchanges": exchanges, "errors": result.errors, "seconds": round(time.perf_counter() - started, 1),
        "rss_start_mb": round(samples[0][1], 1), "rss_end_mb": round(samples[-1][1], 1),
        "rss_at_half_mb": round(half[0][1], 1) if half else None,
        "growth_second_half_mb": round(samples[-1][1] - half[0][1], 1) if half else None,
        "slope_second_half_mb_per_1000": round(slope, 3),
        "samples": [{"exchanges": n, "rss_mb": round(mb, 1)} for n, mb in samples],
    }


# -- the run -----------------------------------------------------------------------------------------

def summarise(direct: RunResult, proxied: RunResult) -> dict[str, Any]:
    out: dict[str, Any] = {"requests": len(proxied.latencies_ms), "errors_proxy": proxied.errors,
                           "errors_direct": direct.errors,
                           "error_kinds": {"proxy": proxied.error_kinds, "direct": direct.error_kinds}}
    for q in (50, 95, 99):
        d, p = pct(direct.latencies_ms, q), pct(proxied.latencies_ms, q)
        out[f"direct_p{q}_ms"] = round(d, 2)
        out[f"proxy_p{q}_ms"] = round(p, 2)
        out[f"added_p{q}_ms"] = round(p - d, 2)
    out["added_ttfb_p50_ms"] = round(pct(proxied.first_byte_ms, 50) - pct(direct.first_byte_ms, 50), 2)
    out["throughput_direct_rps"] = round(direct.throughput, 1)
    out["throughput_proxy_rps"] = round(proxied.throughput, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny run for smoke tests (seconds, not minutes)")
    parser.add_argument("--delay", type=float, default=0.5, help="upstream answer delay in seconds")
    parser.add_argument("--requests", type=int, default=None, help="measured requests per (mode, clients)")
    parser.add_argument("--clients", type=int, nargs="+", default=None)
    parser.add_argument("--workers", type=int, nargs="+", default=None)
    parser.add_argument("--modes", nargs="+", choices=["json", "stream"], default=["json", "stream"])
    parser.add_argument("--growth", type=int, default=None, help="exchanges for the memory-growth run (0: skip)")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the results")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=JSON",
                        help="proxy config override, e.g. --set pii.ner=false (repeatable)")
    args = parser.parse_args(argv)
    # 8 clients shows the added latency of an unsaturated proxy; 64 and 256 are the targets' loads.
    clients = args.clients or ([4] if args.quick else [8, 64, 256])
    workers = args.workers or ([1] if args.quick else [1, 2])
    growth = args.growth if args.growth is not None else (50 if args.quick else 20_000)
    messages = make_messages(1000)
    overrides = {key: json.loads(raw) for key, _, raw in (item.partition("=") for item in args.overrides)}

    rows: list[dict[str, Any]] = []
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "settings": {"upstream_delay_s": args.delay, "message_chars": MESSAGE_CHARS, "clients": clients,
                     "workers": workers, "modes": args.modes, "quick": args.quick, "config_overrides": overrides},
        "runs": rows,
    }
    with tempfile.TemporaryDirectory(prefix="guard-load-") as tmp, upstream(args.delay) as upstream_url:
        state = Path(tmp)
        for worker_count in workers:
            with proxy(upstream_url, worker_count, state, overrides) as (proxy_url, pid):
                for mode in args.modes:
                    for count in clients:
                        requests = args.requests or (20 if args.quick else max(200, count * 8))
                        stream = mode == "stream"
                        direct, _ = measure(upstream_url, None, clients=count, requests=requests, stream=stream,
                                            messages=messages)
                        proxied, peak = measure(proxy_url, pid, clients=count, requests=requests, stream=stream,
                                                messages=messages)
                        row = {"workers": worker_count, "mode": mode, "clients": count,
                               **summarise(direct, proxied), "peak_rss_mb": round(peak, 1)}
                        rows.append(row)
                        print_row(row)
                if growth and worker_count == workers[0]:
                    report["memory_growth"] = memory_growth(proxy_url, pid, exchanges=growth,
                                                            clients=4 if args.quick else 64, messages=messages)
    print_table(report)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.json}")
    failed = sum(row["errors_proxy"] + row["errors_direct"] for row in rows)
    return 1 if failed else 0


def print_row(row: dict[str, Any]) -> None:
    print(f"  done: {row['workers']}w {row['mode']:6} {row['clients']:>3} clients  "
          f"added p50 {row['added_p50_ms']} ms, p99 {row['added_p99_ms']} ms", file=sys.stderr, flush=True)


def print_table(report: dict[str, Any]) -> None:
    head = (f"{'workers':>7} {'mode':>6} {'clients':>7} {'requests':>8} {'direct p50':>10} {'proxy p50':>9} "
            f"{'added p50':>9} {'added p95':>9} {'added p99':>9} {'rps direct':>10} {'rps proxy':>9} "
            f"{'peak MB':>8} {'errors':>6}")
    print(f"\nupstream delay {report['settings']['upstream_delay_s']} s, "
          f"{report['settings']['message_chars']}-character messages, {report['machine']['cpus']} CPUs")
    print(head)
    print("-" * len(head))
    for r in report["runs"]:
        print(f"{r['workers']:>7} {r['mode']:>6} {r['clients']:>7} {r['requests']:>8} {r['direct_p50_ms']:>10} "
              f"{r['proxy_p50_ms']:>9} {r['added_p50_ms']:>9} {r['added_p95_ms']:>9} {r['added_p99_ms']:>9} "
              f"{r['throughput_direct_rps']:>10} {r['throughput_proxy_rps']:>9} {r['peak_rss_mb']:>8} "
              f"{r['errors_proxy'] + r['errors_direct']:>6}")
    growth = report.get("memory_growth")
    if growth:
        print(f"\nmemory over {growth['exchanges']} exchanges (1 worker): {growth['rss_start_mb']} MB at start, "
              f"{growth['rss_at_half_mb']} MB at half, {growth['rss_end_mb']} MB at the end; second-half slope "
              f"{growth['slope_second_half_mb_per_1000']} MB per 1,000 exchanges; errors {growth['errors']}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_upstream":
        sub = argparse.ArgumentParser()
        sub.add_argument("_cmd")
        sub.add_argument("--port", type=int, required=True)
        sub.add_argument("--delay", type=float, required=True)
        ns = sub.parse_args()
        run_upstream(ns.port, ns.delay)
    else:
        sys.exit(main())
