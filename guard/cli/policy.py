"""`guard policy test [DIR]` and `guard policy eval --entry admit|output --input FILE`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from guard.cli._common import ConfigOption, console, err_console, fail_on_errors, settings_from

__all__ = ["register"]


def _policy_dir(directory: Path | None, config: Path | None) -> Path:
    from guard.policy.paths import resolve_policy_dir

    if directory is not None:
        return resolve_policy_dir(str(directory))
    return resolve_policy_dir(settings_from(config).policy.dir)


def run_tests(
    directory: Annotated[Path | None, typer.Argument(help="Policy directory (default: policy.dir, else the "
                                                          "shipped pack).")] = None,
    config: ConfigOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show timings.")] = False,
) -> None:
    """Run the pack's Rego tests (test_* rules in *_test.rego). Exit 1 if any fails or the pack is broken."""
    from guard.errors import PolicyError
    from guard.policy.testing import run_policy_tests

    with fail_on_errors():
        root = _policy_dir(directory, config)
        try:
            results = run_policy_tests(root)
        except PolicyError as exc:
            err_console.print(f"[bold red]FAIL[/] the pack does not load: {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
    if not results:
        err_console.print(f"no test_ rules found in {root}", highlight=False)
        raise typer.Exit(1)
    failed = 0
    for result in results:
        timing = f" ({result.ms:.2f} ms)" if verbose else ""
        if result.passed:
            console.print(f"[green]PASS[/] {result.name}{timing}", highlight=False, soft_wrap=True)
        else:
            failed += 1
            console.print(f"[bold red]FAIL[/] {result.name}{timing}: {result.error or 'evaluated to false'}",
                          highlight=False, soft_wrap=True)
    console.print(f"{len(results) - failed} passed, {failed} failed", highlight=False)
    if failed:
        raise typer.Exit(1)


def _read_input(path: str) -> dict[str, Any]:
    from guard.errors import BadRequest

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        document = json.loads(text)
    except OSError as exc:
        raise BadRequest(f"Cannot read the input file {path}: {exc.strerror}.") from None
    except ValueError as exc:
        raise BadRequest(f"The input file {path} is not valid JSON ({exc}).") from None
    if not isinstance(document, dict):
        raise BadRequest("The input must be a JSON object such as {\"context\": {...}, \"consents\": []}.")
    return document


def eval_(
    entry: Annotated[str, typer.Option(help="Which decision: admit or output.")],
    input_file: Annotated[str, typer.Option("--input", "-i", help="JSON input document (- for stdin).")],
    directory: Annotated[Path | None, typer.Option("--dir", help="Policy directory (default: policy.dir, "
                                                                  "else the shipped pack).")] = None,
    config: ConfigOption = None,
) -> None:
    """Evaluate guard.admit or guard.output for an input document and print the decision as JSON."""
    from guard.errors import BadRequest
    from guard.policy.embedded import EmbeddedEngine

    if entry not in {"admit", "output"}:
        err_console.print("--entry must be admit or output")
        raise typer.Exit(2)
    with fail_on_errors():
        try:
            document = _read_input(input_file)
        except BadRequest as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        engine = EmbeddedEngine(_policy_dir(directory, config), reload=False)
        evaluation = engine.evaluate_sync("admit" if entry == "admit" else "output", document)
    result = {"revision": evaluation.revision, "decision": evaluation.value}
    typer.echo(json.dumps(result, indent=2, ensure_ascii=False, sort_keys=True))


def register(app: typer.Typer) -> None:
    policy_app = typer.Typer(help="Test and evaluate the Rego policy pack.", no_args_is_help=True)
    policy_app.command("test")(run_tests)
    policy_app.command("eval")(eval_)
    app.add_typer(policy_app, name="policy")
