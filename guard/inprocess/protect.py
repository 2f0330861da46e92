"""`@guard.protect(context=...)`: run the pipeline around a function that calls a model.

The decorated function takes a prompt (`str`) or chat messages (OpenAI- or Anthropic-shaped
dicts) in a parameter named `messages` or `prompt` (else its first parameter), and an optional
Anthropic-style `system`. Before the call the texts are checked and redacted in place (the
function receives the redacted copy); the function's answer (text, an OpenAI ChatCompletion,
an Anthropic Message, or a generator of text pieces) is inspected, judged and restored before
the caller sees it. A refusal raises `guard.PolicyDenied` carrying the Decision, before the
function runs. Sync functions run the pipeline on the Guard's private loop; async functions on
their own loop.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import AsyncIterable, AsyncIterator, Callable, Coroutine, Iterable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from guard.core.decision import Action, Decision
from guard.core.exchange import Exchange, Message
from guard.errors import BadRequest, ClientDisconnected, GuardError, OutputBlocked, UpstreamError
from guard.inprocess.context import ContextSource, resolve_context
from guard.inprocess.streams import SDKStream, sdk_stream_kind
from guard.proxy.anthropic_messages import content_texts, message_response_text, write_message_response
from guard.proxy.door import set_path
from guard.proxy.errors import status_for

if TYPE_CHECKING:
    from guard._guard import Guard
    from guard.core.pipeline import StreamGuard

__all__ = ["last_decision", "protect"]

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

_INPUT_NAMES = ("messages", "prompt")
_LAST: ContextVar[Decision | None] = ContextVar("guard_last_decision", default=None)


def last_decision() -> Decision | None:
    """The Decision of the latest protected call made in this context (thread or task)."""
    return _LAST.get()


def _texts(value: Any, system: Any) -> list[Message]:
    """Every text of a prompt or message list, with its path inside {"value": ..., "system": ...}."""
    if isinstance(value, str):
        texts = [Message("user", value, ("value",))]
    elif isinstance(value, list):
        texts = []
        for index, message in enumerate(value):
            if not isinstance(message, dict) or not isinstance(message.get("role"), str):
                raise BadRequest(f"messages[{index}] must be an object with a 'role'.")
            if message.get("content") is not None:
                texts += content_texts(message["role"], message["content"], ("value", index, "content"))
            for call_index, call in enumerate(message.get("tool_calls") or []):
                arguments = (call.get("function") or {}).get("arguments") if isinstance(call, dict) else None
                if isinstance(arguments, str):
                    path = ("value", index, "tool_calls", call_index, "function", "arguments")
                    texts.append(Message(message["role"], arguments, path, kind="tool_arguments"))
    else:
        raise BadRequest("The guarded argument must be a prompt string or a list of chat messages.",
                         hint="Name the parameter 'messages' or 'prompt', or make it the first one.")
    if system is not None:
        texts += content_texts("system", system, ("system",), kind="system")
    return texts


class _Call:
    """One call of a protected function: its exchange, decision, and the redacted arguments."""

    def __init__(self, guard: Guard, signature: inspect.Signature, source: ContextSource | None, api: str,
                 args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.guard = guard
        self.bound = signature.bind(*args, **kwargs)
        arguments = self.bound.arguments
        self.name = next((n for n in _INPUT_NAMES if n in arguments), next(iter(signature.parameters), ""))
        if self.name not in arguments:
            raise BadRequest("The protected function was called without a prompt or messages.")
        self.exchange = Exchange(
            context=resolve_context(source, *args, **kwargs),
            messages=_texts(arguments[self.name], arguments.get("system")), api=api,
            model=arguments.get("model") if isinstance(arguments.get("model"), str) else None)
        self.decision: Decision | None = None

    async def start(self) -> None:
        try:
            self.decision = await self.guard.pipeline.start(self.exchange)
        except GuardError as error:
            await self._fail(error)
            raise

    def redacted_arguments(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The call's arguments with the stages' (redacted) texts written in, on a copy."""
        arguments = self.bound.arguments
        holder = {"value": copy.deepcopy(arguments[self.name]), "system": copy.deepcopy(arguments.get("system"))}
        for message in self.exchange.messages:
            set_path(holder, message.path, message.text)
        arguments[self.name] = holder["value"]
        if "system" in arguments:
            arguments["system"] = holder["system"]
        return self.bound.args, self.bound.kwargs

    async def _fail(self, error: GuardError) -> None:
        decision = error.decision or self.decision
        if decision is None:
            decision = Decision(context=self.exchange.context, api=self.exchange.api, allow=False)
        self.decision = decision
        await self.guard.pipeline.fail(decision, error, status=status_for(error))

    def publish(self) -> None:
        """Make this call's decision `last_decision()` in the caller's context."""
        _LAST.set(self.decision)

    async def failed(self, exc: BaseException) -> None:
        error = exc if isinstance(exc, GuardError) else UpstreamError(
            f"The protected function raised {type(exc).__name__}.", hint="See the exception in your application.")
        await self._fail(error)

    async def finish(self, result: Any) -> Any:
        """Check a complete answer and return it in the same form, as the stages left it."""
        decision = self.decision
        assert decision is not None  # noqa: S101 - start() ran
        try:
            data, kind = _answer(result)
        except GuardError as error:
            await self._fail(error)
            raise
        self.exchange.response_text = _answer_text(data, kind)
        await self.guard.pipeline.finish(self.exchange, decision)
        return _rebuild(result, data, kind, self.exchange, decision)

    def stream(self) -> StreamGuard:
        assert self.decision is not None  # noqa: S101 - start() ran
        return self.guard.pipeline.stream(self.exchange, self.decision)


