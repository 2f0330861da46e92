"""The redact and restore stages: placeholders per conversation, operators, output check, restore."""

from __future__ import annotations

import io
import logging

import pytest
import structlog

from guard.core.decision import Action, Decision, Outcome
from guard.errors import RedactionError
from guard.logging import configure_logging
from guard.pii.analyzer import Analyzer
from guard.pii.settings import PIISettings
from guard.pii.stages import RedactStage

from .conftest import StageFactory, chat, redact_request

SARAH = "Hi, I'm Sarah Connor, call me at (415) 555-2671 or sarah.connor@example.com."


async def test_every_supported_value_becomes_a_typed_numbered_placeholder(make_stages: StageFactory) -> None:
    """By default each value is replaced by `<TYPE_N>` and only counts reach the decision."""
    redact, _ = make_stages()
    exchange = chat(SARAH)
    decision = await redact_request(redact, exchange)
    assert exchange.messages[0].text == "Hi, I'm <PERSON_1>, call me at <PHONE_NUMBER_1> or <EMAIL_ADDRESS_1>."
    assert dict(decision.redactions) == {"PERSON": 1, "PHONE_NUMBER": 1, "EMAIL_ADDRESS": 1}
    assert decision.stages["redact"].outcome is Outcome.CHANGED
    assert "Sarah" not in str(decision.to_document())


async def test_prepare_sets_signals_without_changing_messages(make_stages: StageFactory) -> None:
    """prepare fills pii_types and special categories (health) and leaves the text alone."""
    redact, _ = make_stages()
    exchange = chat("I'm Sarah Connor and my depression got worse since the diagnosis.")
    await redact.prepare(exchange)
    assert exchange.signals.pii_types == {"PERSON"}
    assert "health" in exchange.signals.special_categories
    assert exchange.messages[0].text.startswith("I'm Sarah Connor")


async def test_all_roles_and_tool_arguments_are_covered(make_stages: StageFactory) -> None:
    """System prompts, assistant turns and tool-call JSON arguments are redacted like user text."""
    redact, _ = make_stages()
    exchange = chat("You assist Dr. Priya Patel.", "Sure.", '{"to": "ann.lee@example.com", "body": "hi"}',
                    roles=("system", "assistant", "assistant"))
    exchange.messages[2].kind = "tool_arguments"
    await redact_request(redact, exchange)
    assert exchange.messages[0].text == "You assist Dr. <PERSON_1>."
    assert exchange.messages[2].text == '{"to": "<EMAIL_ADDRESS_1>", "body": "hi"}'


async def test_placeholders_are_stable_across_turns(make_stages: StageFactory) -> None:
    """`<PERSON_1>` stays Sarah in the next turn, and a new person gets the next number."""
    redact, _ = make_stages()
    await redact_request(redact, chat("I'm Sarah Connor."))
    second = chat("I'm Sarah Connor.", "My brother Kyle Reese called.")
    await redact_request(redact, second)
    assert [m.text for m in second.messages] == ["I'm <PERSON_1>.", "My brother <PERSON_2> called."]


async def test_conversations_do_not_share_numbers(make_stages: StageFactory) -> None:
    """Another conversation id starts its own numbering, so nothing links the two."""
    redact, _ = make_stages()
    await redact_request(redact, chat("I'm Sarah Connor.", conversation="a"))
    other = chat("My friend is Kyle Reese.", conversation="b")
    await redact_request(redact, other)
    assert other.messages[0].text == "My friend is <PERSON_1>."


@pytest.mark.parametrize("obligation", [
    [{"entity": "EMAIL_ADDRESS", "operator": "mask"}, {"entity": "PERSON", "operator": "keep"}],
    {"EMAIL_ADDRESS": "mask", "PERSON": "keep"},
])
async def test_policy_obligations_choose_operators(make_stages: StageFactory, obligation: object) -> None:
    """The admit policy's redact obligation overrides operators, as a list or as a mapping."""
    redact, _ = make_stages()
    exchange = chat("I'm Sarah Connor, write to ann@example.com")
    decision = await redact_request(redact, exchange, redact=obligation)
    assert exchange.messages[0].text == "I'm Sarah Connor, write to ***@*******.***"
    assert dict(decision.redactions) == {"EMAIL_ADDRESS": 1}


async def test_an_unknown_operator_fails_closed(make_stages: StageFactory) -> None:
    """An operator nobody implements is an error, not a silent pass-through."""
    redact, _ = make_stages()
    with pytest.raises(RedactionError, match="Unknown redaction operator"):
        await redact_request(redact, chat("I'm Sarah Connor"), redact={"PERSON": "shred"})


@pytest.mark.parametrize("operator", ["hash", "encrypt", "pseudonym", "mask"])
async def test_no_detected_value_goes_upstream(make_stages: StageFactory, operator: str) -> None:
    """Whatever the operator (but keep), no detected value appears verbatim in what goes upstream."""
    redact, _ = make_stages(default_operator=operator)
    exchange = chat(SARAH)
    await redact.prepare(exchange)
    spans = redact.analyzer.analyze(SARAH)
    decision = Decision(context=exchange.context)
    await redact.on_request(exchange, decision)
    upstream = exchange.messages[0].text
    assert spans
    for span in spans:
        assert SARAH[span.start:span.end] not in upstream


