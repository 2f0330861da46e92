"""The `PolicyEngine` protocol and the factory that picks an engine from settings.

An engine evaluates one of two entries of the pack for an input document:

- `admit`  → `data.guard.admit.decision`:  {allow, reasons, obligations}
- `output` → `data.guard.output.decision`: {allow, action, reasons, flagged}

and, for the judge, `texts` → `data.guard.output.texts` (locale texts; depends on the context only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from guard.policy.settings import PolicySettings

__all__ = ["Entry", "Evaluation", "PolicyEngine", "open_engine"]

Entry = Literal["admit", "output", "texts"]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """An entry's value and the revision of the bundle that produced it."""

    value: dict[str, Any]
    revision: str


@runtime_checkable
class PolicyEngine(Protocol):
    @property
    def revision(self) -> str:
        """Digest of the policy files the engine is serving now."""
        ...

    async def evaluate(self, entry: Entry, document: dict[str, Any]) -> Evaluation:
        """The entry's value for an input document; raises PolicyError if evaluation fails."""
        ...

    async def aclose(self) -> None: ...


def open_engine(settings: PolicySettings) -> PolicyEngine:
    """The configured engine: embedded regopy (default) or a remote OPA server."""
    from guard.policy.paths import resolve_policy_dir

    if settings.engine == "opa":
        from guard.policy.opa import OpaEngine

        return OpaEngine(
            settings.opa_url,
            policy_dir=resolve_policy_dir(settings.dir) if settings.opa_push else None,
            timeout_s=settings.opa_timeout_s,
        )
    from guard.policy.embedded import EmbeddedEngine

    return EmbeddedEngine(resolve_policy_dir(settings.dir), reload=settings.reload)
