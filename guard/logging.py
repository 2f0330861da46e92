"""Operational logs: structlog JSON (or console) configured once, at the edge, with a scrubber.

`configure_logging(json=True, level="INFO")` is called by the command that starts a process
(`guard serve`, the CLI); importing guard never configures logging. Run uvicorn with
`log_config=None` (or call this again after it started) so its loggers use this pipeline too. Every event, ours and the
standard library's (uvicorn, httpx), passes `DropPersonalData` last before rendering. It is
defence in depth behind the pipeline's own redaction:

- keys that carry message text or identities (`text`, `content`, `messages`, `prompt`, `subject`,
  ...) are replaced by `"[dropped]"`;
- values the redact stage found in the current exchange (`note_personal_values`) are replaced
  wherever they appear, including inside exception text;
- common personal-data shapes (e-mail, phone, card, IBAN, IP address, US SSN) are masked.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TextIO

import structlog

__all__ = [
    "DROPPED",
    "DropPersonalData",
    "configure_logging",
    "current_personal_values",
    "note_personal_values",
    "personal_values",
    "scrub_text",
    "scrub_values",
]

DROPPED = "[dropped]"
DROP_KEYS = frozenset({
    "text", "content", "contents", "message_text", "messages", "prompt", "prompts", "completion",
    "response", "response_text", "body", "input", "inputs", "output", "evidence", "subject", "user",
    "email", "phone", "name", "address", "conversation", "authorization", "api_key", "password",
})
_PATTERNS = (
    ("EMAIL", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("IBAN", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")),
    ("CARD", re.compile(r"\b(?:\d[ -]?){13,19}\b")),
    ("SSN", re.compile(r"\b\d{3}-\d{2}-\d{4}\b")),
    ("PHONE", re.compile(r"(?<![\w-])\+?\d[\d ().-]{7,}\d(?![\w-])")),
    ("IP", re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")),
)
# Libraries that install their own handlers (uvicorn does, unless run with log_config=None):
# their records are sent through ours instead, so nothing bypasses the scrubber.
_ADOPTED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "httpx", "httpcore")
# Libraries that narrate every request or recognizer at INFO: operators want their warnings, not that.
_CHATTY_LOGGERS = ("httpx", "httpcore", "presidio-analyzer")
_MIN_VALUE = 3  # shorter "values" (e.g. an initial) would blank out ordinary words
_KNOWN: ContextVar[frozenset[str]] = ContextVar("guard_known_personal_values", default=frozenset())


def note_personal_values(values: Iterable[str]) -> None:
    """Tell the log scrubber about raw values seen in this exchange (current context only)."""
    new = {value for value in values if len(value) >= _MIN_VALUE}
    if new:
        _KNOWN.set(_KNOWN.get() | new)


@contextmanager
def personal_values(values: Iterable[str]) -> Iterator[None]:
    """Scrub `values` from every log event emitted inside the block."""
    token = _KNOWN.set(_KNOWN.get() | {value for value in values if len(value) >= _MIN_VALUE})
    try:
        yield
    finally:
        _KNOWN.reset(token)


def current_personal_values() -> frozenset[str]:
    """The raw values noted for the current exchange (for other sinks that scrub, e.g. the audit log)."""
    return _KNOWN.get()


def scrub_values(value: Any, known: frozenset[str]) -> Any:
    """`value` (JSON-like) with every occurrence of a known value in its strings masked; keys kept."""
    if not known:
        return value
    # Longest first, so a value that contains another is masked whole; sorted once per call.
    return _mask_known(value, sorted(known, key=len, reverse=True))


def _mask_known(value: Any, ordered: list[str]) -> Any:
    if isinstance(value, str):
        for item in ordered:
            if item in value:
                value = value.replace(item, "[redacted]")
        return value
    if isinstance(value, dict):
        return {k: _mask_known(v, ordered) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_known(item, ordered) for item in value]
    return value


def scrub_text(text: str, known: Iterable[str] = ()) -> str:
    """`text` with known values and personal-data shapes masked."""
    for value in sorted(known, key=len, reverse=True):
        if value in text:
            text = text.replace(value, "[redacted]")
    for label, pattern in _PATTERNS:
        text = pattern.sub(f"[{label}]", text)
    return text


def _scrub(value: Any, known: frozenset[str], depth: int = 0) -> Any:
    if isinstance(value, str):
        return scrub_text(value, known)
    if depth > 6:
        return DROPPED
    if isinstance(value, Mapping):
        return {k: DROPPED if str(k).lower() in DROP_KEYS else _scrub(v, known, depth + 1)
                for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(item, known, depth + 1) for item in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return scrub_text(repr(value), known)  # objects render as text: scrub that text


class DropPersonalData:
    """structlog processor: drop text-bearing keys, mask known values and personal-data shapes."""

    def __init__(self, drop_keys: Iterable[str] = DROP_KEYS) -> None:
        self.drop_keys = frozenset(key.lower() for key in drop_keys)

    def __call__(self, logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        known = _KNOWN.get()
        for key in list(event):
            if key.startswith("_"):  # structlog/stdlib plumbing (_record, _from_structlog)
                continue
            if key.lower() in self.drop_keys:
                event[key] = DROPPED
            else:
                event[key] = _scrub(event[key], known)
        return event


def _level(level: str | int) -> int:
    if isinstance(level, int):
        return level
    number = logging.getLevelName(level.upper())
    if not isinstance(number, int):
        raise ValueError(f"unknown log level {level!r}; use DEBUG, INFO, WARNING or ERROR")
    return number


def configure_logging(json: bool = True, level: str | int = "INFO", *, stream: TextIO | None = None) -> None:
    """Route structlog and standard-library logging through one scrubbed renderer (call once, at start)."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        DropPersonalData(),
    ]
    renderer: Any = (structlog.processors.JSONRenderer() if json
                     else structlog.dev.ConsoleRenderer(colors=False))
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_guard_handler", False):
            root.removeHandler(old)
    handler._guard_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(_level(level))
    for name in _ADOPTED_LOGGERS:
        adopted = logging.getLogger(name)
        adopted.handlers.clear()
        adopted.propagate = True
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *shared,
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
