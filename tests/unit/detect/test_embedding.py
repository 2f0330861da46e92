"""The static sentence embedding: BERT's uncased word pieces, the shipped table, and the model's check of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guard.detect.embedding import StaticEmbedding, load_embedding, shipped_embedding_path
from guard.detect.model import LinearModel, load_model
from guard.errors import ConfigError


@pytest.fixture(scope="module")
def embedding() -> StaticEmbedding:
    return load_embedding()


def pieces(embedding: StaticEmbedding, text: str) -> list[str]:
    tokens = list(embedding.vocab)
    return [tokens[i] for i in embedding.piece_ids(text)]


def test_words_are_split_as_the_uncased_bert_tokenizer_does(embedding: StaticEmbedding) -> None:
    """Lower case, accents stripped, punctuation split off, greedy longest-match word pieces;
    symbols that are not punctuation stay inside their word, as in BERT."""
    assert pieces(embedding, "Don't GO!") == ["don", "'", "t", "go", "!"]
    assert pieces(embedding, "Café") == ["cafe"]
    assert pieces(embedding, "guilttripping") == ["guilt", "##trip", "##ping"]
    assert pieces(embedding, "200°C") == ["200", "##°", "##c"]
    assert pieces(embedding, "Überraschung") == pieces(embedding, "uberraschung")


def test_pieces_the_vocabulary_lacks_are_left_out(embedding: StaticEmbedding) -> None:
    """A word that cannot be split into known pieces (BERT's [UNK]) adds nothing."""
    assert pieces(embedding, "🫠") == []
    assert pieces(embedding, "x" * 150) == []  # longer than BERT's word limit


def test_embeddings_are_unit_length_or_zero(embedding: StaticEmbedding) -> None:
    rows = embedding.embed_batch(["I'll miss you so much.", "", "🫠🫠", "Your plan renews on Monday."])
    assert rows.shape == (4, embedding.dims)
    assert rows.dtype == np.float32
    assert np.allclose(np.linalg.norm(rows[[0, 3]], axis=1), 1.0, atol=1e-5)
    assert not rows[1].any()
    assert not rows[2].any()


def test_meaning_is_closer_than_spelling(embedding: StaticEmbedding) -> None:
    """Two ways of saying the same hurt are nearer each other than a sentence sharing their words."""
    hurt, crushed, other = embedding.embed_batch(
        ["It would break my heart if you left.", "I'd be crushed if you went away.", "Break the eggs into a bowl."]
    )
    assert float(hurt @ crushed) > float(hurt @ other)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=6))
def test_a_batch_equals_its_rows_one_by_one(texts: list[str]) -> None:
    embedding = load_embedding()
    batch = embedding.embed_batch(texts)
    for n, text in enumerate(texts):
        assert np.allclose(batch[n], embedding.embed_batch([text])[0], atol=1e-6)
    assert np.all(np.linalg.norm(batch, axis=1) <= 1.0 + 1e-5)


def test_table_errors_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot load the embedding table"):
        load_embedding(tmp_path / "missing.npz")
    bogus = tmp_path / "bogus.npz"
    np.savez(bogus, format_version=np.array(7))
    with pytest.raises(ConfigError, match="format 7"):
        load_embedding(bogus)


def test_a_model_refuses_another_embedding_table(tmp_path: Path) -> None:
    """The model file records the table it was trained with; any other table is refused."""
    shipped = load_model()
    assert shipped.dense is not None
    assert shipped.embedding is not None
    assert shipped.embedding_sha256 == shipped.embedding.digest
    other = tmp_path / "other.npz"
    tokens = list(shipped.embedding.vocab)[:10]
    np.savez_compressed(other, format_version=np.array(1), tokens=np.array("\n".join(tokens)),
                        vectors=np.ones((10, 4), dtype=np.int8), scale=np.ones(4, dtype=np.float32))
    with pytest.raises(ConfigError, match="another embedding table"):
        load_model(embedding_path=other)


def test_dense_weights_survive_save_and_load(tmp_path: Path) -> None:
    shipped = load_model()
    path = tmp_path / "model.npz"
    shipped.save(path)
    again = load_model(path, embedding_path=shipped_embedding_path())
    assert again.dense is not None
    assert shipped.dense is not None
    assert np.array_equal(again.dense, shipped.dense)
    rows = [{1: False, 2: True}]
    assert np.allclose(again.raw_batch(rows, ["Please stay."]), shipped.raw_batch(rows, ["Please stay."]))


def test_a_model_with_dense_weights_needs_the_sentences() -> None:
    model: LinearModel = load_model()
    with pytest.raises(ValueError, match="one text per row"):
        model.raw_batch([{1: False}])


def test_a_format_1_model_without_an_embedding_still_loads(tmp_path: Path) -> None:
    """Models trained before the embedding (format 1, hashed features only) load and score as before."""
    shipped = load_model()
    path = tmp_path / "old.npz"
    np.savez_compressed(
        path, format_version=np.array(1), tactics=np.array(shipped.tactics), buckets=np.array(shipped.buckets),
        index=shipped.index.astype(np.int32), weights=shipped.weights.astype(np.float16),
        intercept=shipped.intercept, platt_a=shipped.platt_a, platt_b=shipped.platt_b,
        generic_scale=np.array(shipped.generic_scale),
    )
    old = load_model(path)
    assert old.dense is None
    assert old.embedding is None
    rows = [{1: False, 2: True}]
    assert np.allclose(old.raw_batch(rows), shipped.raw_batch(rows, ["x"]) - shipped.dense_rows(["x"]) @ shipped.dense)