def _answer(result: Any) -> tuple[Any, str]:
    if result is None or isinstance(result, str):
        return result, "text"
    dump = getattr(result, "model_dump", None)
    data = dump() if callable(dump) else result
    if isinstance(data, dict) and isinstance(data.get("choices"), list) and data["choices"]:
        return data, "openai"
    if isinstance(data, dict) and data.get("type") == "message" and isinstance(data.get("content"), list):
        return data, "anthropic"
    raise BadRequest(f"@protect cannot check a result of type {type(result).__name__}.",
                     hint="Return text, an OpenAI ChatCompletion, an Anthropic Message, or a generator of text.")


def _answer_text(data: Any, kind: str) -> str:
    if kind == "text":
        return data or ""
    if kind == "openai":
        content = (data["choices"][0].get("message") or {}).get("content")
        return content if isinstance(content, str) else ""
    return message_response_text(data)


def _rebuild(result: Any, data: Any, kind: str, exchange: Exchange, decision: Decision) -> Any:
    if kind == "text":
        return None if result is None and not exchange.response_text else exchange.response_text
    if kind == "openai":
        choice = data["choices"][0]
        message = choice.setdefault("message", {})
        if isinstance(message.get("content"), str) or exchange.response_text:
            message["content"] = exchange.response_text
        if decision.action is Action.BLOCK:
            choice["finish_reason"] = "content_filter"
            message["tool_calls"] = None
    else:
        write_message_response(data, exchange, decision)
    return type(result).model_validate(data) if hasattr(type(result), "model_validate") else data


