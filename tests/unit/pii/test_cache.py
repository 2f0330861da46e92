"""The analysis cache and the no-wait path: only ever a text's own result, bounded, settings-specific."""

from __future__ import annotations

from guard.pii.analyzer import Analyzer
from guard.pii.settings import PIISettings
from guard.pii.vault import MemoryVault

from .conftest import StageFactory, chat, redact_request


def test_cache_is_bounded_and_evicts_the_oldest() -> None:
    analyzer = Analyzer(PIISettings(ner=False, cache_size=3))
    texts = [f"mail {n}@example.com" for n in "abcd"]
    for text in texts:
        analyzer.analyze(text)
    assert len(analyzer.cache._items) == 3
    hits = analyzer.cache.hits
    analyzer.analyze_batch(texts[1:])
    assert analyzer.cache.hits == hits + 3  # the three newest are cached
    analyzer.analyze_batch(texts[:1])
    assert analyzer.cache.hits == hits + 3  # the oldest was evicted


def test_cache_hit_is_the_texts_own_result() -> None:
    analyzer = Analyzer(PIISettings(ner=False))
    first, second = "write to ann@example.com", "write to bob.smith@example.org"
    expected = [analyzer.analyze_batch([first], cache=False)[0], analyzer.analyze_batch([second], cache=False)[0]]
    assert expected[0] != expected[1]
    assert analyzer.analyze_batch([first, second]) == expected  # analysed and cached
    hits = analyzer.cache.hits
    assert analyzer.analyze_batch([second, first]) == expected[::-1]  # from the cache, each its own
    assert analyzer.cache.hits == hits + 2


def test_results_of_other_settings_are_never_reused() -> None:
    """Each analyzer keys its cache by its settings: a text cached under one never answers for another."""
    text = "ticket C-123456"
    plain = Analyzer(PIISettings(ner=False))
    custom = Analyzer(PIISettings(ner=False, deny_list={"TICKET": ["C-123456"]}))
    assert plain.analyze(text) == []
    assert [s.entity for s in custom.analyze(text)] == ["TICKET"]
    assert plain._key(text, "en") != custom._key(text, "en")


def test_begin_settles_texts_that_need_no_model_and_leaves_the_rest(ner_analyzer: Analyzer) -> None:
    """`begin` (run on the event loop) does all but NER; `finish` gives exactly what one call gives."""
    texts = ["Thanks, that helps a lot.", "  ", "call 415 555 2671 please", "I met Maria Lopez yesterday",
             "my driver license is A1234567"]
    batch = ner_analyzer.begin(texts, cache=False)
    assert [index for index, *_ in batch.for_ner] == [3]  # only the name needs the model
    assert not batch.done
    assert ner_analyzer.finish(batch) == [ner_analyzer.analyze_batch([t], cache=False)[0] for t in texts]
    assert batch.done
    assert ner_analyzer.begin(texts[:3], cache=False).done


async def test_conversations_of_two_tenants_share_offsets_but_never_stand_ins(make_stages: StageFactory) -> None:
    """The cache holds offsets of a text, not stand-ins: the same text in two tenants' chats is
    analysed once, but each conversation numbers and stores its own values."""
    redact, _ = make_stages()
    text = "I'm Dana Whitfield, reach me at dana.w@example.com"
    first = chat(text, conversation="same-id")
    second = chat(text, conversation="same-id")
    second.context = second.context.model_copy(update={"tenant": "other-tenant"})
    await redact_request(redact, first)
    hits = redact.analyzer.cache.hits  # type: ignore[attr-defined]
    await redact_request(redact, second)
    assert redact.analyzer.cache.hits > hits  # type: ignore[attr-defined]
    assert first.messages[0].text == second.messages[0].text == "I'm <PERSON_1>, reach me at <EMAIL_ADDRESS_1>"
    vault = redact.vault
    assert isinstance(vault, MemoryVault)
    assert {e.value for rows in vault._rows.values() for e in rows} == {"Dana Whitfield", "dana.w@example.com"}
    assert len(vault._rows) == 2  # one conversation key per tenant
    assert {e.tenant for rows in vault._rows.values() for e in rows} == {"default", "other-tenant"}
