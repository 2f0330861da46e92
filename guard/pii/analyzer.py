"""The analyzer: spaCy NER (the `ner` pipe only) plus pattern recognizers, built once per process.

Why not Presidio's `AnalyzerEngine` as is: it runs the whole spaCy pipeline (tagger, parser,
lemmatizer) for context words and about thirty recognizers on every call. Here only the NER pipe
runs, only on texts with a capitalised word, in batches (`nlp.pipe`), and results are cached per
text, so a chat client resending twenty turns of history pays for the new turn only. The cache
keeps offsets, never values, keyed by a SHA-256 of language and text.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from guard.core.lru import BoundedLRU
from guard.errors import ConfigError
from guard.pii.entities import DEFAULT_ENTITIES, SUPPORTED_ENTITIES
from guard.pii.recognizers import Gate, SpanRecognizer, TextFacts, build_recognizers, follows_version_cue
from guard.pii.spans import Span, resolve_overlaps

if TYPE_CHECKING:
    from guard.pii.settings import PIISettings

__all__ = ["AnalysisBatch", "Analyzer", "PIIAnalyzer", "analysis_key", "load_ner"]

_NER_LABELS = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "ORG": "ORGANIZATION",
    "NORP": "NRP",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
}
_NER_SCORE = 0.85
_CAPITALISED = re.compile(r"(?<![\w'])[A-ZÀ-ÞĀ-Ž][a-zß-ÿā-ž]")
_HAS_DIGIT = re.compile(r"\d")
# Names of products and cloud services the small model takes for people or places.
_TECH_TERMS = frozenset(
    [
        "s3",
        "route 53",
        "eks",
        "ec2",
        "ecs",
        "gke",
        "aks",
        "aws",
        "gcp",
        "rds",
        "iam",
        "vpc",
        "lambda",
        "azure",
        "kubernetes",
        "k8s",
        "docker",
        "github",
        "gitlab",
        "jira",
        "slack",
        "zoom",
        "teams",
        "excel",
        "outlook",
        "gmail",
        "linux",
        "ubuntu",
        "windows",
        "macos",
        "ios",
        "android",
        "python",
        "java",
        "rust",
        "chatgpt",
        "gpt",
        "claude",
        "gemini",
        "siri",
        "alexa",
        "copilot",
        "redis",
        "postgres",
        "postgresql",
        "kafka",
        "terraform",
        "nginx",
    ]
)
# Single capitalised words that open sentences in chats and that the model sometimes tags.
_NOT_PERSON = frozenset(
    [
        "hi",
        "hey",
        "hello",
        "thanks",
        "thank",
        "please",
        "sorry",
        "ok",
        "okay",
        "yes",
        "no",
        "yeah",
        "dear",
        "bye",
        "lol",
        "omg",
        "ugh",
        "wow",
        "well",
        "so",
        "individual",
        "zero",
        "someone",
        "somebody",
        "everyone",
        "nobody",
        "mom",
        "dad",
        "mum",
        "mother",
        "father",
        "sister",
        "brother",
        "grandma",
        "grandpa",
        "therapist",
        "doctor",
        "nurse",
        "boss",
    ]
)
_NAME_SUFFIX = re.compile(r"^(?:,?\s+(?:Jr|Sr)\.?|\s+(?:II|III|IV)\b)")
_POSSESSIVE = re.compile(r"(?:'s|’s|')$")


class PIIAnalyzer(Protocol):
    """Finds personal data; the stages depend on this, tests may pass their own."""

    entities: frozenset[str]

    def analyze_batch(self, texts: Sequence[str], language: str = "en", *, cache: bool = True) -> list[list[Span]]: ...


def load_ner(model: str) -> Any:
    """Load a spaCy model with only its NER pipe (and what NER itself needs)."""
    import spacy

    try:
        nlp = spacy.load(
            model,
            exclude=[
                "tagger",
                "parser",
                "attribute_ruler",
                "lemmatizer",
                "senter",
                "morphologizer",
                "trainable_lemmatizer",
            ],
        )
    except OSError:
        raise ConfigError(
            f"The spaCy model {model!r} is not installed.",
            hint="Install the model package (see docs/pii.md), or set pii.ner: false for patterns only.",
        ) from None
    if "ner" not in nlp.pipe_names:
        raise ConfigError(f"The spaCy model {model!r} has no NER pipe.", hint="Use a model with named entities.")
    # A tok2vec that only tagger/parser listened to is dead weight once they are gone.
    if "tok2vec" in nlp.pipe_names and not getattr(nlp.get_pipe("tok2vec"), "listening_components", ["?"]):
        nlp.remove_pipe("tok2vec")
    return nlp


# The settings that change what the analyzer finds; operators, vault and restore do not.
_ANALYSIS_FIELDS = frozenset(
    {"ner", "model", "languages", "models", "entities", "thresholds", "score_threshold", "allow_list",
     "deny_list", "custom", "cache_size"}
)


def analysis_key(settings: PIISettings) -> str:
    """A stable text of the analysis settings: one analyzer (and cache) per distinct value."""
    return settings.model_dump_json(include=set(_ANALYSIS_FIELDS))


def resolve_entities(settings: PIISettings) -> frozenset[str]:
    wanted = set(settings.entities if settings.entities is not None else DEFAULT_ENTITIES)
    wanted |= {c.entity for c in settings.custom} | set(settings.deny_list)
    unknown = wanted - SUPPORTED_ENTITIES - {c.entity for c in settings.custom} - set(settings.deny_list)
    if unknown:
        raise ConfigError(
            f"pii.entities names unsupported entity types: {', '.join(sorted(unknown))}.",
            hint="See docs/pii.md for the supported types, or add a pii.custom recognizer for them.",
        )
    return frozenset(wanted)


class _OffsetCache:
    """Bounded LRU of analysis results (offsets and types only, never values).

    Locked: `begin` reads it on the event loop while `finish` fills it in the analysis thread.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: BoundedLRU[bytes, tuple[Span, ...]] = BoundedLRU(size)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: bytes) -> tuple[Span, ...] | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
            return found

    def put(self, key: bytes, spans: Sequence[Span]) -> None:
        if self._size <= 0:
            return
        with self._lock:
            self._items.put(key, tuple(spans))


