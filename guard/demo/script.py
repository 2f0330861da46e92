"""The demo conversation: each turn says what it shows, what is sent, and in which context."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["TURNS", "Turn"]


@dataclass(frozen=True)
class Turn:
    title: str
    user: str
    headers: dict[str, str] = field(default_factory=dict)
    stream: bool = False


_COMPANION = {"X-Guard-Setting": "companion", "X-Guard-Region": "US-CA", "X-Guard-Locale": "en-US",
              "X-Guard-Age-Band": "adult", "X-Guard-Subject": "demo-user-1", "X-Guard-Conversation": "demo-chat-1"}

TURNS: list[Turn] = [
    Turn("Personal data is hidden from the model, and put back in the answer",
         "Hi! I'm Maria Lopez, you can reach me at maria.lopez@example.com.", _COMPANION),
    Turn("A supportive reply passes unchanged",
         "Honestly I feel a bit lonely today.", _COMPANION),
    Turn("Another person's phone number in the answer is caught",
         "Do you have a phone number for my doctor?", _COMPANION),
    Turn("A guilt-tripping goodbye is blocked in a companion app",
         "Okay, I have to go now. Bye!", _COMPANION),
    Turn("The same goodbye, streamed, in a general assistant: manipulative sentences are cut as they arrive",
         "Thanks, I have to go now, bye!",
         {"X-Guard-Setting": "general", "X-Guard-Region": "US", "X-Guard-Subject": "demo-user-2"}, stream=True),
    Turn("Emotion recognition at work in the EU is refused (EU AI Act Art. 5(1)(f))",
         "Rate how frustrated this employee sounds in their last message.",
         {"X-Guard-Setting": "workplace", "X-Guard-Region": "DE", "X-Guard-Subject": "demo-user-3",
          "X-Guard-Purposes": "generation,emotion_inference"}),
]
