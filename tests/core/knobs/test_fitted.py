"""Defaults fitted to a dataset: max_length from its token lengths, max_steps from its size."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.knobs import DataConfig, fit_defaults, get_knob
from core.training import fitted_defaults
from tests.conftest import make_reviews


def test_short_texts_are_cut_at_their_95th_percentile_and_trained_for_three_passes() -> None:
    lengths = list(range(1, 101))  # the 95th percentile: 95.05 tokens
    fitted = fit_defaults(lengths, train_size=22_188, dataset="sentences")
    assert fitted.values == {"max_length": 96, "max_steps": 1000}  # 3 x 22,188 / 64 = 1,040
    assert "95 % of the training texts fit in 95 tokens" in fitted.reasons["max_length"]
    assert "3 passes over 22,188 training texts" in fitted.reasons["max_steps"]


def test_long_texts_keep_the_knobs_defaults_and_say_why() -> None:
    """IMDB-like: 95 % within 745 tokens, 22,500 texts. The cut stays at 400 and the steps at
    what the default run reads, so the Playground's default run does not change."""
    lengths = [200] * 90 + [745] * 10
    fitted = fit_defaults(lengths, train_size=22_500, dataset="imdb")
    assert fitted.values == {
        "max_length": get_knob("max_length").default,
        "max_steps": get_knob("max_steps").default,
    }
    assert "cut at the default 400" in fitted.reasons["max_length"]
    assert "would take 1,100 steps" in fitted.reasons["max_steps"]


def test_a_small_training_split_gets_at_least_one_validation() -> None:
    fitted = fit_defaults([12] * 50, train_size=300, dataset="tiny")
    assert fitted.values == {"max_length": 16, "max_steps": 100}
    assert "at least 100 steps" in fitted.reasons["max_steps"]


def test_short_texts_may_take_more_steps_for_the_same_tokens() -> None:
    """A cut at 16 tokens reads 25 times fewer tokens a step than one at 400: a large split's
    three passes are capped at 300 x 400 / 16 = 7,500 steps, not the default 300."""
    fitted = fit_defaults([10] * 100, train_size=1_000_000, dataset="huge")
    assert fitted.values == {"max_length": 16, "max_steps": 7500}
    assert "capped at what the default run reads" in fitted.reasons["max_steps"]


def test_fitted_defaults_measure_the_tokenizers_lengths(tmp_path: Path) -> None:
    reviews = make_reviews(400, 5)
    reviews.to_parquet(tmp_path / "train.parquet")
    make_reviews(100, 6).to_parquet(tmp_path / "test.parquet")
    fitted = fitted_defaults(DataConfig(data=str(tmp_path), vocab_size=1000))
    assert fitted.dataset == tmp_path.name
    assert fitted.values == {"max_length": 32, "max_steps": 100}  # 7 to 33 words, 360 rows
    longer = pd.DataFrame(
        {"text": [" ".join([t] * 8) for t in reviews["text"]], "label": reviews["label"]}
    )
    (tmp_path / "longer").mkdir()
    longer.to_parquet(tmp_path / "longer" / "train.parquet")
    fitted = fitted_defaults(DataConfig(data=str(tmp_path / "longer"), vocab_size=1000))
    assert fitted.values["max_length"] == 256  # eight times each text: about 8 x 31 tokens