@dataclass(slots=True)
class AnalysisBatch:
    """Texts between `Analyzer.begin` and `Analyzer.finish`: settled results, and those awaiting NER."""

    language: str
    cache: bool
    results: list[list[Span]] = field(default_factory=list)
    for_ner: list[tuple[int, str, bytes, list[Span]]] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return not self.for_ner


class Analyzer:
    """NER + patterns for each configured language; one instance per process, shared by workers' tasks."""

    def __init__(self, settings: PIISettings, *, nlp: dict[str, Any] | None = None, prefilter: bool = True) -> None:
        """`prefilter=False` runs every recognizer on every text: the reference for the prefilter tests."""
        self.entities = resolve_entities(settings)
        self._settings = settings
        self._allow = frozenset(term.strip().casefold() for term in settings.allow_list)
        self._thresholds = {**_DEFAULT_THRESHOLDS, **settings.thresholds}
        self._default_threshold = settings.score_threshold
        languages = list(dict.fromkeys(["en", *settings.languages]))
        self.languages = tuple(languages)
        self._recognizers: dict[str, list[SpanRecognizer]] = {
            lang: build_recognizers(settings, lang, self.entities, prefilter=prefilter) for lang in languages
        }
        self._gates: dict[str, list[Gate | None]] = {
            lang: [self._gate(r) if prefilter else None for r in found] for lang, found in self._recognizers.items()
        }
        self._nlp: dict[str, Any] = dict(nlp or {})
        if nlp is None and settings.ner and self.entities & _NER_ENTITIES:
            models = {"en": settings.model, **settings.models}
            for lang in languages:
                if lang in models:
                    self._nlp[lang] = load_ner(models[lang])
        digest = hashlib.sha256(analysis_key(settings).encode()).digest()
        self._salt = digest[:16]
        self.cache = _OffsetCache(settings.cache_size)
        self._lock = threading.Lock()
        for lang in languages:  # lazy set-up (suffix list, phone metadata) now, not in the first request
            self._patterns(_WARM_UP, lang)

    def _gate(self, recognizer: SpanRecognizer) -> Gate | None:
        """When to run a recognizer: its own prefilter, and, if none of its matches can reach the
        threshold without a context word, only when one of its context words is in the text."""
        could_match: Gate | None = getattr(recognizer, "could_match", None)
        best: float | None = getattr(recognizer, "best_score", None)
        wanted = recognizer.entities & self.entities
        needs_cue = bool(wanted) and best is not None and all(
            best < self._thresholds.get(entity, self._default_threshold) for entity in wanted
        )
        if not wanted or (needs_cue and not getattr(recognizer, "context_words", ())):
            return _never
        if not needs_cue:
            return could_match
        words: tuple[str, ...] = recognizer.context_words  # type: ignore[attr-defined]
        if could_match is None:
            return lambda facts: facts.has_any(words)
        return lambda facts: facts.has_any(words) and could_match(facts)

    def language_for(self, language: str) -> str:
        """The configured language closest to a context's language (English if none matches)."""
        return language if language in self._recognizers else "en"

    def analyze(self, text: str, language: str = "en") -> list[Span]:
        return self.analyze_batch([text], language)[0]


    def analyze_batch(self, texts: Sequence[str], language: str = "en", *, cache: bool = True) -> list[list[Span]]:
        """Spans per text, non-overlapping and sorted; cached texts are not analysed again."""
        return self.finish(self.begin(texts, language, cache=cache))

    def begin(self, texts: Sequence[str], language: str = "en", *, cache: bool = True) -> AnalysisBatch:
        """Cache lookups, patterns, and which texts need NER: everything but the model.

        Needs no lock, so the stage runs it on the event loop; only a batch with texts for NER
        (`batch.done` false) goes to the analysis thread for `finish`. Regex work holds the GIL
        either way, and most texts (history, PII-free turns, streamed windows) need no model, so
        this spares them the thread hop, which costs more than their prefilters.
        """
        language = self.language_for(language)
        batch = AnalysisBatch(language, cache)
        for index, text in enumerate(texts):
            key = self._key(text, language)
            hit = self.cache.get(key) if cache else None
            if hit is not None:
                batch.results.append(list(hit))
                continue
            batch.results.append([])
            if not text.strip():
                continue
            spans = self._patterns(text, language)
            if self._needs_model(text, language, spans):
                batch.for_ner.append((index, text, key, spans))
            else:
                batch.results[index] = self._settle(text, spans, cache, key)
        return batch

    def finish(self, batch: AnalysisBatch) -> list[list[Span]]:
        """Run NER on the texts `begin` left for it and settle them; returns spans per text."""
        if batch.for_ner:
            # spaCy pipelines are not thread-safe; Guards in one process share this analyzer.
            with self._lock:
                found = self._ner([text for _, text, _, _ in batch.for_ner], batch.language)
            for (index, text, key, spans), extra in zip(batch.for_ner, found, strict=True):
                batch.results[index] = self._settle(text, spans + extra, batch.cache, key)
            batch.for_ner = []
        return batch.results

    def _settle(self, text: str, spans: list[Span], cache: bool, key: bytes) -> list[Span]:
        settled = resolve_overlaps(s for s in spans if self._keep(text, s))
        if cache:
            self.cache.put(key, settled)
        return settled

    def _key(self, text: str, language: str) -> bytes:
        return hashlib.sha256(self._salt + language.encode() + b"\x00" + text.encode()).digest()

    def _needs_model(self, text: str, language: str, spans: list[Span]) -> bool:
        if self._nlp.get(language) is None:
            return False
        if language != "en":
            return _CAPITALISED.search(text) is not None
        # Words already inside a value surer than NER (a cue-found name, a street) need no model.
        return _needs_ner(text, [s for s in spans if s.score > _NER_SCORE and self._keep(text, s)])

    def _patterns(self, text: str, language: str) -> list[Span]:
        spans: list[Span] = []
        late = []
        facts = TextFacts(text)
        for recognizer, gate in zip(self._recognizers[language], self._gates[language], strict=True):
            if gate is not None and not gate(facts):
                continue  # blanking (below) only removes text, so a failed gate holds for late ones too
            if getattr(recognizer, "late", False):
                late.append(recognizer)
            else:
                spans.extend(s for s in recognizer.find(text) if s.entity in self.entities)
        if late:
            # libphonenumber rejects "(415) 555-2671 4111 1111 1111 1111" as one over-long
            # candidate; with the values already found blanked out it sees the phone.
            blanked = _blank(text, [s for s in spans if self._keep(text, s)])
            for recognizer in late:
                spans.extend(s for s in recognizer.find(blanked) if s.entity in self.entities)
        return spans

    def _ner(self, texts: list[str], language: str) -> list[list[Span]]:
        nlp = self._nlp[language]
        results: list[list[Span]] = [[] for _ in texts]
        for index, doc in enumerate(nlp.pipe(texts, batch_size=32)):
            text = texts[index]
            for ent in doc.ents:
                entity = _NER_LABELS.get(ent.label_)
                if entity is None or entity not in self.entities:
                    continue
                span = _tidy(text, Span(entity, ent.start_char, ent.end_char, _NER_SCORE))
                if span is not None:
                    results[index].append(span)
        return results

    def _keep(self, text: str, span: Span) -> bool:
        value = text[span.start : span.end]
        if value.strip().casefold() in self._allow:
            return False
        if span.score < self._thresholds.get(span.entity, self._default_threshold):
            return False
        if span.entity == "IP_ADDRESS" and value in _PUBLIC_SERVICE_IPS:
            return False
        return not (span.entity in _VERSIONED and follows_version_cue(text, span.start))


