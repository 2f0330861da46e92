"""A static sentence embedding: the mean of word-piece vectors distilled from all-MiniLM-L6-v2.

The table (`data/embedding.npz`, made once by `tools/distill_embedding.py`) holds one vector per
word piece of the model's vocabulary, computed by the whole transformer on that piece alone and
reduced by PCA. A sentence is tokenized as the model's own tokenizer does it (BERT, uncased: NFD,
accents stripped, punctuation split off, greedy longest-match word pieces) and its embedding is the
normalised mean of its pieces' vectors. It gives the linear model a sense of meaning that n-grams
lack ("I'd be crushed" near "it would break my heart") at the cost of a lookup per word piece.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from guard.core.lru import BoundedLRU
from guard.errors import ConfigError

__all__ = ["StaticEmbedding", "load_embedding", "shipped_embedding_path"]

FORMAT_VERSION = 1
_SHIPPED = "embedding.npz"
_MAX_WORD = 100  # BERT's limit: longer words are one unknown piece


def _punctuation_class() -> str:
    """BERT's punctuation: ASCII symbols and Unicode category P*; each is a token of its own."""
    chars = {chr(c) for c in range(33, 127) if not chr(c).isalnum()}
    chars.update(ch for ch in map(chr, range(0x80, 0x10000)) if unicodedata.category(ch).startswith("P"))
    return "".join(re.escape(ch) for ch in sorted(chars))


@functools.cache
def _word_regex() -> re.Pattern[str]:
    """Whitespace splits words; punctuation is split off; other symbols (°, €, emoji) stay in the word.

    Built on first use, not at import: listing the punctuation walks the whole Basic Multilingual
    Plane, and a detector whose model does not weigh the embedding never needs it."""
    punct = _punctuation_class()
    return re.compile(f"[{punct}]|[^\\s{punct}]+")

FloatMatrix = npt.NDArray[np.float32]


def _pieces_of(word: str, vocab: dict[str, int]) -> tuple[int, ...]:
    """Greedy longest-match word pieces (`##` marks a continuation); () if the word cannot be split."""
    if len(word) > _MAX_WORD:
        return ()
    ids: list[int] = []
    start = 0
    while start < len(word):
        end = len(word)
        while end > start:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            found = vocab.get(piece)
            if found is not None:
                ids.append(found)
                break
            end -= 1
        else:
            return ()
        start = end
    return tuple(ids)


def _fold(text: str) -> str:
    """Lower case without accents, as the uncased model saw its training text (punctuation and
    spaces are left as they are, so the words found in the folded text are the original's)."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


class StaticEmbedding:
    """Word-piece vectors and the tokenizer to reach them; `embed_batch` is the only hot path.

    The vectors stay as stored, int8 codes with one scale per component: a sentence's sum of codes
    times the scales is the sum of its vectors, and a table a quarter the size of float32 keeps
    the lookups in cache.
    """

    def __init__(
        self, tokens: list[str], codes: npt.NDArray[np.int8], scale: FloatMatrix, *, digest: str = "",
        cache_size: int = 65536,
    ) -> None:
        if len(tokens) != len(codes) or scale.shape != codes.shape[1:]:
            raise ValueError("one row of codes per word piece and one scale per component")
        self.digest = digest  # SHA-256 of the table's file: a model records the table it was trained with
        self.vocab = {token: n for n, token in enumerate(tokens)}
        self.codes = codes
        self.scale = scale.astype(np.float32)
        self.dims = int(codes.shape[1])
        self._words: BoundedLRU[str, tuple[int, ...]] = BoundedLRU(cache_size)

    def piece_ids(self, text: str) -> list[int]:
        folded = text.lower() if text.isascii() else _fold(text)
        vocab = self.vocab
        ids: list[int] = []
        for word in _word_regex().findall(folded):
            # Most words are one piece of the vocabulary: a single lookup. The rest are split once
            # and remembered (bounded: an attacker's random words cannot grow the table for ever).
            found = vocab.get(word)
            if found is not None:
                ids.append(found)
                continue
            pieces = self._words.get(word)
            if pieces is None:
                pieces = _pieces_of(word, vocab)
                self._words.put(word, pieces)
            ids.extend(pieces)
        return ids

    def clear_cache(self) -> None:
        self._words.clear()

    def embed_batch(self, texts: list[str]) -> FloatMatrix:
        """One unit-length row per text (a zero row for a text with no known word piece)."""
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        ids: list[int] = []
        starts: list[int] = []
        rows: list[int] = []
        for row, text in enumerate(texts):
            pieces = self.piece_ids(text)
            if pieces:
                rows.append(row)
                starts.append(len(ids))
                ids.extend(pieces)
        if not ids:
            return out
        sums = np.add.reduceat(self.codes[np.asarray(ids, dtype=np.intp)], starts, axis=0, dtype=np.float32)
        sums *= self.scale
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        out[rows] = sums / np.maximum(norms, np.float32(1e-6))
        return out


def shipped_embedding_path() -> Path:
    return Path(str(resources.files("guard.detect").joinpath("data", _SHIPPED)))


def load_embedding(path: str | Path | None = None) -> StaticEmbedding:
    """Load an embedding table (the shipped one when `path` is None)."""
    target = Path(path) if path is not None else shipped_embedding_path()
    try:
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        with np.load(target, allow_pickle=False) as data:
            version = int(data["format_version"])
            if version != FORMAT_VERSION:
                raise ConfigError(
                    f"The embedding table {target.name} has format {version}; this version reads {FORMAT_VERSION}.",
                    hint="Rebuild it with tools/distill_embedding.py.",
                )
            tokens = str(data["tokens"]).split("\n")
            codes = data["vectors"].astype(np.int8)
            scale = data["scale"].astype(np.float32)
    except (OSError, KeyError, ValueError) as exc:
        raise ConfigError(
            f"Cannot load the embedding table {target.name} ({type(exc).__name__}).",
            hint="Reinstall empathy-guard, or rebuild the table with tools/distill_embedding.py.",
        ) from None
    return StaticEmbedding(tokens, codes, scale, digest=digest)
