"""PII benchmark: accuracy, leaks and speed of the redact stage against stock Presidio, same run.

    python benchmarks/pii.py [--corpus tests/data/pii/corpus.jsonl] [--limit N] [--json out.json]

Accuracy: a predicted span counts as found when it overlaps a gold span of the same type
(precision, recall, F1 per type and overall, micro-averaged). Leak rate: share of gold spans
whose exact text still appears in what the redact stage sends upstream. Over-redaction: share
of PII-free messages ("plain" and PII-free "tricky") that the analyzer would change.

Speed: stock Presidio `AnalyzerEngine` (full spaCy pipeline of the same model, all default
recognizers) against our analyzer with a cold cache, per message over the corpus; then one
20-turn conversation through the redact stage, comparing the 20th turn (whole history resent)
with the first. Stock Presidio's e-mail recognizer is pointed at the offline suffix list, so
the run never touches the network.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from guard.core.context import Context
from guard.core.decision import Decision
from guard.core.exchange import Exchange, Message
from guard.core.subjects import SubjectHasher
from guard.pii.analyzer import Analyzer
from guard.pii.keys import PIIKeys
from guard.pii.settings import PIISettings
from guard.pii.stages import RedactStage
from guard.pii.vault import MemoryVault

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "pii" / "corpus.jsonl"
LEAK_TARGETS = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS")
# Stock Presidio names some types differently or not at all; map what can be compared.
STOCK_TYPES = {"PERSON": "PERSON", "LOCATION": "LOCATION", "EMAIL_ADDRESS": "EMAIL_ADDRESS",
               "PHONE_NUMBER": "PHONE_NUMBER", "CREDIT_CARD": "CREDIT_CARD", "IBAN_CODE": "IBAN_CODE",
               "US_SSN": "US_SSN", "IP_ADDRESS": "IP_ADDRESS", "DATE_TIME": "DATE_OF_BIRTH"}


def load(path: Path, limit: int | None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if limit:
        # Keep every style represented in a short run.
        by_style: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_style.setdefault(row["style"], []).append(row)
        rows = [row for group in by_style.values() for row in group[: max(1, limit // len(by_style))]]
    return rows


def score(rows: list[dict[str, Any]], predicted: list[list[tuple[str, int, int]]]) -> dict[str, Any]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for row, spans in zip(rows, predicted, strict=True):
        gold = [(g["entity"], g["start"], g["end"]) for g in row["spans"]]
        for entity, start, end in spans:
            hit = any(e == entity and start < ge and gs < end for e, gs, ge in gold)
            (tp if hit else fp)[entity] += 1
        for entity, start, end in gold:
            if not any(e == entity and start < pe and ps < end for e, ps, pe in spans):
                fn[entity] += 1
    types = sorted(set(tp) | set(fp) | set(fn))
    table = {t: prf(tp[t], fp[t], fn[t]) for t in types}
    table["ALL"] = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return table


def prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "tp": tp, "fp": fp, "fn": fn}


def stock_engine(model: str) -> Any:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers.generic import email_recognizer

    from guard.pii.recognizers import _offline_suffixes

    email_recognizer.tldextract = type("Offline", (), {"extract": staticmethod(_offline_suffixes())})  # type: ignore[attr-defined]
    provider = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}],
    })
    return AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])


Timing = dict[str, list[float]]


def timed(call: Any) -> tuple[Any, float, float]:
    """Result, CPU seconds and wall seconds of one call (CPU time is steadier on a shared machine)."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = call()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def run_both(engine: Any | None, analyzer: Analyzer, rows: list[dict[str, Any]]) -> tuple[
    list[list[tuple[str, int, int]]], list[list[tuple[str, int, int]]], Timing
]:
    """Analyse every message with ours and (if given) stock, interleaved so load hits both alike."""
    ours_pred, stock_pred = [], []
    times: Timing = {"ours_cpu": [], "ours_wall": [], "stock_cpu": [], "stock_wall": []}
    for row in rows:
        spans, cpu, wall = timed(lambda r=row: analyzer.analyze_batch([r["text"]], cache=False)[0])
        times["ours_cpu"].append(cpu)
        times["ours_wall"].append(wall)
        ours_pred.append([(s.entity, s.start, s.end) for s in spans])
        if engine is not None:
            results, cpu, wall = timed(lambda r=row: engine.analyze(text=r["text"], language="en"))
            times["stock_cpu"].append(cpu)
            times["stock_wall"].append(wall)
            stock_pred.append([(STOCK_TYPES.get(x.entity_type, x.entity_type), x.start, x.end) for x in results])
    return ours_pred, stock_pred, times


