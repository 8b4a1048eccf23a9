"""Macro-F1 beside accuracy where the classes are unbalanced."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.training._scoring import is_unbalanced, macro_f1
from tests.conftest import make_reviews


def test_macro_f1_by_hand() -> None:
    labels = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    preds = np.array([0, 0, 0, 1, 1, 1, 2, 0])
    # class 0: tp 3, fp 1, fn 1 -> 6/8; class 1: tp 2, fp 1, fn 0 -> 4/5; class 2: tp 1, fn 1 -> 2/3
    assert macro_f1(preds, labels) == pytest.approx((6 / 8 + 4 / 5 + 2 / 3) / 3)
    assert macro_f1(labels, labels) == 1.0
    # always the large class: high accuracy, low macro-F1
    skewed = np.array([0] * 90 + [1] * 10)
    assert float((np.zeros(100) == skewed).mean()) == 0.9
    assert macro_f1(np.zeros(100, dtype=int), skewed) == pytest.approx((2 * 90 / 190) / 2)


def test_unbalanced_means_the_largest_class_is_over_one_and_a_half_times_the_smallest() -> None:
    assert not is_unbalanced(np.array([0] * 50 + [1] * 50))
    assert not is_unbalanced(np.array([0] * 60 + [1] * 40))
    assert is_unbalanced(np.array([0] * 61 + [1] * 39))
    assert not is_unbalanced(np.array([2] * 10))


def test_a_run_on_unbalanced_data_reports_macro_f1_and_a_balanced_one_does_not(
    tmp_path: Path,
) -> None:
    from core.knobs._fields import DataConfig
    from core.training._config import build_run_config
    from core.training._trainer import train_run

    reviews = make_reviews(400, 3)
    skewed = pd.concat([reviews[reviews.label == 1], reviews[reviews.label == 0].head(60)])
    for name, df in (("balanced", reviews), ("skewed", skewed)):
        (tmp_path / name).mkdir()
        df.to_parquet(tmp_path / name / "train.parquet")  # no test file: carved, stratified
    tiny = {"max_steps": 20, "eval_steps": 10, "embedding_dim": 16, "max_length": 48}
    results = {}
    for name in ("balanced", "skewed"):
        data = DataConfig(data=str(tmp_path / name), vocab_size=1000)
        results[name] = train_run(build_run_config("cnn", overrides=tiny, data=data), save=False)
    assert results["balanced"].test_macro_f1 is None
    assert 0.0 <= results["skewed"].test_macro_f1 <= 1.0
    assert results["skewed"].test_carved and results["skewed"].dataset == "skewed"
