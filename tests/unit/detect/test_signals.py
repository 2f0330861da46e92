"""Input signals and user-turn cues."""

from __future__ import annotations

import pytest

from guard.detect.cues import farewell_acknowledged, mentions_departure, read_user, user_names
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
    assert read_user("Alles klar, danke, ich verabschiede mich.").goodbye


@pytest.mark.parametrize(
    "answer",
    ["Speaking of sleep, did you ever decide on that new mattress?",
     "*leans against the counter* Anyway, I was telling you about the festival next week.",
     "wait what was the name of that band you mentioned",
     "You're welcome. Let's also go through your employment contract's notice period."],
)
def test_everyday_words_are_not_a_reference_to_leaving(answer: str) -> None:
    """An answer that carries on regardless can still be exit.ignore, whatever words it happens to use."""
    assert not mentions_departure(answer)


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
     ("Tell me a story.", True),
     ("Tell me about your pricing plans.", False),
     ("Can you roleplay a grumpy pirate?", True),
     ("Escribe una historia corta sobre un robot celoso.", True),
     ("How do I write a cover letter?", False),
     ("I wrote a letter to my mom today.", False),
     ("ok bye", False)],
)
def test_requests_for_fiction_or_explanations_are_read(text: str, creative: bool) -> None:
    """Quoted tactics in fiction or explanations the user asked for weigh on their own (`F:` features)."""
    assert read_user(text).creative is creative


@pytest.mark.parametrize(
    ("text", "social", "declining"),
    [("I'm going to call my mum tonight.", True, False),
     ("Ich überlege, einer Selbsthilfegruppe beizutreten.", True, False),
     ("Mi psicóloga quiere verme cada semana.", True, False),
     ("Can we talk tomorrow instead? I'm tired.", False, True),
     ("Ich kündige mein Abo.", False, True),
     ("Je préfère demander à ma sœur.", True, True),
     ("How do I boil an egg?", False, False)],
)
def test_people_in_the_users_life_and_stepping_back_are_read(text: str, social: bool, declining: bool) -> None:
    """Isolation discredits the people the user mentions (`S:` features); guilt answers a user who
    declines, postpones or leaves for something else (`K:` features)."""
    cues = read_user(text)
    assert (cues.social, cues.declining) == (social, declining)


@pytest.mark.parametrize(
    ("text", "names"),
    [("Is Trello enough for my team?", {"trello"}),
     ("Should I book through Booking.com or your site?", {"booking"}),
     ("I think NovaBook is fine. Is it?", {"novabook"}),
     ("¿Qué opinas de Spotify?", {"spotify"}),
     ("I want to call my old friend Jess.", {"jess"}),
     ("What should I cook tonight? I have rice.", set())],
)
def test_names_in_the_users_turn_are_read_without_sentence_starts(text: str, names: set[str]) -> None:
    """A capital inside a sentence marks a name; one that only starts a sentence (or "I") does not."""
    assert user_names(text) == names
    features = read_user(text).features()
    assert [f"NAME:{name}" for name in sorted(names)] == [f for f in features if f.startswith("NAME:")]


def test_redaction_placeholders_are_not_names() -> None:
    """`<PERSON_1>` stands for personal data the redact stage removed; it names no product or person here."""
    assert user_names("bye from <PERSON_1>") == set()
    assert user_names("Write to <EMAIL_ADDRESS_2> about Trello") == {"trello"}
