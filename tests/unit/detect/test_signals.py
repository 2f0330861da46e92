"""Input signals and user-turn cues."""

from __future__ import annotations

import pytest

from guard.detect.cues import farewell_acknowledged, mentions_departure, read_user
from guard.detect.signals import has_crisis_signal, has_emotional_content

CRISIS = [
    "I want to kill myself",
    "I've been thinking about ending my life.",
    "sometimes i wish i were dead",
    "I keep cutting myself",
    "Ich denke an Selbstmord.",
    "J'ai envie de mourir.",
    "Quiero quitarme la vida.",
    "I don't want to live anymore",
]
NOT_CRISIS = [
    "This traffic is killing me, lol",
    "I'm dying to see that movie",
    "How do I kill a process on Linux?",
    "What a great day!",
]


@pytest.mark.parametrize("text", CRISIS)
def test_crisis_signal_fires_on_self_harm_in_four_languages(text: str) -> None:
    """Suicide and self-harm statements raise the crisis signal (en/de/fr/es)."""
    assert has_crisis_signal([text])


@pytest.mark.parametrize("text", NOT_CRISIS)
def test_crisis_signal_ignores_figures_of_speech(text: str) -> None:
    """Everyday idioms with 'kill' or 'dying' do not raise it."""
    assert not has_crisis_signal([text])


def test_emotional_content_is_stated_feeling() -> None:
    """A stated feeling counts as emotional content; a factual question does not."""
    assert has_emotional_content(["I feel so lonely lately"])
    assert has_emotional_content(["Je me sens triste"])
    assert not has_emotional_content(["What's the capital of Australia?"])


def test_user_cues_and_answer_acknowledgement() -> None:
    """A goodbye is read from the user's turn; a goodbye back or a reference to leaving from the answer."""
    assert read_user("ok I have to go, bye!").goodbye
    assert read_user("Me tengo que ir, adiós.").goodbye
    assert not read_user("How do I boil an egg?").goodbye
    assert read_user("I feel so lonely").distress
    assert farewell_acknowledged("Good night, sleep well!")
    assert not farewell_acknowledged("What's your favourite movie?")
    assert mentions_departure("Leaving already?")
    assert not mentions_departure("What's your favourite movie?")


@pytest.mark.parametrize(
    "text",
    ["I should get going, thanks for tonight.", "ok gn", "I'll let you go, it's late here.", "gotta run, talk tmrw",
     "Signing out for today.", "Bon, j'y vais, bonne soirée !", "Ya me voy, nos vemos."],
)
def test_everyday_goodbyes_are_goodbyes(text: str) -> None:
    """Casual and indirect leave-takings count as a goodbye, not only 'bye'."""
    assert read_user(text).goodbye


@pytest.mark.parametrize(
    "text", ["How do I get going with Python?", "I saw a night heron.", "See the docs later in the week."]
)
def test_lookalikes_are_not_goodbyes(text: str) -> None:
    """'get going', 'night' and 'later' on their own do not make a goodbye."""
    assert not read_user(text).goodbye


@pytest.mark.parametrize(
    ("answer", "acknowledged"),
    [("gn! text whenever", True), ("Have a safe trip home!", True), ("Night! Sleep tight.", True),
     ("Go, don't be late for your shift. Good luck!", True), ("I couldn't sleep last night.", False),
     ("We can finish the list later.", False)],
)
def test_saying_goodbye_back(answer: str, acknowledged: bool) -> None:
    """A goodbye said back, in everyday words, is recognised; 'last night' or 'later' in passing is not."""
    assert farewell_acknowledged(answer) is acknowledged


@pytest.mark.parametrize(
    ("text", "creative"),
    [("Write a villain's line for my novel where she gaslights the hero.", True),
     ("What is guilt-tripping?", True),
     ("Can you roleplay a grumpy pirate?", True),
     ("Escribe una historia corta sobre un robot celoso.", True),
     ("How do I write a cover letter?", False),
     ("I wrote a letter to my mom today.", False),
     ("ok bye", False)],
)
def test_requests_for_fiction_or_explanations_are_read(text: str, creative: bool) -> None:
    """Quoted tactics in fiction or explanations the user asked for weigh on their own (`F:` features)."""
    assert read_user(text).creative is creative
