"""Pattern recognizers: Presidio's where they are good, ours where stock ones miss or over-fire.

Every recognizer here answers `find(text) -> list[Span]` and is built once per process. Presidio
pattern recognizers are wrapped (we keep their regexes and validators) and their context words
raise the score the way Presidio's context enhancer does, without needing a lemmatizer.

Changes against stock Presidio, each for a measured reason:
- cards: one pattern for 13-19 digits, IIN prefix check (including 2221-2720 Mastercards, which
  the stock pattern misses) and the Luhn checksum;
- e-mail: the top-level domain is checked against tldextract's bundled suffix list, never fetched;
- phone: libphonenumber validation, but values that read as versions, dates or times are dropped;
- date of birth: a date only counts when a birth cue ("born", "DOB", "birthday") precedes it;
- names: "my name is X", a title ("Dr.", "Mrs") before a capitalised word, "Jr."/"Sr." suffixes.

Prefilters: most chat turns hold no digit, no "@" and no cue word, yet every regex scans them.
Each recognizer states a cheap necessary condition for a match (`could_match`, over `TextFacts`
computed once per text): a digit count, a character, a literal keyword. A prefilter may only say
"no match possible"; `tests/unit/pii/test_prefilter.py` checks that results with and without
prefilters are identical.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from guard.pii.spans import Span

if TYPE_CHECKING:
    from guard.pii.settings import PIISettings

__all__ = [
    "CardRecognizer",
    "ContextBoost",
    "DateOfBirthRecognizer",
    "NameCueRecognizer",
    "RegexRecognizer",
    "SpanRecognizer",
    "StreetAddressRecognizer",
    "TermRecognizer",
    "TextFacts",
    "build_recognizers",
    "luhn_valid",
]

_WORD = re.compile(r"[\w'-]+")
_ASCII_DIGIT = re.compile(r"[0-9]")
_DIGIT_RUNS = re.compile(r"\d+")
# `re.IGNORECASE` also matches İ and dotless ı to i and long ſ to s, which str.lower() keeps apart
# (it lowers İ to i plus a combining dot).
_FOLD_EXTRA = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


class TextFacts:
    r"""What the prefilters look at, computed once per text.

    `folded` is lower-cased (with İ, ı → i and ſ → s), so a keyword that an `(?i)` regex or a context cue
    could match is always a substring of it; `digits` counts `str.isdigit` characters, a
    superset of what `\d` and `[0-9]` match.
    """

    __slots__ = ("digit_run", "digits", "folded", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = fold(text)
        self.digits = count_digits(text)
        # The longest run of consecutive digits (`\d`, which also covers `[0-9]`).
        self.digit_run = max(map(len, _DIGIT_RUNS.findall(text)), default=0) if self.digits else 0

    def has_any(self, words: Sequence[str]) -> bool:
        """Does any (lower-case) word occur in the folded text?"""
        return any(word in self.folded for word in words)


def fold(text: str) -> str:
    return text.translate(_FOLD_EXTRA).lower()


def count_digits(text: str) -> int:
    return len(_ASCII_DIGIT.findall(text)) if text.isascii() else sum(map(str.isdigit, text))


Gate = Callable[[TextFacts], bool]


def at_least_digits(count: int, *, in_a_row: int = 1) -> Gate:
    """At least `count` digits in the text, `in_a_row` of them consecutive."""
    return lambda facts: facts.digits >= count and facts.digit_run >= in_a_row


class SpanRecognizer(Protocol):
    """Finds values of one or more entity types in a text.

    Optional members the analyzer uses when present: `could_match(facts) -> bool` (False only
    when `find` is certain to find nothing), and `context_words` with `best_score` (the highest
    score a match can have without a context word), which let the analyzer skip a recognizer
    whose matches could only pass the threshold with a cue word that the text does not hold.
    """

    entities: frozenset[str]

    def find(self, text: str) -> list[Span]: ...


@dataclass(frozen=True, slots=True)
class ContextBoost:
    """Raise a match's score when a cue word is among the few words before (or just after) it.

    Same numbers as Presidio's LemmaContextAwareEnhancer (+0.35, at least 0.4), but on plain
    lower-cased words: we do not run spaCy's lemmatizer (it costs more than it finds here).
    """

    words: tuple[str, ...]
    before: int = 6
    after: int = 2

    def apply(self, text: str, span: Span) -> Span:
        if not self.words:
            return span
        head = _WORD.findall(text[max(0, span.start - 80) : span.start].lower())[-self.before :]
        tail = _WORD.findall(text[span.end : span.end + 40].lower())[: self.after]
        if any(w.startswith(cue) for w in head + tail for cue in self.words):
            return Span(span.entity, span.start, span.end, min(1.0, max(span.score + 0.35, 0.4)))
        return span


@dataclass(slots=True)
class RegexRecognizer:
    """A list of (pattern, score) for one entity, an optional validator and context cues."""

    entity: str
    patterns: Sequence[tuple[re.Pattern[str], float]]
    context: ContextBoost = field(default_factory=lambda: ContextBoost(()))
    validate: Callable[[str], bool | None] | None = None
    group: int = 0
    gate: Gate | None = None
    entities: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.entities = frozenset({self.entity})

    @property
    def best_score(self) -> float:
        return 1.0 if self.validate else max((score for _, score in self.patterns), default=0.0)

    @property
    def context_words(self) -> tuple[str, ...]:
        return self.context.words

    def could_match(self, facts: TextFacts) -> bool:
        return self.gate is None or self.gate(facts)

    def find(self, text: str) -> list[Span]:
        return self._find(text, self.patterns)

    def _find(self, text: str, patterns: Sequence[tuple[re.Pattern[str], float]]) -> list[Span]:
        spans: list[Span] = []
        for pattern, score in patterns:
            for match in pattern.finditer(text):
                start, end = match.span(self.group)
                if start == end:
                    continue
                value = text[start:end]
                verdict = self.validate(value) if self.validate else None
                if verdict is False:
                    continue
                span = Span(self.entity, start, end, 1.0 if verdict else score)
                spans.append(self.context.apply(text, span))
        return spans


class PresidioPatterns:
    """Adapter: a Presidio PatternRecognizer's regexes and validators, scored with our context boost.

    Runs the recognizer's own compiled patterns, `validate_result` and `invalidate_result`, with
    Presidio's scoring (valid -> 1.0, invalid -> dropped), but without building explanation
    objects and timing logs for every match, which cost more than the regexes on short chat turns.
    Recognizers that override `analyze` (IBAN) are called as they are.
    """

    def __init__(
        self, recognizer: Any, *, context: Sequence[str] | None = None, needs_context: bool = False
    ) -> None:
        from presidio_analyzer import PatternRecognizer

        self._recognizer = recognizer
        self.entities = frozenset(recognizer.supported_entities)
        self._entity = recognizer.supported_entities[0]
        words = tuple(w.strip().lower() for w in (context if context is not None else recognizer.context or ()))
        self._boost = ContextBoost(words)
        self._needs_context = needs_context
        self._direct = type(recognizer).analyze is PatternRecognizer.analyze
        if self._direct:
            import regex  # type: ignore[import-untyped]  # presidio-analyzer's own regex engine (timeouts)

            flags = recognizer.global_regex_flags
            self._patterns = [(regex.compile(p.regex, flags=flags), p.score) for p in recognizer.patterns]
        validated = not self._direct or type(recognizer).validate_result is not PatternRecognizer.validate_result
        best = 1.0 if validated else max((float(p.score) for p in recognizer.patterns), default=0.0)
        self.best_score = min(best, _UNCUED_CAP) if needs_context else best
        self.context_words = words
        self._gate = _PRESIDIO_GATES.get(self._entity)

    def could_match(self, facts: TextFacts) -> bool:
        return self._gate is None or self._gate(facts)

    def _matches(self, text: str) -> list[tuple[int, int, float]]:
        if not self._direct:
            return [(r.start, r.end, float(r.score)) for r in self._recognizer.analyze(text, list(self.entities), None)]
        found: dict[tuple[int, int], float] = {}
        for pattern, score in self._patterns:
            for match in pattern.finditer(text, timeout=_REGEX_TIMEOUT_S):
                start, end = match.span()
                value = text[start:end]
                if not value:
                    continue
                verdict = self._recognizer.validate_result(value)
                final = score if verdict is None else (1.0 if verdict else 0.0)
                if self._recognizer.invalidate_result(value):
                    final = 0.0
                if final > 0.0:
                    found[(start, end)] = max(final, found.get((start, end), 0.0))
        return [(start, end, score) for (start, end), score in found.items()]

    def find(self, text: str) -> list[Span]:
        spans = []
        for start, end, score in self._matches(text):
            if end <= start:
                continue
            span = Span(self._entity, start, end, score)
            boosted = self._boost.apply(text, span)
            if self._needs_context and boosted is span:
                # A checksum alone is weak for short numbers (1 in 11 phone numbers passes NHS mod 11).
                boosted = Span(span.entity, span.start, span.end, min(span.score, _UNCUED_CAP))
            spans.append(boosted)
        return spans


_REGEX_TIMEOUT_S = 1.0  # a pattern that backtracks longer than this on one chat turn is a bug
_UNCUED_CAP = 0.3  # score of a checksum-only match of a short number without its context word


_DIGIT_DOT_DIGIT = re.compile(r"[0-9]\.[0-9]")


def _ip_could_match(facts: TextFacts) -> bool:
    # Every IPv6 form holds ":", every IPv4 form a digit, a dot and a digit in a row.
    return ":" in facts.text or (facts.digits >= 4 and _DIGIT_DOT_DIGIT.search(facts.text) is not None)


# Necessary conditions for Presidio's patterns (presidio-analyzer 2.2): the fewest digits, and
# consecutive digits, that every one of a recognizer's patterns needs. test_prefilter.py checks
# them against the unfiltered patterns.
_PRESIDIO_GATES: dict[str, Gate] = {
    "IBAN_CODE": at_least_digits(2, in_a_row=2),
    "IP_ADDRESS": _ip_could_match,
    "US_SSN": at_least_digits(9, in_a_row=3),
    "US_PASSPORT": at_least_digits(8, in_a_row=8),
    "US_DRIVER_LICENSE": at_least_digits(1),
    "US_BANK_NUMBER": at_least_digits(8, in_a_row=8),
    "US_ITIN": at_least_digits(9, in_a_row=3),
    "UK_NHS": at_least_digits(10, in_a_row=3),
    "CRYPTO": at_least_digits(1),
    "DE_TAX_ID": at_least_digits(11, in_a_row=11),
    "DE_ID_CARD": at_least_digits(1),
}


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


_CARD_PREFIX = re.compile(
    r"^(?:4|5[1-5]|2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|3(?:0[0-5]|[68])|35|1800|2131"
    r"|6(?:011|5|4[4-9]|22)|62|50|5[6-9]|6\d)"
)


def _card_valid(value: str, *, shortest: int = 13) -> bool:
    digits = re.sub(r"[ -]", "", value)
    return shortest <= len(digits) <= 19 and bool(_CARD_PREFIX.match(digits)) and luhn_valid(digits)


_CARD_CUE = re.compile(r"(?i)\b(?:card|visa|mastercard|maestro|amex|debit|credit)\b[^.!?\n]{0,24}$")


_SHORTEST_CARD = 12  # Maestro, after a card word
_DIGIT_RUN = re.compile(r"(?<![\d.,-])\d+(?:[ -]\d+)*(?![\d])")
_DIGITS = re.compile(r"\d+")


class CardRecognizer:
    """Payment card numbers: 13-19 digits in groups, a known IIN prefix and a valid Luhn checksum.

    Candidates are runs of whole digit groups, tried longest first at every group, so a card
    right after a phone number or an order number is still found on its own.
    """

    entities = frozenset({"CREDIT_CARD"})
    best_score = 1.0
    context_words: tuple[str, ...] = ()

    @staticmethod
    def could_match(facts: TextFacts) -> bool:
        return facts.digits >= _SHORTEST_CARD

    def find(self, text: str) -> list[Span]:
        spans: list[Span] = []
        for run in _DIGIT_RUN.finditer(text):
            groups = [(run.start() + m.start(), run.start() + m.end()) for m in _DIGITS.finditer(run.group())]
            index = 0
            while index < len(groups):
                index = self._card_at(text, groups, index, spans)
        return spans

    @staticmethod
    def _card_at(text: str, groups: list[tuple[int, int]], index: int, spans: list[Span]) -> int:
        """Add the longest valid card starting at group `index`; returns the next group to try."""
        # 12-digit Maestro numbers pass Luhn too often by chance: only right after a card word.
        shortest = _SHORTEST_CARD if _CARD_CUE.search(text[max(0, groups[index][0] - 40):groups[index][0]]) else 13
        for last in range(len(groups) - 1, index - 1, -1):
            start, end = groups[index][0], groups[last][1]
            if _card_valid(text[start:end], shortest=shortest):
                spans.append(Span("CREDIT_CARD", start, end, 1.0))
                return last + 1
        return index + 1


_VERSION_CUE = re.compile(
    r"(?i)(?:\bv(?:ersion)?|\brelease|\bbuild|\bios|\bandroid|\bpatch|\bupdate|\bpython|\bnode|\bfirmware)"
    r"[\s:]*(?:(?:on|is|to|from|of)\s+)?$"
)
_TIME_OR_DATE = re.compile(r"^\s*(?:\d{1,2}[:.]\d{2}(?:[:.]\d{2})?|\d{1,4}[./-]\d{1,2}[./-]\d{1,4})\s*$")


def follows_version_cue(text: str, start: int) -> bool:
    """True if the value at `start` is introduced as a version ("version 15.10.27", "iOS 17.2")."""
    return bool(_VERSION_CUE.search(text[max(0, start - 20) : start]))


class PhoneRecognizer:
    """Phone numbers found and validated by libphonenumber in the configured regions."""

    entities = frozenset({"PHONE_NUMBER"})
    late = True  # runs after the other recognizers, on text with their sure values blanked
    best_score = 0.6

    def __init__(self, regions: Sequence[str]) -> None:
        self._regions = tuple(regions)
        self._boost = ContextBoost(
            (
                "phone",
                "call",
                "text",
                "cell",
                "mobile",
                "number",
                "tel",
                "reach",
                "whatsapp",
                "sms",
                "fax",
                "telefon",
                "handy",
                "nummer",
            )
        )

    @property
    def context_words(self) -> tuple[str, ...]:
        return self._boost.words

    @staticmethod
    def could_match(facts: TextFacts) -> bool:
        return facts.digits >= _FEWEST_PHONE_DIGITS

    def find(self, text: str) -> list[Span]:
        import phonenumbers

        if count_digits(text) < _FEWEST_PHONE_DIGITS:
            return []
        spans: dict[tuple[int, int], Span] = {}
        for region in self._regions:
            for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
                if _TIME_OR_DATE.match(match.raw_string) or follows_version_cue(text, match.start):
                    continue
                # A bare run of digits is as likely an order or error number: it needs a cue word.
                score = 0.3 if match.raw_string.isdigit() else 0.6
                spans[(match.start, match.end)] = self._boost.apply(
                    text, Span("PHONE_NUMBER", match.start, match.end, score)
                )
        # Phone-shaped but not a number libphonenumber knows (unassigned area codes, "001-" dialling):
        # still someone's number as far as a leak is concerned.
        for pattern, score in _PHONE_SHAPES:
            for shape in pattern.finditer(text):
                start, end = shape.span()
                if any(s.start < end and start < s.end for s in spans.values()) or follows_version_cue(text, start):
                    continue
                spans[(start, end)] = self._boost.apply(text, Span("PHONE_NUMBER", start, end, score))
        return list(spans.values())


_FEWEST_PHONE_DIGITS = 7
_PHONE_SHAPES = (
    (re.compile(r"(?<![\w+.-])(?:(?:\+?1|001)[-. ]?)?(?:\(\d{3}\)\s?|\d{3}[-.])\d{3}[-.]\d{4}"
                r"(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?![\w.-]*\d)"), 0.5),
    (re.compile(r"(?<![\w+.-])\+\d{1,3}(?:[ -]\(?\d{1,5}\)?){2,5}(?![\w-]*\d)"), 0.5),
    (re.compile(r"(?<![\w+.-])\d{10,11}(?![\w.-]*\d)"), 0.2),
)


_DATE = (
    r"(?:\d{1,2}[./-]\d{1,2}[./-](?:19|20)?\d{2}|(?:19|20)\d{2}-\d{1,2}-\d{1,2}"
    r"|(?:\d{1,2}(?:st|nd|rd|th)?\s+)?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
    r"(?:\s+\d{1,2}(?:st|nd|rd|th)?)?,?\s+(?:19|20)\d{2})"
)


class DateOfBirthRecognizer(RegexRecognizer):
    """A date right after a birth cue: "born on 3 May 1990", "DOB: 05/03/1990"."""

    def __init__(self) -> None:
        cue = r"(?i:\b(?:born(?:\s+on)?|date\s+of\s+birth|d\.?o\.?b\.?|birthday(?:\s+is)?|geboren(?:\s+am)?))"
        pattern = re.compile(cue + r"[\s:,-]{1,4}(?:is\s+|on\s+)?(" + _DATE + r")")
        super().__init__("DATE_OF_BIRTH", [(pattern, 0.85)], group=1, gate=at_least_digits(1))  # a year or a day


# Given names are capitalised words; "Jr." etc. extend a name found by NER or by a cue.
_NAME = r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?"
_FULL_NAME = _NAME + r"(?:\s+[A-Z]\.)?(?:\s+" + _NAME + r"){0,2}(?:,?\s+(?:Jr|Sr)\.?|\s+(?:II|III|IV))?"


_RELATION = (
    r"(?:friend|boyfriend|girlfriend|partner|husband|wife|fianc[eé]e?|sister|brother|sibling|mom|mum|mother"
    r"|dad|father|son|daughter|aunt|uncle|cousin|niece|nephew|grandma|grandpa|grandmother|grandfather|boss"
    r"|manager|coworker|co-worker|colleague|roommate|flatmate|ex|neighbou?r|therapist|counsel+or|doctor"
    r"|nurse|teacher|coach|landlord|carer|caregiver)"
)


_TITLES = frozenset({"Dr", "Mr", "Mrs", "Ms", "Mx", "Miss", "Prof", "Nurse", "Doctor", "Patient", "Coach"})


class NameCueRecognizer(RegexRecognizer):
    """Names introduced by a cue the small NER model often misses.

    "my name is X", "I'm X", a title ("Dr.", "Mrs", "Patient", "Grandpa"), a relation ("my sister
    X", "my best friend X"), "it's X" closing a sentence, and a sign-off ("- X", "thanks, X").
    The cue makes these surer than NER's label, so they win when NER calls "Janice Hill" a place.

    Each pattern runs only when its cue's literal words occur in the text: case-insensitive cues
    are looked up in the folded text, case-sensitive ones (titles, chat verbs) in the text itself.
    """

    def __init__(self, *, prefilter: bool = True) -> None:
        intro = re.compile(
            r"(?i:\b(?:my name is|my name's|call me|this is|i am|i'm|im|named|called))\s+(" + _FULL_NAME + r")\b"
        )
        title = re.compile(
            r"\b(?:Dr|Mr|Mrs|Ms|Mx|Miss|Prof|Nurse|Doctor|Patient|Grandpa|Grandma|Granny|Aunt|Auntie|Uncle"
            r"|Coach)\.?\s+(" + _FULL_NAME + r")\b"
        )
        relation = re.compile(
            r"(?i:\bmy\s+(?:(?:best|old|close|little|big|older|younger|new)\s+)?" + _RELATION + r"),?\s+("
            + _FULL_NAME + r")\b"
        )
        its = re.compile(r"(?i:\bit'?s|\bit is)\s+(" + _FULL_NAME + r")(?=\s*(?:[.,!?]|$|\bagain\b|\bhere\b))")
        sign_off = re.compile(
            r"(?:(?<=\s)[-–—]\s*|(?i:thanks|thank you|regards|cheers|love|best|xoxo),\s+)("
            + _FULL_NAME
            + r")\s*[.!]?\s*$"
        )
        # "call Shannon Bray at", "ask Lori": a verb of contact before a capitalised name mid-sentence.
        contact = re.compile(
            r"(?<=[a-z,] )(?i:call|text|email|e-mail|ask|tell|meet|message|visit|see|thank)\s+(" + _FULL_NAME + r")\b"
        )
        # "Mark from work", "Lori Mason took over", "Priya said": a name as the subject of a chat verb.
        subject = re.compile(
            r"\b(" + _FULL_NAME + r")(?=\s+(?:from (?:work|school|class|church|the gym|next door)|said|says|told|"
            r"texted|called|took over|didn't|doesn't|never|keeps|wants|thinks)\b)"
        )
        # (pattern, score, words of its cue of which one must occur: folded text, exact text)
        cued: list[tuple[re.Pattern[str], float, tuple[str, ...], tuple[str, ...]]] = [
            (intro, 0.9, ("my name", "call me", "this is", "i am", "i'm", "im", "named", "called"), ()),
            (title, 0.9, (), ("Dr", "Mr", "Ms", "Mx", "Miss", "Prof", "Nurse", "Doctor", "Patient", "Gran", "Aunt",
                              "Uncle", "Coach")),
            (relation, 0.9, ("my",), ()),
            (its, 0.7, ("it",), ()),
            (sign_off, 0.7, ("thank", "regards", "cheers", "love", "best", "xoxo"), ("-", "–", "—")),
            (contact, 0.9, ("call", "text", "mail", "ask", "tell", "meet", "message", "visit", "see", "thank"), ()),
            (subject, 0.6, (), ("from ", "said", "says", "told", "texted", "called", "took over", "didn't",
                                "doesn't", "never", "keeps", "wants", "thinks")),
        ]
        super().__init__("PERSON", [(p, score) for p, score, _, _ in cued], group=1,
                         gate=_has_name_shape if prefilter else None)
        self._cued = [(p, score, folded, exact) for p, score, folded, exact in cued] if prefilter else []

    def find(self, text: str) -> list[Span]:
        from spacy.lang.en.stop_words import STOP_WORDS

        if self._cued:
            folded = fold(text)
            patterns = [(p, score) for p, score, in_folded, in_text in self._cued
                        if any(w in folded for w in in_folded) or any(w in text for w in in_text)]
        else:
            patterns = list(self.patterns)
        # "She never", "Everyone said", "This is Monday": pronouns and function words are no names;
        # "call Dr. Mara Jensen": a title is no name either (the title cue takes the name after it).
        return [
            s
            for s in self._find(text, patterns)
            if (first := text[s.start : s.end].split(maxsplit=1)[0]) not in _NOT_NAMES
            and first.lower() not in STOP_WORDS
            and first.rstrip(".") not in _TITLES
        ]


_NAME_SHAPE = re.compile(r"[A-Z][a-z]")


def _has_name_shape(facts: TextFacts) -> bool:
    return _NAME_SHAPE.search(facts.text) is not None


_NAME_DE = r"[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?"
_FULL_NAME_DE = _NAME_DE + r"(?:\s+" + _NAME_DE + r"){0,2}"


class GermanNameCueRecognizer(RegexRecognizer):
    """German names after a cue ("ich heiße", "mein Name ist", "Herr", "Frau Dr.") for the
    pattern-only German path: no German spaCy model is installable here, so cues stand in for NER."""

    def __init__(self) -> None:
        intro = re.compile(r"(?i:\b(?:ich hei(?:ße|sse)|mein name ist|ich bin(?= [A-ZÄÖÜ][a-zäöüß]+ [A-ZÄÖÜ])))\s+("
                           + _FULL_NAME_DE + r")\b")
        title = re.compile(r"\b(?:Herrn?|Frau|Dr\.|Prof\.)\s+(?:Dr\.\s+)?(" + _FULL_NAME_DE + r")\b")
        super().__init__("PERSON", [(intro, 0.9), (title, 0.9)], group=1)


# German postcode and town: "10115 Berlin", "80331 München".
_PLZ_ORT = re.compile(r"\b\d{5}\s+[A-ZÄÖÜ][a-zäöüß]+(?:[- ](?:am|an der|im|[A-ZÄÖÜ][a-zäöüß]+))*\b")


# Words that follow "I'm" / "this is" and are capitalised at a sentence start but are not names.
_NOT_NAMES = frozenset(
    [
        "So",
        "Not",
        "Just",
        "Really",
        "Very",
        "Feeling",
        "Sorry",
        "Glad",
        "Happy",
        "Sad",
        "Tired",
        "Here",
        "Going",
        "Trying",
        "Looking",
        "Still",
        "Also",
        "Always",
        "Never",
        "The",
        "A",
        "An",
        "It",
        "That",
        "This",
        "Worried",
        "Scared",
        "Afraid",
        "Anxious",
        "Fine",
        "Okay",
        "Ok",
        "Good",
        "Better",
        "Worse",
        "Done",
        "Ready",
        "Sure",
        "Confused",
        "Lost",
        "Alone",
        "Over",
        "Back",
        "Home",
        "Right",
        "Wrong",
        "New",
    ]
)

# USPS street suffixes (Publication 28), which is also what US addresses in the wild use.
_STREET_SUFFIX = (
    r"(?:Alley|Annex|Arcade|Avenue|Ave|Bayou|Beach|Bend|Bluffs?|Bottom|Boulevard|Blvd|Branch|Bridge|Brooks?"
    r"|Burgs?|Bypass|Camp|Canyon|Cape|Causeway|Centers?|Circles?|Cir|Cliffs?|Club|Commons?|Corners?|Course"
    r"|Courts?|Ct|Coves?|Creek|Crescent|Crest|Crossing|Crossroad|Curve|Dale|Dam|Divide|Drives?|Dr|Estates?"
    r"|Expressway|Extensions?|Falls?|Ferry|Fields?|Flats?|Fords?|Forest|Forges?|Forks?|Fort|Freeway"
    r"|Gardens?|Gateway|Glens?|Greens?|Groves?|Harbors?|Haven|Heights|Highway|Hwy|Hills?|Hollow|Inlet"
    r"|Islands?|Isle|Junctions?|Keys?|Knolls?|Lakes?|Land|Landing|Lane|Ln|Lights?|Loaf|Locks?|Lodge|Loop"
    r"|Mall|Manors?|Meadows?|Mews|Mills?|Mission|Motorway|Mount|Mountains?|Neck|Orchard|Oval|Overpass"
    r"|Parks?|Parkways?|Pkwy|Pass|Passage|Path|Pike|Pines?|Place|Pl|Plains?|Plaza|Points?|Ports?|Prairie"
    r"|Radial|Ramp|Ranch|Rapids?|Rest|Ridges?|River|Roads?|Rd|Route|Row|Rue|Run|Shoals?|Shores?|Skyway"
    r"|Springs?|Spurs?|Squares?|Sq|Station|Stravenue|Stream|Streets?|St|Summit|Terrace|Throughway|Trace"
    r"|Track|Trafficway|Trail|Trailer|Tunnel|Turnpike|Underpass|Unions?|Valleys?|Via|Viaduct|Views?"
    r"|Villages?|Ville|Vista|Walks?|Wall|Ways?|Wells?|Close)"
)
_STREET = re.compile(
    r"\b\d{1,5}\s+(?:[A-Z][a-z]+\.?\s+){1,3}" + _STREET_SUFFIX + r"\b\.?"
    r"(?:,?\s+(?:Apt\.?|Suite|Unit|#)\s*[\w-]+)?"
)
_STRASSE = re.compile(r"\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|weg|allee|platz|gasse|ring)\s+\d{1,4}[a-z]?\b")


class StreetAddressRecognizer(RegexRecognizer):
    """Street addresses (US/UK style "42 Elm Street, Apt 3"; German "Hauptstraße 5") as LOCATION."""

    def __init__(self) -> None:
        # Surer than NER, which reads "1093 Thomas Station" as a person.
        super().__init__("LOCATION", [(_STREET, 0.9), (_STRASSE, 0.9)], gate=at_least_digits(1))  # a house number


class TermRecognizer:
    """Exact terms (deny-list): always reported as the given entity type, case-insensitive."""

    def __init__(self, entity: str, terms: Sequence[str]) -> None:
        self.entities = frozenset({entity})
        self._entity = entity
        words = sorted({t.strip() for t in terms if t.strip()}, key=len, reverse=True)
        self._pattern = re.compile(r"(?i)(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)") if words else None

    def find(self, text: str) -> list[Span]:
        if self._pattern is None:
            return []
        return [Span(self._entity, m.start(), m.end(), 1.0) for m in self._pattern.finditer(text)]


@cache
def _offline_suffixes() -> Any:
    """tldextract with its bundled public-suffix snapshot: no download, no cache directory."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


def _email_valid(value: str) -> bool:
    domain = value.rsplit("@", 1)[-1]
    return bool(_offline_suffixes()(domain).suffix)


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+(?![\w@-])")


def _email() -> RegexRecognizer:
    # Presidio's EmailRecognizer calls tldextract's module-level extractor, which downloads the
    # suffix list on first use; this one only reads the bundled snapshot.
    return RegexRecognizer(
        "EMAIL_ADDRESS",
        [(_EMAIL, 0.5)],
        ContextBoost(("email", "e-mail", "mail")),
        validate=lambda v: True if _email_valid(v) else False,  # noqa: SIM210 - tri-state validator
        gate=lambda facts: "@" in facts.text,
    )


def _presidio(language: str, wanted: frozenset[str]) -> list[SpanRecognizer]:
    from presidio_analyzer import predefined_recognizers as pr

    table: list[tuple[str, Callable[[], Any]]] = [
        ("IBAN_CODE", lambda: pr.IbanRecognizer(supported_language=language)),
        ("IP_ADDRESS", lambda: pr.IpRecognizer(supported_language=language)),
        (
            "US_SSN",
            lambda: pr.UsSsnRecognizer(
                supported_language=language, context=["ssn", "social", "security", "ssns", "ss#"]
            ),
        ),
        ("US_PASSPORT", lambda: pr.UsPassportRecognizer(supported_language=language)),
        ("US_DRIVER_LICENSE", lambda: pr.UsLicenseRecognizer(supported_language=language)),
        ("US_BANK_NUMBER", lambda: pr.UsBankRecognizer(supported_language=language)),
        ("US_ITIN", lambda: pr.UsItinRecognizer(supported_language=language)),
        ("UK_NHS", lambda: pr.NhsRecognizer(supported_language=language)),
        ("CRYPTO", lambda: pr.CryptoRecognizer(supported_language=language)),
        ("URL", lambda: pr.UrlRecognizer(supported_language=language)),
        ("MAC_ADDRESS", lambda: pr.MacAddressRecognizer(supported_language=language)),
        ("DATE_TIME", lambda: pr.DateRecognizer(supported_language=language)),
        ("DE_TAX_ID", lambda: pr.DeTaxIdRecognizer(supported_language=language)),
        ("DE_ID_CARD", lambda: pr.DeIdCardRecognizer(supported_language=language)),
    ]
    return [
        PresidioPatterns(make(), needs_context=entity in _NEEDS_CONTEXT) for entity, make in table if entity in wanted
    ]


# Checksummed but short numbers: a checksum alone passes for many unrelated numbers.
_NEEDS_CONTEXT = frozenset({"UK_NHS", "DE_TAX_ID", "DE_ID_CARD"})


# National formats need the region; "+44 ..." and other international numbers match under any.
_PHONE_REGIONS = {"en": ("US", "GB", "AU", "IN"), "de": ("DE", "AT", "CH")}


def build_recognizers(
    settings: PIISettings, language: str, wanted: frozenset[str], *, prefilter: bool = True
) -> list[SpanRecognizer]:
    """Every pattern recognizer for one language, limited to the wanted entity types.

    `prefilter=False` turns off the per-pattern cue checks inside recognizers (the reference the
    prefilters are tested against); the analyzer skips `could_match` itself.
    """
    found: list[SpanRecognizer] = []
    if "EMAIL_ADDRESS" in wanted:
        found.append(_email())
    if "PHONE_NUMBER" in wanted:
        regions = _PHONE_REGIONS.get(language, ("US", "GB"))
        found.append(PhoneRecognizer(tuple(dict.fromkeys(regions))))
    if "CREDIT_CARD" in wanted:
        found.append(CardRecognizer())
    if "DATE_OF_BIRTH" in wanted:
        found.append(DateOfBirthRecognizer())
    if "PERSON" in wanted and language == "en":
        found.append(NameCueRecognizer(prefilter=prefilter))
    if "PERSON" in wanted and language == "de":
        found.append(GermanNameCueRecognizer())
    if "LOCATION" in wanted and language == "de":
        found.append(RegexRecognizer("LOCATION", [(_PLZ_ORT, 0.85)], gate=at_least_digits(5)))
    if "LOCATION" in wanted:
        found.append(StreetAddressRecognizer())
    found.extend(_presidio(language, wanted))
    for custom in settings.custom:
        if custom.language == language:
            found.append(
                RegexRecognizer(
                    custom.entity,
                    [(re.compile(custom.pattern), custom.score)],
                    ContextBoost(tuple(w.lower() for w in custom.context)),
                )
            )
    for entity, terms in settings.deny_list.items():
        found.append(TermRecognizer(entity, terms))
    return found