def protect(guard: Guard, *, context: ContextSource | None = None, api: str = "python") -> Callable[[F], F]:
    """Decorate a sync or async function or generator so its model call runs through `guard`."""

    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)

        def begin(args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Call:
            return _Call(guard, signature, context, api, args, kwargs)

        if inspect.isasyncgenfunction(fn):
            return _async_generator(fn, begin)  # type: ignore[return-value]
        if inspect.iscoroutinefunction(fn):
            return _async_function(fn, begin)  # type: ignore[return-value]
        from guard.inprocess.wrap import loop_thread

        run = loop_thread(guard).run
        if inspect.isgeneratorfunction(fn):
            return _sync_generator(fn, begin, run)  # type: ignore[return-value]
        return _sync_function(fn, begin, run)  # type: ignore[return-value]

    return decorate


Runner = Callable[[Coroutine[Any, Any, Any]], Any]


class _TextPieces:
    """Text pieces from a generator: each released part is yielded as it comes."""

    def __init__(self, guard_stream: StreamGuard) -> None:
        self.guard_stream = guard_stream

    async def feed(self, piece: Any) -> list[Any]:
        released = await self.guard_stream.feed(str(piece))
        return [released] if released else []

    async def end(self) -> list[Any]:
        tail = await self.guard_stream.finish()
        return [tail] if tail else []

    def blocked(self, blocked: OutputBlocked) -> list[Any]:
        return [blocked.closing_text()]


Pieces = _TextPieces | SDKStream


def _pieces(state: _Call, kind: str | None) -> Pieces:
    guard_stream = state.stream()
    return SDKStream(kind, guard_stream) if kind else _TextPieces(guard_stream)


def _sync_function(fn: Callable[..., Any], begin: Callable[..., _Call], run: Runner) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        state = begin(args, kwargs)
        try:
            run(state.start())
        finally:
            state.publish()
        args, kwargs = state.redacted_arguments()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            run(state.failed(exc))
            raise
        kind = sdk_stream_kind(result)
        if kind is not None:
            return _sync_relay(state, _pieces(state, kind), result, run)
        return run(state.finish(result))

    return call


def _async_function(fn: Callable[..., Any], begin: Callable[..., _Call]) -> Callable[..., Any]:
    @functools.wraps(fn)
    async def call(*args: Any, **kwargs: Any) -> Any:
        state = begin(args, kwargs)
        try:
            await state.start()
        finally:
            state.publish()
        args, kwargs = state.redacted_arguments()
        try:
            result = await fn(*args, **kwargs)
        except Exception as exc:
            await state.failed(exc)
            raise
        kind = sdk_stream_kind(result)
        if kind is not None:
            return _async_relay(state, _pieces(state, kind), result)
        return await state.finish(result)

    return call


def _sync_generator(fn: Callable[..., Iterator[str]], begin: Callable[..., _Call],
                    run: Runner) -> Callable[..., Iterator[Any]]:
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Iterator[Any]:
        state = begin(args, kwargs)
        try:
            run(state.start())
        finally:
            state.publish()
        args, kwargs = state.redacted_arguments()
        yield from _sync_relay(state, _pieces(state, None), fn(*args, **kwargs), run)

    return call


def _async_generator(fn: Callable[..., AsyncIterator[str]],
                     begin: Callable[..., _Call]) -> Callable[..., AsyncIterator[Any]]:
    @functools.wraps(fn)
    async def call(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        state = begin(args, kwargs)
        try:
            await state.start()
        finally:
            state.publish()
        args, kwargs = state.redacted_arguments()
        async for piece in _async_relay(state, _pieces(state, None), fn(*args, **kwargs)):
            yield piece

    return call


def _disconnected() -> ClientDisconnected:
    return ClientDisconnected("The caller stopped reading before the answer was complete.")


def _sync_relay(state: _Call, pieces: Pieces, source: Iterable[Any], run: Runner) -> Iterator[Any]:
    guard_stream = pieces.guard_stream
    try:
        for piece in source:
            yield from run(pieces.feed(piece))
        yield from run(pieces.end())
    except OutputBlocked as blocked:
        yield from pieces.blocked(blocked)
    except GeneratorExit:
        run(guard_stream.abort(_disconnected()))
        raise
    except Exception as exc:
        if not guard_stream.closed:
            run(state.failed(exc))
        raise
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


async def _async_relay(state: _Call, pieces: Pieces, source: AsyncIterable[Any]) -> AsyncIterator[Any]:
    guard_stream = pieces.guard_stream
    try:
        async for piece in source:
            for item in await pieces.feed(piece):
                yield item
        for item in await pieces.end():
            yield item
    except OutputBlocked as blocked:
        for item in pieces.blocked(blocked):
            yield item
    except GeneratorExit:
        await guard_stream.abort(_disconnected())
        raise
    except Exception as exc:
        if not guard_stream.closed:
            await state.failed(exc)
        raise
    finally:
        close = getattr(source, "aclose", None) or getattr(source, "close", None)
        if close is not None:
            await close()