_WARM_UP = "Dr. Ann Lee, ann@example.com, +1 415 555 2671, 10.0.0.1, DE89 3704 0044 0532 0130 00, 42 Elm Street"


def _never(_: TextFacts) -> bool:
    return False


# Addresses of public services (resolvers, loopback, broadcast) identify no one.
_PUBLIC_SERVICE_IPS = frozenset(
    {
        "1.1.1.1",
        "1.0.0.1",
        "8.8.8.8",
        "8.8.4.4",
        "9.9.9.9",
        "149.112.112.112",
        "208.67.222.222",
        "208.67.220.220",
        "127.0.0.1",
        "0.0.0.0",  # noqa: S104 - a value to ignore, not a bind address
        "255.255.255.255",
        "::1",
        "::",
    }
)


_NER_ENTITIES = frozenset({"PERSON", "LOCATION", "ORGANIZATION", "NRP", "DATE_TIME"})
_VERSIONED = frozenset({"IP_ADDRESS", "DATE_TIME", "PHONE_NUMBER", "US_SSN", "US_BANK_NUMBER"})
# Weak-pattern types only count with a context word ("passport", "license", "account").
_DEFAULT_THRESHOLDS = {"US_DRIVER_LICENSE": 0.6, "US_BANK_NUMBER": 0.4, "US_PASSPORT": 0.4}