async def test_a_typed_placeholder_never_gets_a_name_back(make_stages: StageFactory) -> None:
    """A user who types `<PERSON_1>` gets `<PERSON_1>` back, not the name that placeholder stands for."""
    redact, restore = make_stages()
    exchange = chat("I'm Sarah Connor. What does <PERSON_1> mean?")
    decision = await redact_request(redact, exchange)
    upstream = exchange.messages[0].text
    assert upstream == "I'm <PERSON_2>. What does <\u2060PERSON_1> mean?"  # typed one escaped, its number skipped
    exchange.response_text = upstream  # the model echoes everything
    await restore.on_response(exchange, decision)
    assert exchange.response_text == "I'm Sarah Connor. What does <PERSON_1> mean?"


async def test_restore_puts_own_values_back_and_can_be_turned_off(make_stages: StageFactory) -> None:
    """Placeholders in the answer become the person's values again, unless pii.restore is false."""
    for restore_on, expected in [(True, "Hello Sarah Connor!"), (False, "Hello <PERSON_1>!")]:
        redact, restore = make_stages(restore=restore_on)
        exchange = chat("I'm Sarah Connor.")
        decision = await redact_request(redact, exchange)
        exchange.response_text = "Hello <PERSON_1>!"
        await restore.on_response(exchange, decision)
        assert exchange.response_text == expected


async def test_pseudonyms_are_restored(make_stages: StageFactory) -> None:
    """With the pseudonym operator the model sees a realistic name, and the answer gets the real one."""
    redact, restore = make_stages(operators={"PERSON": "pseudonym"})
    exchange = chat("I'm Sarah Connor.")
    decision = await redact_request(redact, exchange)
    fake = exchange.messages[0].text.removeprefix("I'm ").rstrip(".")
    assert fake != "Sarah Connor"
    assert fake[0].isupper()
    exchange.response_text = f"Nice to meet you, {fake}. {fake}'s plan is good."
    await restore.on_response(exchange, decision)
    assert exchange.response_text == "Nice to meet you, Sarah Connor. Sarah Connor's plan is good."


async def test_output_check_removes_other_peoples_data(make_stages: StageFactory) -> None:
    """Someone else's phone number in the answer is replaced and counted as output:PHONE_NUMBER."""
    redact, _ = make_stages()
    exchange = chat("I'm Sarah Connor, my number is (415) 555-2671.")
    decision = await redact_request(redact, exchange)
    exchange.response_text = "<PERSON_1>, ring Dr. Miles Dyson on +44 20 7946 0958."
    await redact.on_response(exchange, decision)
    assert exchange.response_text == "<PERSON_1>, ring Dr. <PERSON> on <PHONE_NUMBER>."
    assert decision.redactions["output:PHONE_NUMBER"] == 1
    assert decision.redactions["output:PERSON"] == 1
    assert decision.action is Action.REWRITE  # the answer was changed, and the decision says so


async def test_output_check_leaves_the_persons_own_values(make_stages: StageFactory) -> None:
    """A value the person gave (kept by policy) is theirs and stays in the answer."""
    redact, _ = make_stages(operators={"PHONE_NUMBER": "keep"})
    exchange = chat("My number is (415) 555-2671.")
    decision = await redact_request(redact, exchange)
    exchange.response_text = "I will call (415) 555-2671."
    await redact.on_response(exchange, decision)
    assert exchange.response_text == "I will call (415) 555-2671."


async def test_exchange_without_conversation_or_subject_is_self_contained(make_stages: StageFactory) -> None:
    """Without ids nothing is stored, but the answer of that exchange is still restored."""
    redact, restore = make_stages()
    exchange = chat("I'm Sarah Connor.", conversation=None, subject=None)
    decision = await redact_request(redact, exchange)
    exchange.response_text = "Hi <PERSON_1>"
    await restore.on_response(exchange, decision)
    assert exchange.response_text == "Hi Sarah Connor"
    assert isinstance(redact, RedactStage)


async def test_erasure_forgets_a_subjects_values(make_stages: StageFactory) -> None:
    """After erase(tenant, subject hash) Sarah's placeholder is gone: it is never restored to her again."""
    from .conftest import HASHER

    redact, restore = make_stages()
    await redact_request(redact, chat("I'm Sarah Connor."))
    assert await redact.vault.erase("default", HASHER("default", "u-1")) == 1
    later = chat("My friend is Kyle Reese.")
    decision = await redact_request(redact, later)
    assert later.messages[0].text == "My friend is <PERSON_1>."  # the number is free again
    later.response_text = "Say hi to <PERSON_1>"
    await restore.on_response(later, decision)
    assert later.response_text == "Say hi to Kyle Reese"


