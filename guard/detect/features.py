"""Sentence features for the statistical layer, hashed into a fixed number of buckets.

Features are binary: word unigrams and bigrams, character 5-grams inside longer words, the pattern
layer's hits (`P:<tactic>`), lexicon hits (`L:`, `L2:`, and `NL:` when negated), supportive
strategies (`H:`), and these crossed with what the user's turn says (`G:`, `D:`, `R:`, `Q:`, `S:` when
it mentions people or help in the user's life, `K:` when the user steps back, `F:` when the user
asked for fiction or an explanation of a tactic, and `A:` in a sentence naming what the user named), so
"how was your day?" can weigh differently after a goodbye. Hashing uses CRC-32, which is stable
across Python versions and platforms (unlike `hash()`), so training and inference agree without
shipping a vocabulary.
"""

from __future__ import annotations

import re
import zlib
from itertools import pairwise
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from guard.detect.cues import Cues
from guard.detect.lexicon import has_negation, is_personal, lexicon_features, support_features

__all__ = ["SentenceFeatures", "addressed", "dense_mask", "hash_features", "sentence_features"]

_TOKEN = re.compile(r"\w+|[?!*]", re.UNICODE)
_IMPERSONAL_TACTICS = ("brand_bias", "exploitative_upsell", "sycophancy")
_CROSS = (
    ("goodbye", "G:"), ("distress", "D:"), ("risky", "R:"), ("product", "Q:"), ("creative", "F:"), ("social", "S:"),
    ("declining", "K:"),
)
_QUOTED = re.compile(r"[\"“”«»„‘]|(?:^|\W)'\w|\w'(?:\W|$)|\*\w")


def _normalise(text: str) -> str:
    return text.lower().replace("’", "'").replace("‘", "'")


def addressed(sentence: str, cues: Cues) -> bool:
    """Whether a sentence can carry a tactic aimed at the user: it has a first- or second-person
    word, or it answers a goodbye ("Already? So soon?")."""
    return _addressed(_normalise(sentence), cues)


def _addressed(text: str, cues: Cues) -> bool:
    """`addressed` for a sentence already normalised (the feature extractor has it at hand)."""
    return cues.goodbye or is_personal(text)


def dense_mask(flags: list[bool], tactics: tuple[str, ...]) -> npt.NDArray[np.float32]:
    """Rows x tactics of 1 and 0: where a sentence's embedding may count for a tactic.

    Manipulation is addressed to someone, so in a sentence that is not (`addressed`) the embedding
    counts only for the tactics that can be impersonal: a story's "Every night she climbed the
    stairs" reads like a claim of a human life, but it claims nothing about the speaker."""
    impersonal = np.array([tactic in _IMPERSONAL_TACTICS for tactic in tactics], dtype=np.float32)
    on = np.ones(len(tactics), dtype=np.float32)
    return np.array([on if flag else impersonal for flag in flags], dtype=np.float32).reshape(len(flags), len(tactics))


class SentenceFeatures(NamedTuple):
    """Feature names of one sentence: n-grams (value 1) and generic features (value `generic_scale`)."""

    ngrams: set[str]
    generic: set[str]


def sentence_features(
    sentence: str, *, cues: Cues, pattern_tactics: frozenset[str], acknowledged: bool, first: bool
) -> SentenceFeatures:
    """The features of one sentence in its context.

    Generic features carry over to unseen phrasings (pattern hits, lexicon hits, supportive
    strategies, negation, and their crossings with the user's turn); n-grams do not.
    """
    text = _normalise(sentence)
    tokens = _TOKEN.findall(text)
    ngrams: set[str] = {"w:" + tok for tok in tokens}
    ngrams.update("b:" + a + "_" + b for a, b in pairwise(tokens))
    # Character 5-grams inside longer words only (stems: "abandon|ed", "lonel|y"): most of the
    # benefit of character n-grams at a third of their number.
    ngrams.update("c:" + tok[i : i + 5] for tok in tokens if len(tok) > 5 for i in range(len(tok) - 4))
    generic: set[str] = {"P:" + tactic for tactic in pattern_tactics}
    lexical = lexicon_features(text)
    if not _addressed(text, cues):
        # Manipulation is addressed to someone: in a sentence with no first- or second-person word
        # ("Every night she climbed the stairs", "a failure refuses the exchange") tactic words
        # are not evidence. Exceptions: product talk and praise ("Every other app is a waste of
        # money", "What a brilliant plan!"), and any reply to a goodbye ("Already? So soon?").
        lexical = [name for name in lexical if name.endswith(_IMPERSONAL_TACTICS)]
    generic.update(lexical)
    support = support_features(text)
    generic.update(support)
    if has_negation(text):
        # "I'm not human" is the opposite of "I'm human": negated lexicon hits weigh on their own.
        generic.update("N:" + name for name in lexical)
        generic.add("N:neg")
    # Context enters only crossed with content ("G:" + word, "G:L:" + lexicon hit): a context on its
    # own ("the user said goodbye") would teach the model a prior for whichever tactic is most
    # common in that context, and it would flag every sentence said there.
    for cue, prefix in _CROSS:
        if getattr(cues, cue):
            ngrams.update(prefix + tok for tok in tokens)
            generic.update(prefix + "P:" + tactic for tactic in pattern_tactics)
            generic.update(prefix + name for name in lexical)
    if cues.names and not cues.goodbye and not cues.names.isdisjoint(tokens):
        # The sentence talks about something the user named ("Is Trello enough?"): what it says
        # about it is where brand bias and discrediting people show. Not after a goodbye, where a
        # name in both turns is the user's own ("bye from Maria" - "Don't leave me, Maria!").
        ngrams.update("A:" + tok for tok in tokens)
        generic.add("A:named")
        generic.update("A:" + name for name in lexical)
    if cues.creative and _QUOTED.search(sentence):
        # A tactic inside a quote the user asked for (a villain's line, an example of guilt-tripping)
        # is shown, not used: its hits weigh on their own.
        generic.update("F:quoted:" + name for name in lexical)
        generic.update("F:quoted:P:" + tactic for tactic in pattern_tactics)
        generic.add("F:quoted")
    if cues.goodbye:
        state = "G:ack:" if acknowledged else "G:noack:"
        generic.update(state + name for name in lexical)
        generic.update(state + "P:" + tactic for tactic in pattern_tactics)
        generic.update(state + name for name in support)
    return SentenceFeatures(ngrams, generic)


def hash_features(features: SentenceFeatures, buckets: int) -> dict[int, bool]:
    """Bucket id -> whether a generic feature fell in it (`buckets` must be a power of two)."""
    mask = buckets - 1
    crc = zlib.crc32
    out = dict.fromkeys((crc(name.encode("utf-8")) & mask for name in features.ngrams), False)
    for name in features.generic:
        out[crc(name.encode("utf-8")) & mask] = True
    return out
