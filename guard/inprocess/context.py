"""The exchange Context for in-process doors, set once per request in a contextvar.

Web apps call `use_context(...)` in a middleware or dependency; every `@guard.protect`-ed
function and every `guard.wrap`-ped client call inside that block uses it, unless the call
names its own context.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from guard.core.context import Context
from guard.proxy.context import HEADER_FIELDS

__all__ = ["ContextSource", "context_headers", "current_context", "resolve_context", "use_context"]

_CURRENT: ContextVar[Context | None] = ContextVar("guard_context", default=None)

#: What `protect(context=...)` accepts: a Context, its fields as a mapping, or a callable of the
#: decorated function's arguments returning either.
ContextSource = Context | dict[str, Any] | Callable[..., "Context | dict[str, Any]"]


def current_context() -> Context | None:
    """The Context set by the innermost `use_context` block, if any."""
    return _CURRENT.get()


@contextmanager
def use_context(context: Context | None = None, **fields: Any) -> Iterator[Context]:
    """Set the Context for every guarded call in this block (and the tasks it starts)."""
    value = context.model_copy(update=fields) if context is not None else Context(**fields)
    token = _CURRENT.set(value)
    try:
        yield value
    finally:
        _CURRENT.reset(token)


def resolve_context(source: ContextSource | None, *args: Any, **kwargs: Any) -> Context:
    """The Context for one call: the decorator's source, else the contextvar, else the defaults."""
    if source is None:
        return current_context() or Context()
    value = source(*args, **kwargs) if callable(source) and not isinstance(source, Context) else source
    if isinstance(value, Context):
        return value
    return Context.model_validate(value)


def context_headers(context: Context) -> dict[str, str]:
    """The `X-Guard-*` headers that say the same as `context` (tenant travels separately)."""
    values: dict[str, Any] = {
        "subject": context.subject, "conversation": context.conversation, "setting": context.setting.value,
        "region": context.region, "locale": context.locale, "age_band": context.age_band.value,
        "purposes": ",".join(context.purposes),
    }
    return {header: str(values[field]) for header, field in HEADER_FIELDS.items() if values.get(field)}
