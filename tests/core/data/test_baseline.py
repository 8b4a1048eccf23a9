"""The linear baseline: it learns a separable dataset, is computed once and cached, and the
pages' look-ups only read the cache."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from core.data._baseline import (
    BaselineSettings,
    find_baseline,
    fit_baseline_model,
    get_baseline,
    load_baseline,
    main,
)
from core.knobs._fields import DataConfig


def test_the_baseline_beats_chance_and_is_cached(
    tiny_data: DataConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert find_baseline(tiny_data.data) is None  # nothing cached: the pages show nothing
    result = get_baseline(tiny_data)
    assert result.val_accuracy > 0.9 and result.test_accuracy > 0.9  # the cue words are easy
    assert result.sizes == {"train": 480, "validation": 120, "test": 200}
    assert result.c in BaselineSettings().c_grid and set(result.val_by_c) == {"1", "4", "16"}
    assert result.n_features > 0 and result.wall_s > 0

    def no_fit(*args, **kwargs):
        raise AssertionError("fit again")

    monkeypatch.setattr("core.data._baseline.fit_baseline", no_fit)
    assert get_baseline(tiny_data) == result
    assert load_baseline(result.fingerprint) == result
    assert find_baseline(tiny_data.data) == result
    with pytest.raises(AssertionError, match="fit again"):  # other settings: another key
        get_baseline(tiny_data, BaselineSettings(c_grid=(2.0,)))


def test_the_fitted_baseline_gives_probabilities_that_agree_with_its_score(
    tiny_data: DataConfig,
) -> None:
    """What an ensemble needs (experiments/ensemble.py): class probabilities whose argmax
    is the classifier's prediction, fit without reading test."""
    import numpy as np

    from core.data._loading import load_data

    splits = load_data(tiny_data).splits
    texts = {name: list(ds["text"]) for name, ds in splits.items() if name != "test"}
    labels = {name: list(ds["label"]) for name, ds in splits.items() if name != "test"}
    fitted = fit_baseline_model(texts, labels)  # no "test" given: it is not read
    test = splits["test"]
    probs = fitted.predict_proba(list(test["text"]))
    assert probs.shape == (len(test), 2) and np.allclose(probs.sum(axis=1), 1.0)
    accuracy = float((probs.argmax(axis=1) == np.asarray(test["label"])).mean())
    assert accuracy == fitted.score(list(test["text"]), list(test["label"])) > 0.9
    assert fitted.c in BaselineSettings().c_grid
    assert fitted.val_accuracy == fitted.val_by_c[f"{fitted.c:g}"]


def test_look_ups_never_compute(tmp_path: Path) -> None:
    assert load_baseline("0123456789abcdef") is None
    assert load_baseline(None) is None
    assert find_baseline(str(tmp_path)) is None


def test_changed_files_hide_a_stale_baseline(tmp_path: Path) -> None:
    from tests.conftest import make_reviews

    folder = tmp_path / "data"
    folder.mkdir()
    make_reviews(120, seed=7).to_parquet(folder / "train.parquet")
    make_reviews(40, seed=8).to_parquet(folder / "test.parquet")
    get_baseline(DataConfig(data=str(folder), val_fraction=0.25))
    assert find_baseline(str(folder)) is not None
    make_reviews(130, seed=9).to_parquet(folder / "train.parquet")
    assert find_baseline(str(folder)) is None


def test_the_command_line_prints_the_numbers(
    tiny_data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["--data", str(tiny_data_dir)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["test_accuracy"] > 0.9 and printed["sizes"]["test"] == 200
    assert find_baseline(str(tiny_data_dir)).test_accuracy == printed["test_accuracy"]


def test_a_missing_folder_is_one_sentence(capsys: pytest.CaptureFixture) -> None:
    assert main(["--data", "/no/such/folder"]) == 2
    err = capsys.readouterr().err.strip()
    assert "does not exist" in err and "\n" not in err


def test_a_baseline_kept_beside_the_studies_is_found(
    tiny_data: DataConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = get_baseline(tiny_data)
    cached = next((Path(os.environ["EXPLORER_CACHE"]) / "baseline").glob(f"{result.fingerprint}-*"))
    studies = tmp_path / "studies"
    (studies / "baselines").mkdir(parents=True)
    (studies / "baselines" / cached.name).write_text(cached.read_text())
    monkeypatch.setenv("EXPLORER_STUDIES", str(studies))
    monkeypatch.setenv("EXPLORER_CACHE", str(tmp_path / "empty-cache"))  # a fresh clone's
    assert load_baseline(result.fingerprint) == result
    assert load_baseline("0" * 16) is None
