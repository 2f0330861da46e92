"""The static sentence embedding: BERT's uncased word pieces, the shipped table, and the model's check of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guard.detect.dataset import load_file
from guard.detect.embedding import StaticEmbedding, load_embedding, shipped_embedding_path
from guard.detect.model import LinearModel, load_model
from guard.detect.train import train_examples
from guard.errors import ConfigError

DATA = Path(__file__).resolve().parents[3] / "datasets" / "manipulation"


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


@pytest.fixture(scope="module")
def dense_model() -> LinearModel:
    """A small model trained with the embedding (the shipped model leaves it out; see train.py)."""
    examples = load_file(DATA / "dev.jsonl")[:200]
    model, _ = train_examples(examples, folds=2, embedding=load_embedding())
    return model


def test_a_model_refuses_another_embedding_table(dense_model: LinearModel, tmp_path: Path) -> None:
    """The model file records the table it was trained with; any other table is refused."""
    assert dense_model.dense is not None
    assert dense_model.embedding is not None
    assert dense_model.embedding_sha256 == dense_model.embedding.digest
    path = tmp_path / "model.npz"
    dense_model.save(path)
    other = tmp_path / "other.npz"
    tokens = list(dense_model.embedding.vocab)[:10]
    np.savez_compressed(other, format_version=np.array(1), tokens=np.array("\n".join(tokens)),
                        vectors=np.ones((10, 4), dtype=np.int8), scale=np.ones(4, dtype=np.float32))
    with pytest.raises(ConfigError, match="another embedding table"):
        load_model(path, embedding_path=other)


def test_dense_weights_survive_save_and_load(dense_model: LinearModel, tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    dense_model.save(path)
    again = load_model(path, embedding_path=shipped_embedding_path())
    assert again.dense is not None
    assert dense_model.dense is not None
    assert np.array_equal(again.dense, dense_model.dense)
    rows = [{1: False, 2: True}]
    assert np.allclose(again.raw_batch(rows, ["Please stay."]), dense_model.raw_batch(rows, ["Please stay."]))
    assert not np.allclose(dense_model.raw_batch(rows, ["Please stay."]), dense_model.raw_batch(rows, ["Bye."]))


def test_a_model_with_dense_weights_needs_the_sentences(dense_model: LinearModel) -> None:
    with pytest.raises(ValueError, match="one text per row"):
        dense_model.raw_batch([{1: False}])


def test_a_format_1_model_without_an_embedding_still_loads(tmp_path: Path) -> None:
    """Models written before the embedding (format 1, hashed features only) load and score as before."""
    shipped = load_model()
    assert shipped.dense is None  # the shipped model weighs hashed features only
    path = tmp_path / "old.npz"
    np.savez_compressed(
        path, format_version=np.array(1), tactics=np.array(shipped.tactics), buckets=np.array(shipped.buckets),
        index=shipped.index.astype(np.int32), weights=shipped.weights.astype(np.float16),
        intercept=shipped.intercept, platt_a=shipped.platt_a, platt_b=shipped.platt_b,
        generic_scale=np.array(shipped.generic_scale),
    )
    old = load_model(path)
    assert old.dense is None
    rows = [{1: False, 2: True}]
    assert np.allclose(old.raw_batch(rows), shipped.raw_batch(rows))


def test_the_embedding_counts_for_personal_tactics_only_in_sentences_addressed_to_someone() -> None:
    """A story's third-person sentence may still read as product talk or praise, never as a claim
    of a human life or a guilt trip: its embedding is masked for those tactics."""
    from guard.detect.cues import read_user
    from guard.detect.features import addressed, dense_mask
    from guard.detect.patterns import TACTICS

    story, chat = read_user("Tell me a story."), read_user("bye, gotta go")
    assert not addressed("Every night she climbed the stairs.", story)
    assert addressed("Every night I think of you.", story)
    assert addressed("Already? So soon?", chat)  # a reply to a goodbye
    mask = dense_mask([True, False], TACTICS)
    assert mask.shape == (2, len(TACTICS))
    assert mask[0].all()
    impersonal = {t for t, on in zip(TACTICS, mask[1], strict=True) if on}
    assert impersonal == {"brand_bias", "exploitative_upsell", "sycophancy"}
