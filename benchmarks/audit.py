"""Audit trail benchmark: the cost of appending one signed record, and a report over many records.

    python benchmarks/audit.py [--records 1000000] [--appends 20000] [--dir DIR] [--json out.json]

1. Append: `AuditRecorder.record(decision)` on the JSONL sink (fsync off, the default), for
   decisions whose explanation the pipeline has already computed; p50/p90/p99 per call. Every
   record is canonicalised, hashed, Ed25519-signed and written.
2. Report: `--records` synthetic records are generated first, really chained and really signed
   record by record (with ChainWriter, as the recorder does), in one chain per CPU core so the
   generation takes minutes, not hours; the document bodies come from a few templates with a new
   id, time, action and counts each. Then `build_report` runs over them as `guard report` does:
   every line is read, its hash recomputed from its bytes, its seq/prev links and the signed
   heads checked, and every decision aggregated. Its wall time is the figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from guard.audit import open_recorder, open_source
from guard.audit.chain import ChainWriter
from guard.audit.jsonl import SEGMENT_GLOB, JsonlSink
from guard.audit.keys import SigningKey, public_pem
from guard.audit.report.collect import build_report
from guard.core.config import GuardSettings
from guard.core.context import Context
from guard.core.decision import Action, Decision, Finding, Reason

APPEND_TARGET_MS = 0.2
REPORT_TARGET_S = 60.0


def _decision(rng: random.Random) -> Decision:
    decision = Decision(context=Context(region=rng.choice(["DE", "FR", "US-CA", "US-NY"]), setting="companion"))
    decision.policy_revision = "sha256:" + "ab" * 8
    decision.redactions.update({"EMAIL_ADDRESS": rng.randint(0, 2), "PERSON": rng.randint(0, 3)})
    decision.obligations = {"disclose_ai": True, "redact": ["EMAIL_ADDRESS", "PERSON"]}
    if rng.random() < 0.3:
        decision.escalate(Action.REWRITE)
        decision.findings.append(Finding(detector="tactics", label="exit.premature", score=0.88, start=10,
                                         end=42, evidence="You're leaving already?"))
        decision.add_reason(Reason(id="output.manipulation.rewrite", message="Sentences using manipulative "
                                   "tactics (exit.premature) were removed.", citation="EU AI Act Art. 5(1)(a)"))
    for name, ms in (("admit", 0.41), ("redact", 2.3), ("inspect", 0.9), ("judge", 0.35), ("restore", 0.05)):
        decision.stage(name).ms = ms
    decision.explain()  # the pipeline explains before it records
    return decision


async def _append_times(settings: GuardSettings, count: int) -> list[float]:
    rng = random.Random(7)
    decisions = [_decision(rng) for _ in range(count)]
    recorder = open_recorder(settings)
    for decision in decisions[:200]:  # warm up
        await recorder.record(decision)
    times = []
    clock = time.perf_counter_ns
    for decision in decisions:
        started = clock()
        await recorder.record(decision)
        times.append((clock() - started) / 1e6)
    await recorder.aclose()
    return times


def bench_append(root: Path, count: int) -> dict[str, Any]:
    settings = GuardSettings(data_dir=str(root / "append"))
    times = sorted(asyncio.run(_append_times(settings, count)))
    quantile = statistics.quantiles(times, n=100)
    return {"appends": count, "p50_ms": statistics.median(times), "p90_ms": quantile[89],
            "p99_ms": quantile[98], "target_p50_ms": APPEND_TARGET_MS}


def _templates() -> list[dict[str, Any]]:
    rng = random.Random(11)
    return [_decision(rng).to_document() for _ in range(16)]


def _generate_chain(args: tuple[str, bytes, int, int]) -> int:
    """One process writes one really chained, really signed chain of `count` records."""
    root, pem_seed, count, worker = args
    key = SigningKey.from_private(Ed25519PrivateKey.from_private_bytes(pem_seed))
    sink = JsonlSink(Path(root), rotate_bytes=64 << 20, rotate_daily=False)
    chain = ChainWriter(key)
    sink.start(chain.chain_id, kid=key.kid, public_pem=public_pem(key.public))
    sink.write(chain.seal("chain.start", {"start": {"pid": os.getpid(), "kid": key.kid, "witness": {}}}))
    templates = _templates()
    rng = random.Random(worker)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    actions = ("pass", "pass", "pass", "annotate", "rewrite", "block")
    for index in range(count):
        moment = start + timedelta(seconds=index * 7 + worker)
        ts = moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        doc = dict(templates[index % len(templates)])
        doc.update(id=f"{worker:08x}-0000-7000-8000-{index:012x}", created_at=ts, action=rng.choice(actions),
                   redactions={"EMAIL_ADDRESS": rng.randint(0, 2), "PERSON": rng.randint(0, 3)})
        sink.write(chain.seal("decision", {"decision": doc}, ts=ts))
        if index % 10_000 == 0:
            sink.checkpoint(chain.head())
    sink.write(chain.seal("chain.end", {}))
    sink.checkpoint(chain.head(closed=True))
    sink.close()
    return count + 2


def generate(root: Path, records: int) -> dict[str, Any]:
    workers = max(1, os.cpu_count() or 1)
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    shares = [records // workers + (1 if i < records % workers else 0) for i in range(workers)]
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        written = sum(pool.map(_generate_chain, [(str(root), seed, n, i) for i, n in enumerate(shares)]))
    return {"records": written, "chains": workers, "generate_s": time.perf_counter() - started,
            "bytes": sum(p.stat().st_size for p in root.glob("chains/*/" + SEGMENT_GLOB))}


def _cpu_seconds() -> float:
    """CPU time of this process and of its reaped children (the report's worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bench_report(root: Path, records: int, *, workers: int, reuse: bool) -> dict[str, Any]:
    log = root / "report"
    if reuse and (log / "chains").is_dir():
        files = list(log.glob("chains/*/" + SEGMENT_GLOB))
        generated = {"records": sum(p.read_bytes().count(b"\n") for p in files), "reused": True,
                     "bytes": sum(p.stat().st_size for p in files), "chains": len(list(log.glob("chains/*")))}
    else:
        generated = generate(log, records)
    cpu, started = _cpu_seconds(), time.perf_counter()
    report = build_report(open_source(GuardSettings(), str(log)), since="2026-01-01", until="2026-12-31",
                          workers=workers)
    elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    if not report["verification"]["ok"]:
        raise SystemExit(f"benchmark log did not verify: {report['verification']['problems'][:3]}")
    return {**generated, "report_s": elapsed, "report_cpu_s": cpu, "workers": workers,
            "decisions_counted": report["totals"]["decisions"], "records_per_s": generated["records"] / elapsed,
            "load_average_1m": os.getloadavg()[0], "target_s": REPORT_TARGET_S}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=20_000)
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default: a temp dir, removed)")
    parser.add_argument("--reuse", action="store_true", help="reuse the log in --dir/report if present")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="report worker processes (default: one per CPU, as `guard report`)")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/audit.json"))
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        root = args.dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        root.mkdir(parents=True, exist_ok=True)
        append = bench_append(Path(stack.enter_context(tempfile.TemporaryDirectory(dir=root))), args.appends)
        report = bench_report(root, args.records, workers=args.workers, reuse=args.reuse)
    result = {"append": append, "report": report, "cpu_count": os.cpu_count()}
    print(f"{'measure':<38}{'value':>14}{'target':>12}")
    print(f"{'append signed record p50 (ms)':<38}{append['p50_ms']:>14.4f}{'<= 0.2':>12}")
    print(f"{'append signed record p90 / p99 (ms)':<38}{append['p90_ms']:>7.3f}/{append['p99_ms']:<6.3f}{'':>12}")
    print(f"{'synthetic records generated':<38}{report['records']:>14,}{'':>12}")
    if "generate_s" in report:
        label = f"generation, signed, {report['chains']} procs (s)"
        print(f"{label:<38}{report['generate_s']:>14.1f}{'':>12}")
    label = f"report, {report['workers']} worker(s), wall (s)"
    print(f"{label:<38}{report['report_s']:>14.1f}{'< 60':>12}")
    print(f"{'report CPU time, all processes (s)':<38}{report['report_cpu_s']:>14.1f}{'':>12}")
    print(f"{'load average (1 min) at the end':<38}{report['load_average_1m']:>14.1f}{'':>12}")
    print(f"{'report throughput (records/s)':<38}{report['records_per_s']:>14,.0f}{'':>12}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
