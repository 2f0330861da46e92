"""The embedded engine: the pack compiled once with regopy, evaluated in-process, hot-reloaded.

Evaluation takes well under a millisecond, so it runs inline on the event loop; a lock serialises
it because a regopy interpreter is not thread-safe. Reload: at most once per `check_interval_s`,
an evaluation looks at the files' sizes and times; if they changed, a background thread compiles
the new pack and swaps it in with one assignment. Requests keep using the bundle they started
with, so none is lost; a broken edit is logged and kept out (`last_error`), the last good bundle
keeps serving.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import structlog

from guard.errors import PolicyError
from guard.policy.bundle import fingerprint, load_bundle
from guard.policy.engine import Entry, Evaluation
from guard.policy.rego import ENTRYPOINTS, Compiled, compile_bundle, evaluate, new_interpreter

__all__ = ["EmbeddedEngine"]

log = structlog.get_logger("guard.policy")

# Builtins whose result is not a function of the input and data: a pack using any of them is
# never memoised.
_IMPURE = re.compile(r"\b(?:time\.now_ns|http\.send|rand\.intn|uuid\.rfc4122|opa\.runtime|net\.lookup_ip_addr)\b")


class EmbeddedEngine:
    def __init__(
        self, policy_dir: Path, *, reload: bool = True, check_interval_s: float = 1.0,
        memo_entries: frozenset[str] = frozenset({"output", "texts"}), memo_size: int = 4096,
    ) -> None:
        self.policy_dir = policy_dir
        self.memo_entries = memo_entries
        self.memo_size = memo_size
        self.memo_hits = 0
        self._memo: OrderedDict[tuple[str, str, str], dict[str, Any]] = OrderedDict()
        self.check_interval_s = check_interval_s
        self.last_error: str | None = None
        self.reloads = 0          # bundles swapped in since start (read by /metrics)
        self.reload_failures = 0  # broken edits rejected; the last good bundle kept serving
        self._reload_enabled = reload
        self._fingerprint = fingerprint(policy_dir)
        pack = load_bundle(policy_dir)
        self._active: Compiled = compile_bundle(pack)
        self._pure = not any(_IMPURE.search(source) for source in pack.modules.values())
        self._eval_lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._runner = new_interpreter()
        self._next_check = time.monotonic() + check_interval_s

    @property
    def revision(self) -> str:
        return self._active.revision

    def evaluate_sync(self, entry: Entry, document: dict[str, Any]) -> Evaluation:
        """Evaluate an entry. Entries in `memo_entries` whose input carries no time (`output`,
        `texts`) are memoised per bundle: the same input gives the same value, as long as the pack
        uses no impure builtin (time.now_ns, http.send, ...). Treat returned values as read-only."""
        self._maybe_reload()
        active = self._active  # one snapshot per evaluation: a reload never changes it midway
        key = None
        if entry in self.memo_entries and self._pure and "now" not in document:
            key = (active.revision, entry, json.dumps(document, sort_keys=True, separators=(",", ":")))
            cached = self._memo.get(key)
            if cached is not None:
                self.memo_hits += 1
                return Evaluation(value=cached, revision=active.revision)
        with self._eval_lock:
            value = evaluate(self._runner, active, ENTRYPOINTS[entry], document)
        if not isinstance(value, dict):
            raise PolicyError(f"The policy entry {ENTRYPOINTS[entry]} must be an object, not {type(value).__name__}.",
                              hint="Make the decision rule build an object.")
        if key is not None:
            self._memo[key] = value
            while len(self._memo) > self.memo_size:
                self._memo.popitem(last=False)
        return Evaluation(value=value, revision=active.revision)

    async def evaluate(self, entry: Entry, document: dict[str, Any]) -> Evaluation:
        return self.evaluate_sync(entry, document)

    def _maybe_reload(self) -> None:
        if not self._reload_enabled:
            return
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + self.check_interval_s
        if not self._reload_lock.acquire(blocking=False):
            return  # a reload is already running
        thread = threading.Thread(target=self._reload_then_release, name="guard-policy-reload", daemon=True)
        thread.start()

    def _reload_then_release(self) -> None:
        try:
            self._reload_if_changed()
        finally:
            self._reload_lock.release()

    def reload(self) -> bool:
        """Check the files now and swap in a changed pack; True if a new bundle is serving."""
        with self._reload_lock:
            return self._reload_if_changed()

    def _reload_if_changed(self) -> bool:
        current = fingerprint(self.policy_dir)
        if current == self._fingerprint:
            return False
        try:
            pack = load_bundle(self.policy_dir)
            if pack.revision == self._active.revision:
                self._fingerprint = current
                return False
            compiled = compile_bundle(pack)
        except PolicyError as exc:
            self._fingerprint = current  # retry only when the files change again
            self.last_error = exc.message
            self.reload_failures += 1
            log.warning("policy_reload_failed", error=exc.message, serving=self._active.revision[:12])
            return False
        self._active = compiled
        self._pure = not any(_IMPURE.search(source) for source in pack.modules.values())
        self._memo.clear()  # entries are keyed by revision too; this only frees the memory
        self._fingerprint = current
        self.last_error = None
        self.reloads += 1
        log.info("policy_reloaded", revision=compiled.revision[:12])
        return True

    async def aclose(self) -> None:
        return None
