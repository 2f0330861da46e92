"""A policy pack read from disk: Rego modules, data documents, and the revision digest.

Layout: `**/*.rego` are modules (`*_test.rego` are tests, left out of the serving bundle);
`data/**/*.json` are data documents mounted by path, so `data/regimes.json` is `data.regimes`.
The revision is the SHA-256 of every file that goes into the bundle, so two workers with the same
files report the same revision.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guard.errors import PolicyError

__all__ = ["PolicyBundle", "fingerprint", "load_bundle"]

# regopy 1.5.2 crashes the process (SIGSEGV) on `with input as <value>`; `with input.x as` is fine.
_WHOLE_INPUT_MOCK = re.compile(r"\bwith\s+input\s+as\b")


@dataclass(frozen=True, slots=True)
class PolicyBundle:
    root: Path
    modules: dict[str, str]                      # relative path -> source
    tests: dict[str, str]                        # relative path -> source of *_test.rego
    data: dict[str, Any] = field(default_factory=dict)
    revision: str = ""


def _visible(path: Path, root: Path) -> bool:
    # Kubernetes mounts a ConfigMap as symlinks into hidden `..data` / `..<timestamp>` directories;
    # reading those too would load every module twice. Hidden paths are never part of the pack.
    return path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)


def _files(root: Path) -> list[Path]:
    rego = [p for p in root.rglob("*.rego") if _visible(p, root)]
    data_dir = root / "data"
    data = [p for p in data_dir.rglob("*.json") if _visible(p, root)] if data_dir.is_dir() else []
    return sorted(rego + data)


def fingerprint(root: Path) -> tuple[tuple[str, int, int], ...]:
    """A cheap change detector: names, sizes and modification times of the pack's files."""
    marks = []
    for path in _files(root):
        try:
            stat = path.stat()
        except OSError:
            continue  # removed between listing and stat; the next check sees the new state
        marks.append((str(path.relative_to(root)), stat.st_mtime_ns, stat.st_size))
    return tuple(marks)


def _check_source(name: str, source: str) -> None:
    match = _WHOLE_INPUT_MOCK.search(source)
    if match:
        line = source.count("\n", 0, match.start()) + 1
        raise PolicyError(
            f"{name}:{line}: `with input as <value>` is not supported by the embedded engine "
            "(regopy 1.5 crashes on it).",
            hint="Mock input field by field instead: `with input.context as {...} with input.signals as {...}`.",
        )


def _mount(data: dict[str, Any], parts: tuple[str, ...], value: Any, name: str) -> None:
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise PolicyError(f"Data file {name} collides with another data document.",
                              hint="Give each data file its own path under data/.")
    if parts[-1] in node:
        raise PolicyError(f"Data file {name} collides with another data document.",
                          hint="Give each data file its own path under data/.")
    node[parts[-1]] = value


def load_bundle(root: Path) -> PolicyBundle:
    """Read and check a pack directory; raise PolicyError with file and reason if it is unusable."""
    if not root.is_dir():
        raise PolicyError(f"The policy directory {root} does not exist.", hint="Check policy.dir.")
    digest = hashlib.sha256()
    modules: dict[str, str] = {}
    tests: dict[str, str] = {}
    data: dict[str, Any] = {}
    for path in _files(root):
        name = str(path.relative_to(root))
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise PolicyError(f"Cannot read policy file {name}: {exc.strerror}.",
                              hint="Check the file's permissions.") from None
        if path.suffix == ".rego":
            source = raw.decode("utf-8")
            _check_source(name, source)
            if path.name.endswith("_test.rego"):
                tests[name] = source
                continue
            modules[name] = source
        else:
            try:
                value = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                raise PolicyError(f"Data file {name} is not valid JSON ({exc}).",
                                  hint="Fix the JSON syntax; the last good bundle stays loaded.") from None
            parts = path.relative_to(root / "data").with_suffix("").parts
            _mount(data, parts, value, name)
        digest.update(name.encode() + b"\x00" + raw + b"\x00")
    if not modules:
        raise PolicyError(f"No .rego policy files were found in {root}.",
                          hint="Point policy.dir at a directory with the guard.admit and guard.output packages.")
    return PolicyBundle(root=root, modules=modules, tests=tests, data=data, revision=digest.hexdigest())
