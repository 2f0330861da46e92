"""Policy benchmark: embedded evaluation latency on the shipped pack, and hot reload under traffic.

    python benchmarks/policy.py [--pairs 3000] [--reload-seconds 4] [--json benchmarks/results/policy.json]

1. Evaluation (cold): `EmbeddedEngine.evaluate_sync` on the shipped pack, memoisation off, for
   `--pairs` varied exchanges (regions EU/US-CA/US-NY/US-IL/other, every setting and age band,
   0-2 consents, crisis and therapy signals, 0-3 findings). Each pair is one `admit` then one
   `output` evaluation, exactly as the admit and judge stages call them (input building, regopy
   evaluation, JSON back). Reported: p50/p90/p99 of admit, of output, and of the pair (wall
   clock), and the p50 of the evaluating thread's CPU time, which a busy machine does not inflate.
   Target: pair p50 <= 0.3 ms (wall clock, on a quiet machine): the cold figures are the headline.
   Conversation (memo on, the engine's default): one context and its consent records, answers
   without findings, as in a typical chat, with `now` 20 s later each turn as in real traffic.
   The shipped pack never reads `input.now` (it decides on each consent's `state`), so `admit` is
   memoised as well as `output`: after the first turn both are dict lookups. Reported: pair p50
   and the memo hits of each entry; and, in the same run, the same conversation with only `output`
   and `texts` memoised (as before admit memoisation), for comparison.
2. Reload under traffic: a copy of the pack is edited every 0.25 s (thresholds change; once a
   broken edit, then its fix) while threads evaluate continuously with reload on and the memo off
   (so every request reaches regopy during the swaps). Every request must succeed (none lost, none
   failed); the broken edit must be rejected and the last good bundle kept.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from guard.consent.records import ConsentRecord
from guard.core.context import Context
from guard.core.decision import Finding
from guard.core.exchange import Signals
from guard.policy import default_policy_dir
from guard.policy.documents import admit_input, output_input
from guard.policy.embedded import EmbeddedEngine

PAIR_TARGET_MS = 0.3
REGIONS = ["DE", "FR", "ES", "IT", "US-CA", "US-NY", "US-IL", "US-TX", "JP", "BR", "GB"]
LOCALES = ["en", "de", "fr", "es", "ja"]
SETTINGS = ["companion", "healthcare", "customer_service", "education", "workplace", "general"]
PURPOSES = [("generation",), ("generation", "personalization"), ("generation", "emotion_inference"),
            ("training",), ("generation", "retention")]
TACTICS = ["exit.fomo", "guilt", "retention", "sycophancy", "isolation", "brand_bias"]


def _case(rng: random.Random, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    view, consents, signals, output_doc = _parts(rng, now)
    return admit_input(view, consents, signals, now), output_doc


def _parts(
    rng: random.Random, now: datetime
) -> tuple[dict[str, Any], list[ConsentRecord], Signals, dict[str, Any]]:
    """One exchange's context view, consent records, signals and output input."""
    context = Context(subject="s", setting=rng.choice(SETTINGS), region=rng.choice(REGIONS),  # type: ignore[arg-type]
                      locale=rng.choice(LOCALES), age_band=rng.choice(["minor", "adult", "unknown"]),  # type: ignore[arg-type]
                      purposes=rng.choice(PURPOSES))
    consents = [ConsentRecord("default", "h", purpose, granted_at=now - timedelta(days=10),
                              expires_at=now + timedelta(days=rng.choice([-1, 30])) if rng.random() < 0.3 else None,
                              withdrawn_at=now - timedelta(days=1) if rng.random() < 0.2 else None)
                for purpose in context.purposes if purpose != "generation" and rng.random() < 0.7]
    signals = Signals(pii_types={"PERSON"} if rng.random() < 0.3 else set(),
                      special_categories={"health"} if rng.random() < 0.15 else set(),
                      crisis=rng.random() < 0.1, emotional_content=rng.random() < 0.4,
                      extra={"therapy_request": rng.random() < 0.05})
    view = context.policy_view()
    findings = [Finding("manipulation", rng.choice(TACTICS), rng.random(), 10 * i, 10 * i + 8)
                for i in range(rng.choice([0, 0, 0, 1, 1, 2, 3]))]
    obligations = {"crisis_protocol": signals.crisis, "disclose_ai": True}
    return view, consents, signals, output_input(view, findings, obligations)


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50_ms": round(at(0.5), 4), "p90_ms": round(at(0.9), 4), "p99_ms": round(at(0.99), 4),
            "mean_ms": round(statistics.fmean(ordered), 4)}


