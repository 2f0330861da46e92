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

Stage cost (`--baseline REF`, e.g. a commit before a change): the pattern layer, the analyzer, and
the redact/restore stages over an SQLite vault (a new message; turn 10 of a conversation with its
history; the answer whole and streamed in two-word chunks), each message timed in CPU for our
code and for guard/pii as it was at REF (read with `git show` into a temporary package, nothing
checked out), interleaved message by message so machine load hits both alike. It also checks that
both produce the same upstream texts and answers.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
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

    email_recognizer.tldextract = type("Offline", (), {"extract": staticmethod(_offline_suffixes())})  # type: ignore[attr-defined,assignment]
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


# -- stage cost against a baseline ----------------------------------------------------------------

REPLY = ("Thank you for telling me. It makes sense that this week felt heavy; maybe write down one small thing "
         "that went well today, and tell me more about it whenever you want.")
SYSTEM = "You are a kind companion."


def import_baseline(ref: str) -> str:
    """guard/pii as it was at `ref`, importable as the package `pii_baseline` (its other imports stay guard.*)."""
    git = shutil.which("git") or "git"
    listed = subprocess.run([git, "ls-tree", "--name-only", ref, "guard/pii/"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.split()
    package = Path(tempfile.mkdtemp(prefix="pii-baseline-")) / "pii_baseline"
    package.mkdir()
    for name in listed:
        source = subprocess.run([git, "show", f"{ref}:{name}"], cwd=ROOT, check=True, capture_output=True,
                                text=True).stdout
        (package / Path(name).name).write_text(re.sub(r"\bguard\.pii\b", "pii_baseline", source), encoding="utf-8")
    sys.path.insert(0, str(package.parent))
    return "pii_baseline"


def build_kit(package: str, nlp: dict[str, Any], directory: Path) -> dict[str, Any]:
    """Analyzer, redact and restore stage of one implementation, over its own SQLite vault."""
    def module(name: str) -> Any:
        return importlib.import_module(f"{package}.{name}")

    settings = module("settings").PIISettings()
    keys = module("keys").PIIKeys.from_master(b"b" * 32)
    analyzer = module("analyzer").Analyzer(settings, nlp=nlp)
    vault = module("vault_sqlite").SqliteVault(directory / f"{package}.sqlite3", keys=keys, ttl_s=86_400)
    stages = module("stages")
    redact = stages.RedactStage(settings, analyzer=analyzer, vault=vault, keys=keys, hasher=SubjectHasher(b"h" * 32))
    return {"analyzer": analyzer, "redact": redact, "restore": stages.RestoreStage(settings)}


async def _request(kit: dict[str, Any], context: Context, texts: list[str]) -> tuple[Exchange, Decision]:
    roles = ["user", "assistant"]
    exchange = Exchange(context=context, messages=[Message("system", SYSTEM)]
                        + [Message(roles[i % 2], text) for i, text in enumerate(texts)])
    decision = Decision(context=context)
    await kit["redact"].prepare(exchange)
    await kit["redact"].on_request(exchange, decision)
    return exchange, decision


async def _answer(kit: dict[str, Any], exchange: Exchange, decision: Decision, answer: str) -> str:
    exchange.response_text = answer
    await kit["redact"].on_response(exchange, decision)
    await kit["restore"].on_response(exchange, decision)
    return exchange.response_text


async def _stream(kit: dict[str, Any], exchange: Exchange, decision: Decision, answer: str) -> str:
    filters = [f for f in (kit["redact"].on_stream(exchange, decision), kit["restore"].on_stream(exchange, decision))
               if f is not None]
    words = answer.split(" ")
    out = []
    for index in range(0, len(words), 2):
        piece = " ".join(words[index:index + 2]) + " "
        for chunk_filter in filters:
            piece = await chunk_filter.feed(piece)
        out.append(piece)
    tail = ""
    for chunk_filter in filters:
        tail = await chunk_filter.feed(tail) + await chunk_filter.flush()
    return "".join(out) + tail


async def stage_costs(kits: dict[str, dict[str, Any]], texts: list[str]) -> dict[str, Any]:
    """CPU ms per message of each scenario for each implementation, interleaved; outputs compared."""
    cpu: dict[str, dict[str, list[float]]] = {}
    outputs: dict[str, list[Any]] = {name: [] for name in kits}

    def record(scenario: str, name: str, seconds: float) -> None:
        cpu.setdefault(scenario, {}).setdefault(name, []).append(seconds * 1000)

    for kit in kits.values():  # thread start-up and lazy set-up out of the timings
        await _request(kit, Context(conversation="warm-up"), texts[:3])
    for index, text in enumerate(texts):
        for name, kit in kits.items():
            analyzer = kit["analyzer"]
            started = time.process_time()
            analyzer._patterns(text, "en")
            record("pattern layer", name, time.process_time() - started)
            started = time.process_time()
            analyzer.analyze_batch([text], cache=False)
            record("analyzer (patterns + NER)", name, time.process_time() - started)
            context = Context(conversation=f"new-{index}", subject="bench")
            started = time.process_time()
            exchange, decision = await _request(kit, context, [text])
            record("request: new message", name, time.process_time() - started)
            answer = f"{exchange.messages[-1].text} {REPLY}"  # echoes the stand-ins, adds PII-free text
            started = time.process_time()
            whole = await _answer(kit, exchange, decision, answer)
            record("answer: output check + restore", name, time.process_time() - started)
            exchange, decision = await _request(kit, context, [text])
            started = time.process_time()
            streamed = await _stream(kit, exchange, decision, answer)
            record("answer streamed (2-word chunks)", name, time.process_time() - started)
            history = [texts[(index + turn) % len(texts)] for turn in range(10)]
            conversation = Context(conversation=f"long-{index}", subject="bench")
            for turn in range(1, len(history)):
                await _request(kit, conversation, history[:turn])
            started = time.process_time()
            long_turn, _ = await _request(kit, conversation, history)
            record("request: turn 10 (history resent)", name, time.process_time() - started)
            outputs[name].append(([m.text for m in exchange.messages], whole, streamed,
                                  [m.text for m in long_turn.messages]))
    table: dict[str, Any] = {}
    for scenario, by_name in cpu.items():
        row: dict[str, Any] = {f"{name}_cpu_ms_mean": round(statistics.mean(v), 3) for name, v in by_name.items()}
        row |= {f"{name}_cpu_ms_median": round(statistics.median(v), 3) for name, v in by_name.items()}
        if "baseline" in by_name:
            base, ours = by_name["baseline"], by_name["ours"]
            row["speedup_mean"] = round(statistics.mean(base) / statistics.mean(ours), 2)
            row["speedup_median"] = round(statistics.median(base) / statistics.median(ours), 2)
        table[scenario] = row
    if "baseline" in outputs:
        table["same_output_as_baseline"] = outputs["baseline"] == outputs["ours"]
    return table


def run_stage(analyzer: Analyzer, rows: list[dict[str, Any]], baseline: str | None) -> dict[str, Any]:
    """The stage cost section: ours, and the baseline ref's code if given (same spaCy model object)."""
    kits = {"ours": build_kit("guard.pii", analyzer._nlp, Path(tempfile.mkdtemp(prefix="pii-stage-")))}
    if baseline:
        kits = {"baseline": build_kit(import_baseline(baseline), analyzer._nlp, Path(tempfile.mkdtemp())), **kits}
    table = asyncio.run(stage_costs(kits, [row["text"] for row in rows]))
    if baseline:
        table["baseline_ref"] = baseline
    print_stage(table)
    return table


def print_stage(table: dict[str, Any]) -> None:
    print("\nstage cost, CPU ms per message (mean / median)")
    for scenario, row in table.items():
        if not isinstance(row, dict):
            print(f"  {scenario}: {row}")
            continue
        line = f"  {scenario:<36} ours {row['ours_cpu_ms_mean']:7.3f} / {row['ours_cpu_ms_median']:7.3f}"
        if "speedup_mean" in row:
            line += (f"   baseline {row['baseline_cpu_ms_mean']:7.3f} / {row['baseline_cpu_ms_median']:7.3f}"
                     f"   speed-up {row['speedup_mean']:.2f}x / {row['speedup_median']:.2f}x")
        print(line)


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
    parser.add_argument("--baseline", metavar="REF", help="Also time guard/pii as of this git ref (stage cost)")
    parser.add_argument("--no-stage", action="store_true", help="Skip the stage cost section")
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
    speed: dict[str, Any] = {f"{key}_ms_per_message": round(statistics.mean(values) * 1000, 3)
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
    if not args.no_stage:
        result["stage"] = run_stage(analyzer, rows, args.baseline)
    result["targets"] = targets(result)
    print("\ntargets (issue 3):")
    for name, met in result["targets"].items():
        print(f"  {'met    ' if met else 'NOT MET'}  {name}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