async def leaks(analyzer: Analyzer, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Run each message through the redact stage and look for gold values in what goes upstream."""
    stage = RedactStage(PIISettings(), analyzer=analyzer, vault=MemoryVault(),
                        keys=PIIKeys.from_master(b"b" * 32), hasher=SubjectHasher(b"h" * 32))
    total: Counter[str] = Counter()
    leaked: Counter[str] = Counter()
    examples: list[str] = []
    try:
        for row in rows:
            exchange = Exchange(context=Context(), messages=[Message("user", row["text"])])
            decision = Decision(context=exchange.context)
            await stage.prepare(exchange)
            await stage.on_request(exchange, decision)
            upstream = exchange.messages[0].text
            for gold in row["spans"]:
                value = row["text"][gold["start"]:gold["end"]]
                total[gold["entity"]] += 1
                if value in upstream:
                    leaked[gold["entity"]] += 1
                    if len(examples) < 12:
                        examples.append(f"{row['id']}: {gold['entity']}")
    finally:
        await stage.aclose()
    rates = {entity: round(leaked[entity] / total[entity], 4) for entity in sorted(total)}
    return {"rate": rates, "leaked": dict(leaked), "total": dict(total), "examples": examples}


def over_redaction(rows: list[dict[str, Any]], predicted: list[list[tuple[str, int, int]]]) -> float:
    clean = [spans for row, spans in zip(rows, predicted, strict=True) if not row["spans"]]
    return round(sum(1 for spans in clean if spans) / len(clean), 4) if clean else 0.0


async def conversation_cost(analyzer: Analyzer, rows: list[dict[str, Any]], turns: int = 20) -> dict[str, float]:
    """CPU ms of a single-turn exchange vs turn `turns` of a conversation ending in the same new message.

    Chat clients resend the whole history each turn; with the analyzer cache the earlier turns
    cost almost nothing, so turn 20 should cost about what its one new message costs. Medians
    over several conversations; every measured message is fresh text (never cached before).
    """
    texts = [row["text"] for row in rows if row["style"] in {"companion", "health", "support"}]
    singles, lasts = [], []
    stage = RedactStage(PIISettings(), analyzer=analyzer, vault=MemoryVault(),
                        keys=PIIKeys.from_master(b"b" * 32), hasher=SubjectHasher(b"h" * 32))
    warm = Exchange(context=Context(), messages=[Message("user", "warm up the analysis thread, Ann")])
    await stage.prepare(warm)  # the stage's worker thread starts on first use: keep that out of the timings

    async def timed_turn(context: Context, history: list[str]) -> float:
        exchange = Exchange(context=context, messages=[Message("user", t) for t in history])
        decision = Decision(context=context)
        started = time.process_time()
        await stage.prepare(exchange)
        await stage.on_request(exchange, decision)
        return (time.process_time() - started) * 1000

    try:
        for attempt in range(12):
            tag = time.time_ns()
            last = texts[(attempt * turns + turns - 1) % len(texts)]
            singles.append(await timed_turn(Context(conversation=f"single-{tag}"), [f"{last} ({tag}-a)"]))
            context = Context(conversation=f"long-{tag}")
            history: list[str] = []
            for turn in range(turns - 1):
                history.append(f"{texts[(attempt * turns + turn) % len(texts)]} ({tag}-{turn})")
                await timed_turn(context, history)
            lasts.append(await timed_turn(context, [*history, f"{last} ({tag}-b)"]))
    finally:
        await stage.aclose()
    single, last_turn = statistics.median(singles), statistics.median(lasts)
    return {"single_turn_cpu_ms": round(single, 3), f"turn_{turns}_cpu_ms": round(last_turn, 3),
            "ratio": round(last_turn / single, 3)}


def print_table(title: str, table: dict[str, dict[str, Any]]) -> None:
    print(f"\n{title}")
    print(f"{'type':<16}{'P':>8}{'R':>8}{'F1':>8}{'tp':>6}{'fp':>6}{'fn':>6}")
    for entity, row in table.items():
        print(f"{entity:<16}{row['precision']:>8.3f}{row['recall']:>8.3f}{row['f1']:>8.3f}"
              f"{row['tp']:>6}{row['fp']:>6}{row['fn']:>6}")


def targets(result: dict[str, Any]) -> dict[str, bool]:
    leaks = result["leaks"]["rate"]
    ours = result["ours"]
    checks = {
        f"leak rate 0 for {entity}": leaks.get(entity, 0.0) == 0.0 for entity in LEAK_TARGETS
    }
    checks["recall >= 0.90 PERSON"] = ours.get("PERSON", {}).get("recall", 0.0) >= 0.90
    checks["recall >= 0.90 LOCATION"] = ours.get("LOCATION", {}).get("recall", 0.0) >= 0.90
    checks["precision >= 0.90 overall"] = ours["ALL"]["precision"] >= 0.90
    if "speedup_cpu" in result["speed"]:
        checks[">= 3x faster per message than stock (CPU time)"] = result["speed"]["speedup_cpu"] >= 3.0
        checks["recall equal or better than stock"] = ours["ALL"]["recall"] >= result["stock"]["ALL"]["recall"]
    checks["20-turn conversation < 1.5x a single turn"] = result["conversation"]["ratio"] < 1.5
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--limit", type=int, default=None, help="Use about N messages (all styles)")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "pii.json")
    parser.add_argument("--no-stock", action="store_true", help="Skip stock Presidio (accuracy only)")
    args = parser.parse_args()

    rows = load(args.corpus, args.limit)
    settings = PIISettings()
    started = time.perf_counter()
    analyzer = Analyzer(settings)
    build_ours = time.perf_counter() - started
    engine = None if args.no_stock else stock_engine(settings.model)
    if engine is not None:  # warm both up: first calls pay for lazy initialisation
        for row in rows[:5]:
            engine.analyze(text=row["text"], language="en")
            analyzer.analyze_batch([row["text"]], cache=False)
    ours_pred, stock_pred, times = run_both(engine, analyzer, rows)
    ours = score(rows, ours_pred)
    result: dict[str, Any] = {"messages": len(rows), "ours": ours, "ours_build_s": round(build_ours, 3)}
    print_table(f"ours ({len(rows)} messages)", ours)
    result["leaks"] = asyncio.run(leaks(analyzer, rows))
    result["over_redaction"] = {"ours": over_redaction(rows, ours_pred)}
    speed = {f"{key}_ms_per_message": round(statistics.mean(values) * 1000, 3)
             for key, values in times.items() if values}
    if engine is not None:
        stock = score(rows, stock_pred)
        result["stock"] = stock
        result["over_redaction"]["stock"] = over_redaction(rows, stock_pred)
        speed["speedup_cpu"] = round(statistics.mean(times["stock_cpu"]) / statistics.mean(times["ours_cpu"]), 2)
        speed["speedup_wall"] = round(statistics.mean(times["stock_wall"]) / statistics.mean(times["ours_wall"]), 2)
        speed["recall_ours_vs_stock"] = [ours["ALL"]["recall"], stock["ALL"]["recall"]]
        print_table("stock Presidio AnalyzerEngine (same model)", stock)
    result["speed"] = speed
    result["conversation"] = asyncio.run(conversation_cost(analyzer, rows))

    print("\nleak rate (gold values reaching upstream verbatim)")
    for entity, rate in result["leaks"]["rate"].items():
        target = "  target 0" if entity in LEAK_TARGETS else ""
        print(f"  {entity:<16}{rate:>8.4f}  ({result['leaks']['leaked'].get(entity, 0)}"
              f"/{result['leaks']['total'][entity]}){target}")
    print("\nover-redaction (PII-free messages changed):", result["over_redaction"])
    print("speed:", result["speed"])
    print("20-turn conversation:", result["conversation"])
    result["targets"] = targets(result)
    print("\ntargets (issue 3):")
    for name, met in result["targets"].items():
        print(f"  {'met    ' if met else 'NOT MET'}  {name}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
