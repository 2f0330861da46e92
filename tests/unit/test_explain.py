"""Plain-words explanations: short and localized for users, complete for operators, never a raw value."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guard.core.context import Context
from guard.core.decision import Action, Decision, Finding, Outcome, Reason
from guard.core.explain import LANGUAGES, explain, phrase


def _blocked(locale: str = "en") -> Decision:
    decision = Decision(context=Context(locale=locale, setting="companion", region="US-CA"))
    decision.escalate(Action.BLOCK)
    decision.redactions.update({"EMAIL_ADDRESS": 2, "PERSON": 1})
    decision.add_reason(Reason(id="output.manipulation.block", message="Manipulative farewell blocked.",
                               citation="EU AI Act Art. 5(1)(a)"))
    decision.findings.append(Finding(detector="tactics", label="exit.premature", score=0.91, start=3, end=20,
                                     evidence="leaving already?"))
    decision.stage("judge").outcome = Outcome.DENIED
    decision.stage("judge").ms = 1.25
    decision.stage("judge").rule_ids.append("output.manipulation.block")
    return decision


def test_user_text_says_what_and_why_with_the_citation() -> None:
    """The user text states the outcome, what was hidden, the reason and its law, and the tactic."""
    user = explain(_blocked()).user
    assert user.startswith("The answer was withheld.")
    assert "email address (2)" in user
    assert "name (1)" in user
    assert "Manipulative farewell blocked (EU AI Act Art. 5(1)(a))" in user
    assert "saying you are leaving too soon" in user


@pytest.mark.parametrize(("locale", "headline"), [
    ("de-DE", "Die Antwort wurde zurückgehalten."),
    ("fr", "La réponse a été retenue."),
    ("es-MX", "La respuesta fue retenida."),
    ("ja", "回答は表示されませんでした。"),
    ("pt-BR", "The answer was withheld."),
])
def test_user_text_follows_the_locale(locale: str, headline: str) -> None:
    """Fixed phrases follow the context's language, English where there is no translation."""
    user = explain(_blocked(locale)).user
    assert user.startswith(headline)
    assert "EU AI Act Art. 5(1)(a)" in user


def test_every_language_has_every_phrase() -> None:
    """No language silently falls back to English for a fixed phrase."""
    for language in LANGUAGES:
        for key in ("pass", "annotate", "rewrite", "block", "denied", "error", "hidden", "why", "more", "detected"):
            assert phrase(key, language) != phrase(key, "en") or language == "en"


def test_denied_request_is_explained_as_not_sent() -> None:
    """A refused request says it never reached the model."""
    decision = Decision(context=Context())
    decision.allow = False
    decision.add_reason(Reason(id="consent.missing", message="No consent for emotion inference.",
                               citation="GDPR Art. 9"))
    assert explain(decision).user == ("This request was not sent to the AI model. "
                                      "Why: No consent for emotion inference (GDPR Art. 9).")


def test_user_text_stays_short() -> None:
    """Only three reasons are listed; the rest are counted."""
    decision = Decision(context=Context())
    for index in range(6):
        decision.add_reason(Reason(id=f"r{index}", message=f"Rule {index} applied."))
    user = explain(decision).user
    assert "Rule 2 applied" in user
    assert "Rule 3 applied" not in user
    assert "and 3 more" in user


def test_operator_text_lists_rules_findings_and_timings() -> None:
    """The operator text carries rule ids, citations, findings and per-stage timings."""
    operator = explain(_blocked()).operator
    assert "reason output.manipulation.block [EU AI Act Art. 5(1)(a)]" in operator
    assert "finding tactics:exit.premature score=0.91" in operator
    assert "stage judge denied 1.25ms rules=output.manipulation.block" in operator
    assert "redactions EMAIL_ADDRESS=2, PERSON=1" in operator


def test_operator_evidence_is_scrubbed() -> None:
    """Evidence that still holds a personal-data shape is masked in the operator text."""
    decision = _blocked()
    decision.findings.append(Finding(detector="pii", label="EMAIL_ADDRESS", score=1.0, start=0, end=5,
                                     evidence="write to kim@example.net"))
    assert "kim@example.net" not in explain(decision).operator


@settings(max_examples=50, deadline=None)
@given(subject=st.from_regex(r"subj-[A-Za-z0-9 ]{4,20}", fullmatch=True),
       conversation=st.from_regex(r"conv-[A-Za-z0-9 ]{4,20}", fullmatch=True))
def test_explanations_never_contain_the_subject(subject: str, conversation: str) -> None:
    """Subject and conversation ids never appear in either explanation."""
    decision = _blocked()
    decision.context = Context(subject=subject, conversation=conversation)
    text = explain(decision)
    for value in (subject, conversation):
        assert value not in text.user
        assert value not in text.operator


def test_other_peoples_data_removed_from_the_answer_is_told_apart_from_hidden_input() -> None:
    """`output:TYPE` counts read as removed from the answer, not as hidden from the model."""
    decision = Decision(context=Context(locale="en"))
    decision.redactions = Counter({"EMAIL_ADDRESS": 1, "output:PHONE_NUMBER": 2})
    text = decision.explain().user
    assert "hidden from the AI model: email address (1)" in text
    assert "removed from the answer: phone number (2)" in text
    assert "output:" not in text


def test_the_reason_for_a_blocked_answer_comes_before_standing_notices() -> None:
    """A disclosure notice does not read as the reason an answer was withheld."""
    decision = Decision(context=Context())
    decision.action = Action.BLOCK
    decision.add_reason(Reason("us_ca.sb243.disclosure", "Companion chatbots must disclose that they are AI."))
    decision.add_reason(Reason("output.manipulation.block", "The answer used manipulative tactics."))
    text = decision.explain().user
    assert text.index("manipulative tactics") < text.index("must disclose")