_CAPITALISED_WORD = re.compile(r"(?<![\w'])[A-ZÀ-ÞĀ-Ž][a-zß-ÿā-ž][\w'’-]*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n\"“(]\s*|\s[-–—]\s*)$")
_WEEKDAYS = frozenset(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"])
_CHAT_OPENERS = frozenset(
    [
        "hi",
        "hey",
        "hello",
        "thanks",
        "thank",
        "please",
        "ok",
        "okay",
        "yes",
        "yeah",
        "no",
        "nope",
        "sorry",
        "lol",
        "omg",
        "ugh",
        "wow",
        "well",
        "honestly",
        "maybe",
        "also",
        "just",
        "so",
        "but",
        "and",
        "or",
        "anyway",
        "btw",
        "actually",
        "order",
        "error",
        "ticket",
        "text",
        "call",
        "send",
        "wire",
        "request",
        "requests",
        "update",
        "reset",
        "cancel",
        "check",
        "tell",
        "remind",
        "help",
        "note",
        "question",
        "quick",
    ]
)
# Capitalised words that are never a name or a place: titles (the name after them is what counts),
# months that are not also given names, and tech names.
_NEVER_NAMES = frozenset(
    [
        "Dr",
        "Mr",
        "Mrs",
        "Ms",
        "Mx",
        "Prof",
        "Patient",
        "Nurse",
        "January",
        "February",
        "March",
        "September",
        "October",
        "November",
        "December",
    ]
)


# Function words of the languages chat users most often switch to; English NER on them reads
# "Gute Nacht" or "Qué" as people.
_FOREIGN_FUNCTION_WORDS = frozenset(
    [
        "der",
        "die",
        "das",
        "und",
        "ich",
        "nicht",
        "ist",
        "ein",
        "eine",
        "du",
        "mit",
        "auf",
        "für",
        "sich",
        "auch",
        "wie",
        "aber",
        "bin",
        "el",
        "la",
        "los",
        "las",
        "que",
        "y",
        "es",
        "en",
        "un",
        "una",
        "por",
        "con",
        "para",
        "pero",
        "muy",
        "estoy",
        "le",
        "les",
        "et",
        "est",
        "pas",
        "je",
        "tu",
        "une",
        "des",
        "avec",
        "pour",
        "mais",
        "suis",
        "il",
        "di",
        "che",
        "non",
        "sono",
        "per",
        "una",
        "gli",
        "della",
    ]
)
_WORDS = re.compile(r"[^\W\d_]+")


def _looks_foreign(text: str, english: frozenset[str] | set[str]) -> bool:
    """True for text in another language (English NER would only misread it); lists of names are not."""
    words = _WORDS.findall(text)
    if len(words) < 3:
        return False
    lowered = list(map(str.lower, words))
    foreign = sum(map(_FOREIGN_FUNCTION_WORDS.__contains__, lowered))
    native = sum(map(english.__contains__, lowered))
    if foreign >= 2 and foreign > native:
        return True
    if native:
        return False
    # Short turns: no English function word at all, and a foreign one, Spanish marks, or a
    # lower-case word with umlauts or accents (names alone keep their capital).
    return foreign >= 1 or "¿" in text or "¡" in text or any(w[0].islower() and _ACCENTED.search(w) for w in words)


_ACCENTED = re.compile(r"[äöüßñéèêàâçãõìòù]")


def _needs_ner(text: str, sure: Sequence[Span] = ()) -> bool:
    """Does an English text hold a capitalised word that could start a name or place?

    Sentence-initial function words ("Can", "What", "Thanks") cannot, and they are most of the
    capitals in chat; skipping NER for texts with only those saves most of the model's cost
    on PII-free turns. Words inside `sure` spans are settled already: NER's label (score 0.85)
    would lose to them. Lower-case names are missed either way (the model misses them too).
    """
    from spacy.lang.en.stop_words import STOP_WORDS

    # The foreign-language check is the dearer one: only needed once a candidate word is found.
    for match in _CAPITALISED_WORD.finditer(text):
        if match.group(0) in _WEEKDAYS or match.group(0) in _NEVER_NAMES:
            continue
        if match.group(0).lower() in _TECH_TERMS or any(s.start <= match.start() < s.end for s in sure):
            continue
        word = match.group(0).lower().rstrip("'’")
        base = re.split(r"['’]", word, maxsplit=1)[0]
        starts_sentence = _SENTENCE_START.search(text[max(0, match.start() - 4) : match.start()]) is not None
        if starts_sentence and (base in STOP_WORDS or base in _CHAT_OPENERS):
            continue
        return not _looks_foreign(text, STOP_WORDS)
    return False


def _blank(text: str, spans: Sequence[Span]) -> str:
    """The text with the given spans replaced by spaces (offsets unchanged)."""
    chars = list(text)
    for span in spans:
        chars[span.start : span.end] = " " * (span.end - span.start)
    return "".join(chars)


_LEADING_NOT_NAME = frozenset({
    "email", "e-mail", "call", "text", "ask", "tell", "message", "meet", "visit", "see", "thank", "thanks",
    "dear", "hi", "hello", "hey", "ping", "remind", "invite", "phone", "contact",
})


def _tidy(text: str, span: Span) -> Span | None:
    """Trim and extend an NER span; None if it is not a plausible name or place."""
    start, end = span.start, span.end
    # The model sometimes takes in punctuation or a line break ("Sarah Connor >\n"): keep the words.
    while start < end and not text[start].isalnum():
        start += 1
    trimmed = _POSSESSIVE.sub("", text[start:end])
    while trimmed and not trimmed[-1].isalnum():
        trimmed = trimmed[:-1]
    if span.entity == "PERSON":
        # "Email Maria Lopez please": a sentence-initial verb or greeting is no part of the name.
        first, _, rest = trimmed.partition(" ")
        if rest and first.casefold() in _LEADING_NOT_NAME:
            start += len(first) + 1
            trimmed = rest.lstrip()
            start += len(rest) - len(trimmed)
    end = start + len(trimmed)
    lowered = trimmed.casefold()
    if not trimmed or lowered in _TECH_TERMS or lowered in _NOT_PERSON:
        return None
    if span.entity in {"PERSON", "LOCATION"} and not any(ch.isupper() for ch in trimmed):
        return None
    if span.entity == "PERSON":
        if _HAS_DIGIT.search(trimmed) or (trimmed.isupper() and len(trimmed) <= 5):
            return None
        if suffix := _NAME_SUFFIX.match(text[end : end + 6]):
            end += suffix.end()
    return Span(span.entity, start, end, span.score)