def bench_evaluation(pairs: int, seed: int = 7) -> dict[str, Any]:
    from guard.consent.records import utc_now

    engine = EmbeddedEngine(default_policy_dir(), reload=False, memo_entries=frozenset())
    rng = random.Random(seed)
    now = utc_now()
    cases = [_case(rng, now) for _ in range(pairs)]
    for admit_doc, output_doc in cases[:50]:  # warm up
        engine.evaluate_sync("admit", admit_doc)
        engine.evaluate_sync("output", output_doc)
    admit_ms, output_ms, pair_ms = [], [], []
    admit_cpu, output_cpu, pair_cpu = [], [], []
    for admit_doc, output_doc in cases:
        t0, c0 = time.perf_counter(), time.thread_time()
        engine.evaluate_sync("admit", admit_doc)
        t1, c1 = time.perf_counter(), time.thread_time()
        engine.evaluate_sync("output", output_doc)
        t2, c2 = time.perf_counter(), time.thread_time()
        admit_ms.append((t1 - t0) * 1000)
        output_ms.append((t2 - t1) * 1000)
        pair_ms.append((t2 - t0) * 1000)
        admit_cpu.append((c1 - c0) * 1000)
        output_cpu.append((c2 - c1) * 1000)
        pair_cpu.append((c2 - c0) * 1000)
    # CPU time of this thread: what the evaluation costs, without the waits of a busy machine.
    cpu = {"admit": _percentiles(admit_cpu), "output": _percentiles(output_cpu), "pair": _percentiles(pair_cpu)}
    return {"pairs": pairs, "admit": _percentiles(admit_ms), "output": _percentiles(output_ms),
            "pair": _percentiles(pair_ms), "cpu": cpu, "target_pair_p50_ms": PAIR_TARGET_MS,
            "met": _percentiles(pair_ms)["p50_ms"] <= PAIR_TARGET_MS}


def bench_conversation(turns: int, memo_entries: frozenset[str] | None = None) -> dict[str, Any]:
    """One conversation's turns: the same context, consents and signals, `now` 20 s later each turn."""
    from guard.consent.records import utc_now

    engine = (EmbeddedEngine(default_policy_dir(), reload=False) if memo_entries is None
              else EmbeddedEngine(default_policy_dir(), reload=False, memo_entries=memo_entries))
    start = utc_now()
    view, consents, signals, output_doc = _parts(random.Random(3), start)
    output_doc = {**output_doc, "findings": []}
    admit_docs = [admit_input(view, consents, signals, start + timedelta(seconds=20 * turn)) for turn in range(turns)]
    pair_ms, pair_cpu = [], []
    hits = {"admit": 0, "output": 0}
    for admit_doc in admit_docs:
        t0, c0 = time.perf_counter(), time.thread_time()
        before = engine.memo_hits
        engine.evaluate_sync("admit", admit_doc)
        between = engine.memo_hits
        engine.evaluate_sync("output", output_doc)
        pair_ms.append((time.perf_counter() - t0) * 1000)
        pair_cpu.append((time.thread_time() - c0) * 1000)
        hits["admit"] += between - before
        hits["output"] += engine.memo_hits - between
    return {"turns": turns, "memo_entries": sorted(engine.memo_entries), "pair": _percentiles(pair_ms),
            "cpu_pair": _percentiles(pair_cpu), "memo_hits": engine.memo_hits, "memo_hits_by_entry": hits}


def _set_threshold(pack: Path, value: float) -> None:
    path = pack / "data" / "thresholds.json"
    data = json.loads(path.read_text())
    data["settings"]["general"] = value
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)  # an atomic rename, as deployment tools do


