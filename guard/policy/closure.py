"""Which modules an entrypoint needs: its package and, transitively, every package it refers to.

The embedded engine compiles one bundle per group of entrypoints with the same modules. regopy
keeps every module of a bundle in it, and each evaluation pays for the bundle's size (it is checked
and a frame for all its variables is made per query, and again per builtin call), so `admit` does
not carry `output`'s rules and the reverse.

The analysis is textual and errs on the side of including: a module is needed if its package is,
contains or lies under a `data.` path named by a needed module (`import data.guard.culture`,
`data.guard.culture.texts`, `data.guard[x]`). A module that indexes `data` itself (`data[x]`) or
imports all of it makes every module needed.
"""

from __future__ import annotations

import re

__all__ = ["modules_for"]

_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)", re.MULTILINE)
_DATA_PATH = re.compile(r"\bdata((?:\.[A-Za-z_]\w*)+)")
_WHOLE_DATA = re.compile(r"\bdata\s*\[|^\s*import\s+data\s*(?:$|as\b)", re.MULTILINE)


def _related(package: str, path: str) -> bool:
    """A reference to `path` may reach rules of `package` (the same, a parent or a child path)."""
    return package == path or path.startswith(package + ".") or package.startswith(path + ".")


def modules_for(entrypoint: str, modules: dict[str, str]) -> dict[str, str]:
    """The modules (name -> source, in the given order) that evaluating `entrypoint`
    (e.g. `guard/admit/decision`) can reach."""
    packages = {name: match.group(1) for name, source in modules.items() if (match := _PACKAGE.search(source))}
    if len(packages) < len(modules) or any(_WHOLE_DATA.search(source) for source in modules.values()):
        return dict(modules)  # a module without a package, or one that reaches all of data: keep everything
    needed: set[str] = set()
    pending = [entrypoint.replace("/", ".")]
    seen: set[str] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for name, package in packages.items():
            if name not in needed and _related(package, path):
                needed.add(name)
                pending.append(package)  # the package's other files
                pending.extend(ref.lstrip(".") for ref in _DATA_PATH.findall(modules[name]))
    return {name: source for name, source in modules.items() if name in needed}
