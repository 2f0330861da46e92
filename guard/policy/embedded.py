"""The embedded engine: the pack compiled once with regopy, evaluated in-process, hot-reloaded.

Evaluation takes well under a millisecond, so it runs inline on the event loop; a lock serialises
it because a regopy interpreter is not thread-safe. Reload: at most once per `check_interval_s`,
an evaluation looks at the files' sizes and times; if they changed, a background thread compiles
the new pack and swaps it in with one assignment. Requests keep using the bundle they started
with, so none is lost; a broken edit is logged and kept out (`last_error`), the last good bundle
keeps serving.

Memoisation: entries in `memo_entries` (admit, output, texts) are answered from a bounded memo
keyed by bundle revision, entry and the input as canonical JSON, when a static look at the serving
modules (`guard.policy.purity`) finds that the value can depend on nothing else: no impure builtin
(`time.now_ns`, `http.send`, ...), and, for inputs that carry `now` (admit), no module reading
`input.now`; the key then leaves `now` out. The shipped pack never reads `input.now`: admit decides
on each consent record's `state` at `now`, stated by the consent store. So a decision that time
could change is never served stale: a grant, withdrawal or expiry changes a record's state (and
its times), hence the key, and the store's freshness checks (`guard.consent.freshness`) make every
exchange read the current records. A pack that reads `input.now` is still correct, only its admit
decisions are evaluated every time.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from guard.core.lru import BoundedLRU
from guard.errors import PolicyError
from guard.policy.bundle import PolicyBundle, fingerprint, load_bundle
from guard.policy.engine import Entry, Evaluation
from guard.policy.purity import Purity, purity
from guard.policy.rego import ENTRYPOINTS, Compiled, compile_bundle, evaluate, new_interpreter

__all__ = ["EmbeddedEngine"]

log = structlog.get_logger("guard.policy")


@dataclass(frozen=True, slots=True)
class _Serving:
    """The compiled bundle and what it allows to be memoised, swapped in together on reload."""

    compiled: Compiled
    purity: Purity

    @classmethod
    def build(cls, pack: PolicyBundle) -> _Serving:
        return cls(compiled=compile_bundle(pack), purity=purity(pack.modules.values()))


class EmbeddedEngine:
    def __init__(
        self, policy_dir: Path, *, reload: bool = True, check_interval_s: float = 1.0,
        memo_entries: frozenset[str] = frozenset({"admit", "output", "texts"}), memo_size: int = 4096,
    ) -> None:
        self.policy_dir = policy_dir
        self.memo_entries = memo_entries
        self.memo_size = memo_size
        self.memo_hits = 0
        # First in, first out; a reload swaps in a fresh table (see `_reload_if_changed`).
        self._memo: BoundedLRU[tuple[str, str, str], dict[str, Any]] = BoundedLRU(memo_size, refresh_on_get=False)
        self.check_interval_s = check_interval_s
        self.last_error: str | None = None
        self.reloads = 0          # bundles swapped in since start (read by /metrics)
        self.reload_failures = 0  # broken edits rejected; the last good bundle kept serving
        self._reload_enabled = reload
        self._fingerprint = fingerprint(policy_dir)
        self._serving = _Serving.build(load_bundle(policy_dir))
        self._eval_lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._runner = new_interpreter()
        self._next_check = time.monotonic() + check_interval_s
        log.info("policy_loaded", revision=self.revision[:12], memoised=self.memoised())

    @property
    def revision(self) -> str:
        return self._serving.compiled.revision

    def evaluate_sync(self, entry: Entry, document: dict[str, Any]) -> Evaluation:
        """Evaluate an entry, or answer it from the memo (see the module docstring).

        An entry in `memo_entries` is memoised per bundle when the pack uses no impure builtin
        and either its input carries no `now` (output, texts) or no serving module reads
        `input.now` (admit with the shipped pack; the key leaves `now` out, so a conversation's
        repeated admit input hits at any time). Time still counts through the consents: a
        withdrawal or an expiry changes a record's `state`, hence the key. Treat returned values
        as read-only."""
        self._maybe_reload()
        serving = self._serving  # one snapshot per evaluation: a reload never changes it midway
        active = serving.compiled
        key = self._memo_key(serving, entry, document)
        if key is not None:
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
            self._memo.put(key, value)
        return Evaluation(value=value, revision=active.revision)

    async def evaluate(self, entry: Entry, document: dict[str, Any]) -> Evaluation:
        return self.evaluate_sync(entry, document)

    def _memo_key(self, serving: _Serving, entry: Entry, document: dict[str, Any]) -> tuple[str, str, str] | None:
        """The memo key of an evaluation, or None if its value may depend on more than the key holds."""
        if entry not in self.memo_entries or not serving.purity.pure:
            return None
        if "now" in document:
            if serving.purity.reads_now:
                return None
            document = {name: value for name, value in document.items() if name != "now"}
        return serving.compiled.revision, entry, json.dumps(document, sort_keys=True, separators=(",", ":"))

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
            if pack.revision == self._serving.compiled.revision:
                self._fingerprint = current
                return False
            serving = _Serving.build(pack)
        except PolicyError as exc:
            self._fingerprint = current  # retry only when the files change again
            self.last_error = exc.message
            self.reload_failures += 1
            log.warning("policy_reload_failed", error=exc.message, serving=self.revision[:12])
            return False
        self._serving = serving  # the bundle and its memo flags, in one assignment
        # Entries are keyed by revision too; a new table only frees the memory. Swapped, not cleared:
        # evaluations still running on other threads keep writing to the old one, never racing a clear.
        self._memo = BoundedLRU(self.memo_size, refresh_on_get=False)
        self._fingerprint = current
        self.last_error = None
        self.reloads += 1
        log.info("policy_reloaded", revision=serving.compiled.revision[:12], memoised=self.memoised(serving))
        return True

    def memoised(self, serving: _Serving | None = None) -> list[str]:
        """The entries the serving pack lets the engine memoise (logged on load and reload, so a pack
        author sees when reading `input.now` or an impure builtin turned memoisation off)."""
        purity = (serving or self._serving).purity
        if not purity.pure:
            return []
        return sorted(entry for entry in self.memo_entries if entry != "admit" or not purity.reads_now)

    async def aclose(self) -> None:
        return None