def bench_reload(seconds: float, threads: int = 3) -> dict[str, Any]:
    from guard.consent.records import utc_now

    with tempfile.TemporaryDirectory() as tmp:
        pack = Path(tmp) / "pack"
        shutil.copytree(default_policy_dir(), pack)
        # Memo off: every request is evaluated by regopy while bundles are compiled and swapped.
        engine = EmbeddedEngine(pack, reload=True, check_interval_s=0.05, memo_entries=frozenset())
        admit_doc, _ = _case(random.Random(1), utc_now())
        counts = {"ok": 0, "failed": 0}
        revisions: set[str] = set()
        lock = threading.Lock()
        stop = threading.Event()

        def traffic() -> None:
            while not stop.is_set():
                try:
                    revision = engine.evaluate_sync("admit", admit_doc).revision
                    with lock:
                        counts["ok"] += 1
                        revisions.add(revision)
                except Exception:
                    with lock:
                        counts["failed"] += 1

        workers = [threading.Thread(target=traffic) for _ in range(threads)]
        for worker in workers:
            worker.start()
        edits, broken_rejected = 0, False
        deadline = time.monotonic() + seconds
        step = 0
        while time.monotonic() < deadline:
            time.sleep(0.25)
            step += 1
            if step == 3:  # a broken edit: must be rejected, the last good bundle kept
                admit = pack / "guard" / "admit.rego"
                good = admit.read_text()
                failures = engine.reload_failures
                admit.write_text(good + "\nbroken if {\n")
                rejected_by = time.monotonic() + 5.0  # a loaded machine compiles slowly
                while engine.reload_failures == failures and time.monotonic() < rejected_by:
                    time.sleep(0.05)
                broken_rejected = engine.reload_failures > failures
                admit.write_text(good)
            else:
                _set_threshold(pack, 0.55 + (step % 5) / 100)
            edits += 1
        time.sleep(0.3)
        stop.set()
        for worker in workers:
            worker.join()
        return {"seconds": seconds, "threads": threads, "edits": edits, "requests_ok": counts["ok"],
                "requests_failed": counts["failed"], "reloads": engine.reloads,
                "reload_failures": engine.reload_failures, "revisions_served": len(revisions),
                "broken_edit_rejected": broken_rejected,
                "met": counts["failed"] == 0 and broken_rejected and engine.reloads > 0}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3000)
    parser.add_argument("--reload-seconds", type=float, default=4.0)
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/policy.json"))
    args = parser.parse_args(argv)
    evaluation = bench_evaluation(args.pairs)
    turns = max(50, args.pairs // 3)
    conversation = bench_conversation(turns)
    output_only = bench_conversation(turns, memo_entries=frozenset({"output", "texts"}))
    reload = bench_reload(args.reload_seconds)
    result = {"evaluation": evaluation, "conversation": conversation,
              "conversation_output_memo_only": output_only, "reload": reload}
    print(f"{'embedded evaluation':<26}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'cpu p50':>9}")
    rows = [(name + " (cold)", evaluation[name], evaluation["cpu"][name]["p50_ms"])
            for name in ("admit", "output", "pair")]
    rows.append(("pair (conversation, memo)", conversation["pair"], conversation["cpu_pair"]["p50_ms"]))
    rows.append(("  output memo only", output_only["pair"], output_only["cpu_pair"]["p50_ms"]))
    for name, row, cpu_p50 in rows:
        print(f"{name:<26}{row['p50_ms']:>9.3f}{row['p90_ms']:>9.3f}{row['p99_ms']:>9.3f}{cpu_p50:>9.3f}")
    hits = conversation["memo_hits_by_entry"]
    print(f"conversation memo hits over {turns} turns: admit {hits['admit']}, output {hits['output']}")
    verdict = "met" if evaluation["met"] else "NOT met"
    print(f"target: cold pair p50 <= {PAIR_TARGET_MS} ms -> {verdict}")
    print(f"reload under traffic: {reload['requests_ok']} ok, {reload['requests_failed']} failed, "
          f"{reload['reloads']} reloads, {reload['reload_failures']} rejected, "
          f"{reload['revisions_served']} revisions served, broken edit rejected: {reload['broken_edit_rejected']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
