"""`guard.wrap(client)`: an OpenAI or Anthropic SDK client whose calls run the Guard's pipeline.

The wrapped client is the SDK's own client (same class, same options) with an HTTP transport
that hands each request to the proxy's routes in-process, so wrapped calls and proxied calls
are checked by the same adapters and make the same decisions. A refusal surfaces as
`guard.PolicyDenied` (carrying the Decision) instead of the SDK's 403 error.
"""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, TypeVar

import httpx2

from guard.core.config import AuthSettings
from guard.errors import ConfigError, GuardError, PolicyDenied
from guard.inprocess.transport import AsyncGuardTransport, GuardTransport, Route, UpstreamBridge

if TYPE_CHECKING:
    from guard._guard import Guard
    from guard.inprocess.runner import LoopThread

__all__ = ["GuardedClient", "loop_thread", "wrap"]

C = TypeVar("C")

_RESOURCE_MODULES = ("openai.resources", "anthropic.resources", "anthropic.lib", "openai.lib")


def loop_thread(guard: Guard) -> LoopThread:
    """The Guard's private loop for sync doors, created on first use and stopped by `guard.aclose()`."""
    from guard.inprocess.runner import LoopThread

    runner = guard.services.get("inprocess_loop")
    if runner is None:
        runner = guard.services["inprocess_loop"] = LoopThread()
    return runner


def _flavour(client: Any) -> tuple[str, bool]:
    """("openai" | "anthropic", is_async) for a supported SDK client, else ConfigError."""
    module = type(client).__module__.split(".", 1)[0]
    http_client = getattr(client, "_client", None)
    if module not in {"openai", "anthropic"} or not isinstance(http_client, httpx2.Client | httpx2.AsyncClient):
        raise ConfigError(f"guard.wrap does not know how to wrap a {type(client).__name__}.",
                          hint="Pass an openai.OpenAI, openai.AsyncOpenAI, anthropic.Anthropic or "
                               "anthropic.AsyncAnthropic client.")
    return module, isinstance(http_client, httpx2.AsyncClient)


def _app(guard: Guard, flavour: str, base_url: str, bridge: UpstreamBridge) -> Any:
    from guard.proxy.app import create_app
    from guard.proxy.upstream import Upstream

    # The app itself is the caller: no proxy keys; the SDK's own key goes to the SDK's own base URL.
    settings = guard.settings.model_copy(update={"auth": AuthSettings()})
    upstream_settings = getattr(settings.upstreams, flavour).model_copy(update={"base_url": base_url,
                                                                              "api_key_env": None})
    app = create_app(settings, guard=guard)
    app.state.guard = guard
    app.state.upstreams = {flavour: Upstream(upstream_settings, transport=bridge,
                                             auth_header="x-api-key" if flavour == "anthropic" else "authorization")}
    return app


def wrap(guard: Guard, client: C) -> C:
    """A copy of `client` whose requests go through `guard`'s pipeline (streaming and tools too).

    The copy owns the original's connections: closing it closes them.
    """
    flavour, is_async = _flavour(client)
    sdk: Any = client
    base_url = str(sdk.base_url)
    bridge = UpstreamBridge(sdk._client)
    route = Route(_app(guard, flavour, base_url, bridge), bridge, prefix="/v1" if flavour == "openai" else "",
                  base_path=httpx2.URL(base_url).path)
    timeout = sdk._client.timeout
    if is_async:
        http_client: httpx2.Client | httpx2.AsyncClient = httpx2.AsyncClient(
            transport=AsyncGuardTransport(route), timeout=timeout)
    else:
        http_client = httpx2.Client(transport=GuardTransport(route, loop_thread(guard)), timeout=timeout)
    return GuardedClient(sdk.copy(http_client=http_client))  # type: ignore[return-value]


def _guard_error(exc: BaseException) -> GuardError | None:
    response = getattr(exc, "response", None)
    extensions = getattr(response, "extensions", None) or {}
    error = extensions.get("guard_error")
    return error if isinstance(error, PolicyDenied) else None


class GuardedClient:
    """Passes every attribute through; calls raise `PolicyDenied` where the SDK would raise its 403."""

    __slots__ = ("_target",)

    def __init__(self, target: Any) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if inspect.ismethod(value) or inspect.isfunction(value):
            return _call(value)
        if type(value).__module__.startswith(_RESOURCE_MODULES):
            return GuardedClient(value)
        return value

    def __repr__(self) -> str:
        return f"<guarded {self._target!r}>"

    def __enter__(self) -> Any:
        try:
            entered = self._target.__enter__()
            return self if entered is self._target else entered
        except Exception as exc:
            _reraise(exc)
            raise

    def __exit__(self, *exc_info: Any) -> Any:
        return self._target.__exit__(*exc_info)

    async def __aenter__(self) -> Any:
        try:
            entered = await self._target.__aenter__()
            return self if entered is self._target else entered
        except Exception as exc:
            _reraise(exc)
            raise

    async def __aexit__(self, *exc_info: Any) -> Any:
        return await self._target.__aexit__(*exc_info)


def _reraise(exc: BaseException) -> None:
    error = _guard_error(exc)
    if error is not None:
        raise error from None


def _call(method: Any) -> Any:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            result = method(*args, **kwargs)
        except Exception as exc:
            _reraise(exc)
            raise
        if inspect.isawaitable(result):
            return _awaited(result)
        if isinstance(getattr(result, "_client", None), httpx2.Client | httpx2.AsyncClient):
            return GuardedClient(result)  # client.with_options(...) / .copy(...): still guarded
        managed = hasattr(result, "__enter__") or hasattr(result, "__aenter__")
        if managed and not (hasattr(result, "__iter__") or hasattr(result, "__aiter__")):
            return GuardedClient(result)  # e.g. messages.stream(...): the request starts on enter
        return result

    return call


async def _awaited(awaitable: Any) -> Any:
    try:
        return await awaitable
    except Exception as exc:
        _reraise(exc)
        raise
