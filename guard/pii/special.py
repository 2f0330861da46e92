"""GDPR Art. 9 special categories: a small, honest keyword list, not a classifier.

The admit policy uses these signals (e.g. health data in a companion chat may need explicit
consent under Art. 9(2)(a)). A keyword list misses paraphrases and can fire on figures of speech
("this bug is killing me" does not, but "my heart is broken" may read as health); the lists are
kept short and specific so that a hit is usually right ("std" and "aids" are left out: C++ code
and "visual aids"). Extend them in your own deployment.
"""

from __future__ import annotations

import hashlib
import re
import threading

from guard.core.lru import BoundedLRU

__all__ = ["SPECIAL_CATEGORIES", "SpecialCategoryFinder", "special_categories"]

_TERMS: dict[str, tuple[str, ...]] = {
    "health": (
        r"diagnos\w*", r"depress(?:ion|ed)", r"anxiety", r"panic attacks?", r"diabet\w*", r"cancer", r"tumou?r",
        r"chemo\w*", r"hiv", r"asthma", r"epilep\w*", r"bipolar", r"schizophreni\w*", r"adhd", r"autis\w*",
        r"ptsd", r"eating disorder", r"anorexi\w*", r"bulimi\w*", r"self[- ]harm", r"suicid\w*", r"medication",
        r"prescri(?:bed|ption)", r"antidepressants?", r"insulin", r"therap(?:y|ist)", r"psychiatrist",
        r"pregnan\w*", r"miscarriage", r"surgery", r"blood pressure", r"my doctor", r"hospitali[sz]ed",
        r"disabilit(?:y|ies)", r"chronic (?:pain|illness)", r"migraines?", r"sertraline", r"prozac",
        r"zoloft", r"xanax", r"ssri", r"mental health", r"sexually transmitted",
    ),
    "sexual_orientation": (r"gay", r"lesbian", r"bisexual", r"queer", r"asexual", r"pansexual",
                           r"coming out", r"came out", r"my (?:boyfriend|girlfriend|husband|wife) and i are both"),
    "sex_life": (r"sex life", r"sexual(?:ly)? (?:active|partners?|health)"),
    "religion": (r"muslim", r"christian", r"jewish", r"hindu", r"buddhist", r"sikh", r"atheist",
                 r"my (?:church|mosque|synagogue|temple|faith|religion)", r"ramadan", r"pray(?:ing|ed)? to"),
    "political_opinion": (r"i vote[ds]?(?: for)?", r"democrat", r"republican", r"socialist", r"communist",
                          r"my political", r"party member"),
    "ethnicity": (r"my (?:race|ethnicity|ethnic background)", r"as a (?:black|white|latino|latina|asian|hispanic)"
                  r" (?:man|woman|person)", r"i am (?:black|latino|latina|hispanic|asian)"),
    "trade_union": (r"trade union", r"labou?r union", r"union rep", r"union member(?:ship)?"),
    "genetic": (r"genetic test\w*", r"\bbrca\d?", r"dna test", r"hereditary"),
    "biometric": (r"fingerprints?", r"face ?id", r"retina scan", r"voice ?print"),
}

SPECIAL_CATEGORIES: frozenset[str] = frozenset(_TERMS)

_PATTERNS = {
    category: re.compile(r"(?i)(?<!\w)(?:" + "|".join(terms) + r")(?!\w)") for category, terms in _TERMS.items()
}


def special_categories(text: str) -> set[str]:
    """The special categories whose cue words appear in `text` (not remembered: see `SpecialCategoryFinder`)."""
    return set(_categories(text))


def _categories(text: str) -> frozenset[str]:
    return frozenset(category for category, pattern in _PATTERNS.items() if pattern.search(text))


class SpecialCategoryFinder:
    """`special_categories` with its results remembered per text.

    Chat clients resend the whole history every turn, so results are kept per text, keyed by a
    digest (the text itself is not kept), in a table of at most `cache_size` entries that forgets
    the least recently used first: a conversation's early turns, read again every turn, stay.
    Locked, as a stage may be used from more than one thread.
    """

    def __init__(self, *, cache_size: int = 4096) -> None:
        self._seen: BoundedLRU[bytes, frozenset[str]] = BoundedLRU(cache_size)
        self._lock = threading.Lock()

    def find(self, text: str) -> set[str]:
        """The special categories whose cue words appear in `text` (a new set: the caller may change it)."""
        key = hashlib.blake2b(text.encode(), digest_size=16).digest()
        with self._lock:
            known = self._seen.get(key)
        if known is None:
            known = _categories(text)
            with self._lock:
                self._seen.put(key, known)
        return set(known)

    def __len__(self) -> int:
        """How many texts' results are remembered."""
        return len(self._seen)
