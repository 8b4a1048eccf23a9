"""A study keeps the model of each trial that was the best so far, so Predict can load the best."""

from __future__ import annotations

from pathlib import Path

import optuna

from core.studies._best_run import find_best_run_dir
from core.studies.run._creation import create_study
from core.studies.run._worker import run_worker
from core.studies.spec._parse import parse_spec
from core.studies.storage._backend import open_storage
from core.training._predict import load_model
from tests.core.studies.conftest import tiny_spec_dict


def test_only_new_bests_keep_a_model_and_predict_loads_the_best(
    tiny_data_dir: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    storage = open_storage(url)
    raw = tiny_spec_dict(tiny_data_dir, n_trials=4)
    raw["params"] = {"learning_rate": {"choices": [0.03, 1e-6]}}
    create_study(parse_spec(raw), storage)
    run_worker("tiny", storage, heartbeat_interval=None, log=lambda _: None)

    study = optuna.load_study(study_name="tiny", storage=storage)
    best_so_far = float("-inf")
    for t in sorted(study.trials, key=lambda t: t.number):
        kept = t.user_attrs.get("run_dir")
        assert bool(kept) == (t.value > best_so_far), t.number
        best_so_far = max(best_so_far, t.value)
    best_dir = Path(study.best_trial.user_attrs["run_dir"])
    assert (best_dir / "model" / "config.json").exists()

    assert find_best_run_dir("tiny", url) == best_dir
    assert load_model(best_dir).family == "cnn"
