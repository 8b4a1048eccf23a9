"""A tiny study end to end: trials carry curves and results; pruning, divergence, invalid values."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from core.studies.run._creation import create_study
from core.studies.run._worker import run_worker
from core.studies.spec._parse import parse_spec
from core.studies.storage._backend import open_storage
from tests.core.studies.conftest import tiny_spec_dict


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_tiny_study_end_to_end(tiny_data_dir: Path, tmp_path: Path, kind: str) -> None:
    storage = open_storage("memory" if kind == "memory" else f"sqlite:///{tmp_path / 's.db'}")
    spec = parse_spec(tiny_spec_dict(tiny_data_dir))
    create_study(spec, storage)
    report = run_worker("tiny", storage, heartbeat_interval=None, log=lambda _: None)
    assert report.trials == {"COMPLETE": [0, 1, 2]}

    study = optuna.load_study(study_name="tiny", storage=storage)
    assert study.user_attrs["spec"]["name"] == "tiny"
    for t in study.trials:
        assert t.state == TrialState.COMPLETE
        assert set(t.params) == {"learning_rate", "dropout"}
        assert sorted(t.intermediate_values) == [10, 20, 30]  # every evaluation was reported
        assert t.value == max(t.intermediate_values.values())
        u = t.user_attrs
        assert u["status"] == "completed" and 0 <= u["test_accuracy"] <= 1 and u["test_size"] == 200
        assert u["params"] > 0 and u["wall_s"] > 0 and u["train_samples_per_s"] > 0
        assert u["config"]["train"]["learning_rate"] == t.params["learning_rate"]
        assert u["flat"]["max_length"] == 64


def test_pruning_prunes_and_saves_steps(tiny_data_dir: Path) -> None:
    raw = tiny_spec_dict(
        tiny_data_dir,
        n_trials=5,
        pruner={"name": "median", "n_startup_trials": 2, "n_warmup_steps": 0},
    )
    raw["fixed"]["max_steps"] = 40
    raw["params"] = {"learning_rate": {"choices": [0.05, 1e-6]}}
    spec = parse_spec(raw)
    storage = open_storage("memory")
    study = create_study(spec, storage)
    for lr in (0.05, 0.05, 1e-6, 1e-6, 0.05):  # two good runs set the median, then two hopeless
        study.enqueue_trial({"learning_rate": lr})
    run_worker("tiny", storage, heartbeat_interval=None, log=lambda _: None)

    trials = optuna.load_study(study_name="tiny", storage=storage).trials
    hopeless = [t for t in trials if t.params["learning_rate"] < 1e-3]
    assert all(t.state == TrialState.PRUNED for t in hopeless)
    assert all(t.user_attrs["status"] == "pruned" and t.user_attrs["steps"] < 40 for t in hopeless)
    assert all(t.user_attrs["test_accuracy"] is None for t in hopeless)  # never scored
    good = [t for t in trials if t.params["learning_rate"] > 1e-3]
    assert [t.state for t in good] == [TrialState.COMPLETE] * 3


def test_diverged_and_invalid_trials_are_recorded_and_the_study_goes_on(
    tiny_data_dir: Path,
) -> None:
    raw = tiny_spec_dict(tiny_data_dir, n_trials=3)
    raw["fixed"] = {k: v for k, v in raw["fixed"].items() if k != "max_length"}
    raw["fixed"]["num_filter_sizes"] = 3  # widths 15, 16, 17 for filter_size 15
    raw["params"] = {
        "learning_rate": {"choices": [10.0, 0.01]},
        "max_length": {"choices": [64, 16]},
        "filter_size": {"choices": [3, 15]},
    }
    spec = parse_spec(raw)
    storage = open_storage("memory")
    study = create_study(spec, storage)
    study.enqueue_trial({"learning_rate": 10.0, "max_length": 64, "filter_size": 3})
    study.enqueue_trial({"learning_rate": 0.01, "max_length": 16, "filter_size": 15})
    study.enqueue_trial({"learning_rate": 0.01, "max_length": 64, "filter_size": 3})
    report = run_worker("tiny", storage, heartbeat_interval=None, log=lambda _: None)
    assert report.trials == {"FAIL": [0], "PRUNED": [1], "COMPLETE": [2]}

    diverged, invalid, fine = optuna.load_study(study_name="tiny", storage=storage).trials
    assert diverged.user_attrs["status"] == "diverged"
    assert diverged.user_attrs["message"].startswith("Stopped: the training loss")
    assert diverged.user_attrs["message"].endswith("lower the learning rate.")
    assert invalid.user_attrs["status"] == "invalid"
    assert invalid.user_attrs["message"] == (
        "The widest filter (17 tokens) must not exceed max_length (16)."
    )
    assert fine.state == TrialState.COMPLETE


def test_a_grid_twin_copies_its_run_instead_of_training(tiny_data_dir: Path) -> None:
    """A grid over a conditional knob holds runs that differ only in a knob that does not apply
    (nonlinearity of a GRU): the second copies the first's numbers, curve and test score."""
    raw = tiny_spec_dict(tiny_data_dir, model="rnn", sampler="grid", n_trials=4)
    raw["fixed"] = {k: v for k, v in raw["fixed"].items() if k != "num_filters"}
    raw["params"] = {
        "cell": {"choices": ["gru", "rnn"]},
        "nonlinearity": {"choices": ["tanh", "relu"]},
    }
    spec = parse_spec(raw)
    storage = open_storage("memory")
    study = create_study(spec, storage)
    for cell, nl in (("gru", "tanh"), ("gru", "relu"), ("rnn", "tanh"), ("rnn", "relu")):
        study.enqueue_trial({"cell": cell, "nonlinearity": nl})
    run_worker("tiny", storage, heartbeat_interval=None, log=lambda _: None)

    trials = optuna.load_study(study_name="tiny", storage=storage).trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4
    first, twin, plain_tanh, plain_relu = trials
    assert twin.user_attrs["replayed_from"] == first.number
    assert twin.value == first.value and twin.intermediate_values == first.intermediate_values
    for key in ("test_accuracy", "history", "wall_s", "params", "replay_key"):
        assert twin.user_attrs[key] == first.user_attrs[key]
    # the plain cell's two nonlinearities are different runs: both trained
    assert "replayed_from" not in plain_tanh.user_attrs
    assert "replayed_from" not in plain_relu.user_attrs
    assert plain_tanh.user_attrs["replay_key"] != plain_relu.user_attrs["replay_key"]
