"""A Playground run recorded as a trial, read back next to searched trials."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import optuna
from optuna.trial import TrialState

from core.knobs._fields import DataConfig
from core.studies.run._playground import knob_distributions, record_run
from core.studies.storage._backend import open_storage
from core.studies.storage._queries import list_studies, load_trials
from core.training._config import build_run_config
from core.training._trainer import train_run
from tests.core.studies.conftest import TINY_FIXED


def _tiny_result(tiny_data: DataConfig):
    overrides = {k: v for k, v in TINY_FIXED.items() if k not in ("vocab_size", "val_fraction")}
    run = build_run_config("cnn", overrides=overrides, data=tiny_data)
    return train_run(run, save=False)


def test_record_and_read_back(tiny_data: DataConfig, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    result = _tiny_result(tiny_data)
    assert record_run(result, url) == 0
    assert record_run(dataclasses.replace(result, status="cancelled"), url) == 1
    diverged = dataclasses.replace(
        result, status="diverged", message="Stopped: the loss became nan."
    )
    assert record_run(diverged, url) == 2

    study = optuna.load_study(study_name="playground-cnn", storage=open_storage(url))
    done, cancelled, failed = study.trials
    assert done.state == TrialState.COMPLETE and done.value == result.best_val_accuracy
    assert done.params["learning_rate"] == result.config["train"]["learning_rate"]
    assert done.params["model"] == "cnn" and done.params["max_length"] == 64
    assert done.intermediate_values == {
        row["step"]: row["val_accuracy"] for row in result.history if "val_accuracy" in row
    }
    assert done.user_attrs["test_accuracy"] == result.test_accuracy
    stored = done.user_attrs["config"]
    assert stored == json.loads(json.dumps(result.config))  # JSON: id2label keys become strings
    assert done.user_attrs["source"] == "playground"
    assert done.duration.total_seconds() == pytest_approx(result.wall_s)
    assert cancelled.state == TrialState.PRUNED
    assert failed.state == TrialState.FAIL and failed.user_attrs["message"].startswith("Stopped")

    frame = load_trials("playground-cnn", url)
    assert list(frame["state"]) == ["COMPLETE", "PRUNED", "FAIL"]
    assert frame.loc[0, "params_embedding_dim"] == 16
    summary = list_studies(url).set_index("study").loc["playground-cnn"]
    assert (summary["kind"], summary["model"], summary["trials"]) == ("playground", "cnn", 3)
    assert summary["best_value"] == result.best_val_accuracy


def test_distributions_hold_any_legal_value() -> None:
    flat = build_run_config("rnn", "seed").to_flat() | {"learning_rate": 5.0, "max_length": 100}
    dists = knob_distributions(flat)
    for name, value in flat.items():
        assert dists[name]._contains(dists[name].to_internal_repr(value)), name
    assert dists["learning_rate"].log  # so the parallel-coordinate axis is logarithmic


def pytest_approx(x: float):
    import pytest

    return pytest.approx(x, abs=1e-3)