async def test_disabled_redaction_changes_nothing(make_stages: StageFactory) -> None:
    """pii.enabled = false passes messages through untouched."""
    redact, _ = make_stages(enabled=False)
    exchange = chat(SARAH)
    decision = await redact_request(redact, exchange)
    assert exchange.messages[0].text == SARAH
    assert not decision.redactions


@pytest.mark.parametrize("operator", ["placeholder", "pseudonym", "mask", "hash", "encrypt"])
async def test_tool_arguments_stay_valid_json(make_stages: StageFactory, operator: str) -> None:
    """Redacting inside a tool call's JSON arguments leaves parseable JSON without the values."""
    import json

    redact, _ = make_stages(default_operator=operator)
    arguments = json.dumps({"to": "ann.lee@example.com", "note": "Call Sarah Connor at (415) 555-2671 <PERSON_1>"})
    exchange = chat(arguments, roles=("assistant",))
    exchange.messages[0].kind = "tool_arguments"
    await redact_request(redact, exchange)
    parsed = json.loads(exchange.messages[0].text)
    assert "ann.lee" not in parsed["to"]
    assert "555-2671" not in parsed["note"]


async def test_expired_entries_are_purged(make_stages: StageFactory) -> None:
    """The stage purges expired vault rows now and then, not only when their conversation returns."""
    redact, _ = make_stages()
    calls: list[int] = []
    purge = redact.vault.purge_expired

    async def counting() -> int:
        calls.append(1)
        return await purge()

    redact.vault.purge_expired = counting  # type: ignore[method-assign]
    await redact_request(redact, chat("I'm Sarah Connor."))
    await redact_request(redact, chat("I'm Sarah Connor."))
    assert calls == [1]  # once per interval


async def test_typed_placeholder_numbers_are_skipped(make_stages: StageFactory) -> None:
    """If the user typed `<PERSON_1>`, the first real person becomes `<PERSON_2>`: no clash even unescaped."""
    redact, _ = make_stages()
    exchange = chat("Is <PERSON_1> a placeholder? I'm Sarah Connor.")
    await redact_request(redact, exchange)
    assert exchange.messages[0].text == "Is <\u2060PERSON_1> a placeholder? I'm <PERSON_2>."


async def test_concurrent_turns_never_share_a_number(make_stages: StageFactory) -> None:
    """Two requests of one conversation at once give two people two different placeholders."""
    import asyncio

    redact, _ = make_stages()
    first, second = chat("I'm Sarah Connor."), chat("My friend is Kyle Reese.")
    await asyncio.gather(redact_request(redact, first), redact_request(redact, second))
    tokens = {first.messages[0].text[4:-1], second.messages[0].text[13:-1]}
    assert tokens == {"<PERSON_1>", "<PERSON_2>"}


async def test_a_placeholder_taken_by_another_worker_is_retried(make_stages: StageFactory) -> None:
    """If another worker stored `<PERSON_1>` between our load and our add, we reload and take the next."""
    from guard.pii.vault import MemoryVault, VaultEntry

    class Racing(MemoryVault):
        raced = False

        async def add(self, conversation: str, entries: list[VaultEntry]) -> list[VaultEntry]:  # type: ignore[override]
            if not self.raced:
                self.raced = True
                await super().add(conversation, [VaultEntry("PERSON", "placeholder", "Kyle Reese", "<PERSON_1>",
                                                            "default", None)])
            return await super().add(conversation, entries)

    redact, restore = make_stages()
    redact.vault = Racing()
    exchange = chat("I'm Sarah Connor.")
    decision = await redact_request(redact, exchange)
    assert exchange.messages[0].text == "I'm <PERSON_2>."
    exchange.response_text = "<PERSON_1> and <PERSON_2>"
    await restore.on_response(exchange, decision)
    assert exchange.response_text == "Kyle Reese and Sarah Connor"


async def test_found_values_are_handed_to_the_log_scrubber(make_stages: StageFactory) -> None:
    """After redaction, a log line that quotes a found value has it masked (defence in depth)."""
    redact, _ = make_stages()
    out = io.StringIO()
    configure_logging(json=True, level="INFO", stream=out)
    try:
        await redact_request(redact, chat(SARAH))
        structlog.get_logger("test").info("oops", detail="we saw Sarah Connor at sarah.connor@example.com")
    finally:
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "_guard_handler", False):
                logging.getLogger().removeHandler(handler)
    assert "Sarah Connor" not in out.getvalue()
    assert "oops" in out.getvalue()


async def test_a_detected_value_is_hidden_wherever_it_occurs(make_stages: StageFactory) -> None:
    """Once "call Dana" shows Dana is a name, the bare "Dana" elsewhere (even in another message) goes too."""
    redact, _ = make_stages(Analyzer(PIISettings(ner=False)))  # patterns only: nothing but the cue finds Dana
    exchange = chat("Dana is here.", "Please call Dana tomorrow.", roles=("assistant", "user"))
    await redact_request(redact, exchange)
    assert [m.text for m in exchange.messages] == ["<PERSON_1> is here.", "Please call <PERSON_1> tomorrow."]
