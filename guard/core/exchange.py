"""An exchange normalised out of any provider format: what the stages work on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from guard.core.context import Context

__all__ = ["Exchange", "Message", "Signals"]


@dataclass(slots=True)
class Message:
    """One piece of text that goes to the model.

    `path` locates the text in the provider request body (e.g. `("messages", 0, "content")`), so
    the door that built the exchange can write the redacted text back in place. `role` is the chat
    role; `kind` says what sort of text it is (`content`, `tool_arguments`, `system`, `input`).
    """

    role: str
    text: str
    path: tuple[str | int, ...] = ()
    kind: str = "content"

    @property
    def provenance(self) -> str:
        return ".".join(str(part) for part in self.path) or self.role


@dataclass(slots=True)
class Signals:
    """Facts about the input that the admit policy may use; filled in by the stages' `prepare`."""

    pii_types: set[str] = field(default_factory=set)
    special_categories: set[str] = field(default_factory=set)
    crisis: bool = False
    emotional_content: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_policy(self) -> dict[str, Any]:
        return {
            "pii_types": sorted(self.pii_types),
            "special_categories": sorted(self.special_categories),
            "crisis": self.crisis,
            "emotional_content": self.emotional_content,
            **self.extra,
        }


@dataclass(slots=True)
class Exchange:
    """Context, the messages that go upstream, and the answer that comes back.

    Stages rewrite `messages[i].text` (redaction) and `response_text` (rewrite, restore) in place;
    the door turns the result back into the provider's format. `scratch` is a per-exchange space
    where a stage keeps what it computed in one hook for use in a later one (e.g. the analyzer's
    spans from `prepare`, reused in `on_request`).
    """

    context: Context
    messages: list[Message]
    api: str = "openai.chat"
    model: str | None = None
    stream: bool = False
    response_text: str = ""
    signals: Signals = field(default_factory=Signals)
    scratch: dict[str, Any] = field(default_factory=dict)

    def last_user_text(self) -> str:
        """The newest user message (redacted once the redact stage has run)."""
        for message in reversed(self.messages):
            if message.role == "user" and message.kind == "content":
                return message.text
        return ""
