"""Pretrained word vectors (``embedding_init = "word2vec"``): alignment with the token ids, the
cache, the unlabelled text, and frozen against fine-tuned embeddings in a real short training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForSequenceClassification

from core.data._loading import load_data
from core.data._word_vectors import (
    Word2VecSettings,
    build_corpus,
    get_token_vectors,
    pretrain_vectors,
    train_word2vec,
    unlabelled_texts,
)
from core.errors import ConfigError
from core.knobs._fields import DataConfig
from core.training._config import build_run_config
from core.training._tokenizer import get_tokenizer
from core.training._trainer import train_run
from tests.conftest import make_reviews

FAST = Word2VecSettings(epochs=2, min_count=1)


@pytest.fixture
def prepared(tiny_data: DataConfig):
    data = load_data(tiny_data)
    return data, get_tokenizer(data, tiny_data)


def test_row_i_is_gensims_vector_for_token_id_i(prepared) -> None:
    data, tokenizer = prepared
    vectors, known, stats = pretrain_vectors(data, tokenizer, 12, FAST)
    assert vectors.shape == (len(tokenizer), 12) and vectors.dtype == np.float32
    # The same corpus and settings, trained here: gensim is deterministic with one worker.
    corpus = build_corpus([list(data.splits["train"]["text"])], tokenizer)
    model = train_word2vec(corpus, 12, FAST)
    for word in ("great", "awful", "film"):
        token_id = tokenizer.convert_tokens_to_ids(word)
        assert known[token_id]
        np.testing.assert_array_equal(vectors[token_id], model.wv[str(token_id)])
    assert not known[tokenizer.pad_token_id]  # never in a review
    assert known.sum() == len(model.wv.key_to_index)
    assert stats is None or stats.sentences == len(data.splits["train"])


def test_the_cache_answers_the_second_call_and_settings_change_the_key(
    prepared, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, tokenizer = prepared
    settings = Word2VecSettings(epochs=1, min_count=1, window=3)
    first, _, stats = pretrain_vectors(data, tokenizer, 8, settings)
    assert stats is not None and stats.tokens > 0 and stats.cpu_s > 0  # trained now

    def no_training(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr("core.data._word_vectors.train_word2vec", no_training)
    again, _, stats = pretrain_vectors(data, tokenizer, 8, settings)
    assert stats is None
    np.testing.assert_array_equal(first, again)
    for other in (Word2VecSettings(epochs=1, min_count=1, window=4), settings):
        dim = 8 if other is not settings else 10  # another window, or another size
        with pytest.raises(AssertionError, match="trained again"):
            pretrain_vectors(data, tokenizer, dim, other)


def test_token_vectors_are_scaled_and_keep_padding_zero(prepared) -> None:
    data, tokenizer = prepared
    raw, known, _ = pretrain_vectors(data, tokenizer, 12, Word2VecSettings())
    out = get_token_vectors(data, tokenizer, 12, 0.1, Word2VecSettings())
    assert np.all(out[tokenizer.pad_token_id] == 0)
    assert out[known].std() == pytest.approx(0.1, rel=1e-3)
    word = tokenizer.convert_tokens_to_ids("great")
    cos = out[word] @ raw[word] / np.linalg.norm(out[word]) / np.linalg.norm(raw[word])
    assert cos == pytest.approx(1.0, abs=1e-5)  # the direction is word2vec's


def test_unlabelled_reviews_join_the_corpus(tmp_path: Path) -> None:
    folder = tmp_path / "with-unsup"
    folder.mkdir()
    make_reviews(200, seed=3).to_parquet(folder / "train.parquet")
    make_reviews(60, seed=4).to_parquet(folder / "test.parquet")
    unsup = make_reviews(150, seed=5).assign(label=-1)
    unsup.to_parquet(folder / "unsupervised.parquet")
    assert unlabelled_texts(str(folder)) == unsup["text"].tolist()
    assert unlabelled_texts("stanfordnlp/imdb") == []
    cfg = DataConfig(data=str(folder), vocab_size=1000, val_fraction=0.2)
    data = load_data(cfg)
    _, _, stats = pretrain_vectors(data, get_tokenizer(data, cfg), 8, FAST)
    assert stats is not None
    assert stats.sentences == len(data.splits["train"]) + 150  # never validation or test


def _embedding(run_dir: Path) -> torch.Tensor:
    model = AutoModelForSequenceClassification.from_pretrained(run_dir / "model")
    return model.embed.weight.detach()


@pytest.mark.parametrize("family", ["cnn", "rnn"])
def test_frozen_vectors_stay_and_fine_tuned_ones_move(
    tiny_data: DataConfig, tmp_path: Path, family: str
) -> None:
    knobs = {"embedding_dim": 16, "max_length": 64, "eval_steps": 10, "max_steps": 20}
    knobs |= {"batch_size": 32, "embedding_init": "word2vec"}
    data = load_data(tiny_data)
    start = torch.from_numpy(get_token_vectors(data, get_tokenizer(data, tiny_data), 16, 0.1))
    results = {}
    for freeze in (True, False):
        run = build_run_config(
            family, overrides=knobs | {"freeze_embeddings": freeze}, data=tiny_data
        )
        results[freeze] = train_run(run, run_dir=tmp_path / str(freeze))
        assert results[freeze].status == "completed"
    assert torch.equal(_embedding(tmp_path / "True"), start)
    assert not torch.allclose(_embedding(tmp_path / "False"), start)
    vocab = start.shape[0]
    assert results[False].params - results[True].params == vocab * 16  # trainable parameters


def test_bad_values_of_the_new_knobs_are_refused() -> None:
    for overrides, words in (
        ({"embedding_init": "glove"}, "embedding_init must be one of random, word2vec"),
        ({"freeze_embeddings": "maybe"}, "freeze_embeddings must be true or false"),
        ({"warmup_ratio": 0.9}, "warmup_ratio must be between 0 and 0.5"),
        ({"warmup_ratio": -0.1}, "warmup_ratio must be between 0 and 0.5"),
    ):
        with pytest.raises(ConfigError, match=words):
            build_run_config("cnn", overrides=overrides)
    run = build_run_config("rnn", overrides={"freeze_embeddings": "true", "warmup_ratio": "0.1"})
    assert run.model.freeze_embeddings is True and run.train.warmup_ratio == 0.1
