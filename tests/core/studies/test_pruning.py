"""Successive halving with budgets from the study, and what pruning saved."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState, create_trial

from core.studies._savings import pruning_savings
from core.studies.run._creation import create_study
from core.studies.run._worker import run_worker
from core.studies.spec._parse import parse_spec
from core.studies.spec._samplers import build_pruner, step_budget
from core.studies.storage._backend import open_storage
from tests.core.studies.conftest import tiny_spec_dict


def test_budgets_come_from_eval_steps_and_max_steps(tiny_data_dir: Path) -> None:
    raw = tiny_spec_dict(tiny_data_dir, pruner="successive_halving")
    raw["fixed"] = {k: v for k, v in raw["fixed"].items() if k != "max_steps"}
    raw["params"]["max_steps"] = {"low": 40, "high": 120, "log": True}
    spec = parse_spec(raw)
    assert step_budget(spec) == (10, 120)  # eval_steps fixed at 10; max_steps' upper bound
    sha = build_pruner(spec)
    assert isinstance(sha, optuna.pruners.SuccessiveHalvingPruner)
    assert sha._min_resource == 10 and sha._reduction_factor == 3
    hyperband = build_pruner(parse_spec(raw | {"pruner": "hyperband"}))
    assert hyperband._min_resource == 10 and hyperband._max_resource == 120
    # the file's own options win
    own = build_pruner(parse_spec(raw | {"pruner": {"name": "hyperband", "min_resource": 20}}))
    assert own._min_resource == 20


def test_the_first_rung_waits_for_the_longest_warm_up(tiny_data_dir: Path) -> None:
    """A trial still warming up is not judged against finished ones: the smallest budget is the
    first validation after the longest warm-up the space allows."""
    raw = tiny_spec_dict(tiny_data_dir, pruner="successive_halving")
    raw["fixed"] = {k: v for k, v in raw["fixed"].items() if k != "max_steps"}
    raw["params"]["max_steps"] = {"low": 40, "high": 120, "log": True}
    raw["params"]["warmup_ratio"] = {"low": 0.0, "high": 0.2, "step": 0.05}
    assert build_pruner(parse_spec(raw))._min_resource == 30  # 0.2 * 120 = 24 steps -> 30
    raw["fixed"]["warmup_ratio"] = 0.05  # fixed: 6 steps of warm-up -> the first validation
    del raw["params"]["warmup_ratio"]
    assert build_pruner(parse_spec(raw))._min_resource == 10
    raw["fixed"]["warmup_ratio"] = 0.25  # exactly 30 steps: validated at 30
    hyperband = build_pruner(parse_spec(raw | {"pruner": "hyperband"}))
    assert hyperband._min_resource == 30 and hyperband._max_resource == 120


def test_knob_defaults_fill_what_the_file_leaves_out(tiny_data_dir: Path) -> None:
    raw = tiny_spec_dict(tiny_data_dir)
    raw["fixed"] = {k: v for k, v in raw["fixed"].items() if k not in ("eval_steps", "max_steps")}
    assert step_budget(parse_spec(raw)) == (100, 300)  # TrainConfig's defaults


def test_a_halving_study_prunes_at_the_rungs_and_counts_what_it_saved(
    tiny_data_dir: Path, tmp_path: Path
) -> None:
    raw = tiny_spec_dict(tiny_data_dir, pruner="successive_halving", n_trials=8)
    raw["fixed"] |= {"max_steps": 90, "eval_steps": 10, "early_stopping_patience": 0}
    raw["params"]["learning_rate"] = {"low": 1e-5, "high": 3e-2, "log": True}
    spec = parse_spec(raw)
    url = f"sqlite:///{tmp_path / 's.db'}"
    create_study(spec, open_storage(url))
    run_worker("tiny", url, n_trials=8, heartbeat_interval=None, log=lambda _: None)
    trials = optuna.load_study(study_name="tiny", storage=url).trials

    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert pruned and complete  # learning rates 1e-5..3e-2: some trials are clearly worse
    for t in pruned:  # stopped at a rung (10, 30 steps: 10 * 3**k), never later
        assert t.user_attrs["status"] == "pruned"
        assert t.user_attrs["steps"] in (10, 30)
    assert all(t.user_attrs["steps"] == 90 for t in complete)

    s = pruning_savings(trials)
    assert s is not None
    assert (s.trials, s.pruned) == (8, len(pruned))
    assert s.steps_used == sum(t.user_attrs["steps"] for t in trials)
    assert s.steps_unpruned == 8 * 90
    assert s.saved_fraction == pytest.approx(1 - s.steps_used / 720)


def _trial(state: TrialState, steps: int | None, **attrs: object) -> optuna.trial.FrozenTrial:
    user = {"steps": steps, **attrs} if steps is not None else dict(attrs)
    return create_trial(
        state=state,
        value=0.8 if state == TrialState.COMPLETE else None,
        params={"max_steps": 300},
        distributions={"max_steps": optuna.distributions.IntDistribution(100, 1000)},
        user_attrs=user,
    )


def test_only_the_pruners_decisions_count() -> None:
    trials = [
        _trial(TrialState.COMPLETE, 250),  # early stopping: 250 used, 250 either way
        _trial(TrialState.PRUNED, 100, status="pruned"),  # would have run to 300
        _trial(TrialState.PRUNED, 100, status="pruned", flat={"max_steps": 600}),
        _trial(TrialState.PRUNED, 50, status="stopped"),  # a stop request, not the pruner
        _trial(TrialState.PRUNED, None, status="invalid"),
        _trial(TrialState.RUNNING, None),
    ]
    s = pruning_savings(trials)
    assert s is not None
    assert (s.trials, s.pruned, s.steps_used, s.steps_unpruned) == (3, 2, 450, 1150)
    assert s.saved_fraction == pytest.approx(1 - 450 / 1150)
    assert pruning_savings([_trial(TrialState.COMPLETE, None)]) is None


def test_a_late_promotion_adds_its_steps_but_no_unpruned_run() -> None:
    """The pruned trial and its repeat are one configuration: unpruned, it trains once."""
    trials = [
        _trial(TrialState.PRUNED, 100, status="pruned"),  # pruned for want of room; 300 unpruned
        _trial(TrialState.COMPLETE, 280, promoted_late=0),  # its repeat, early-stopped at 280
        _trial(TrialState.PRUNED, 100, status="pruned"),
        _trial(TrialState.PRUNED, 100, status="pruned", promoted_late=2),  # a repeat pruned again
    ]
    s = pruning_savings(trials)
    assert s is not None
    assert (s.trials, s.pruned, s.steps_used, s.steps_unpruned) == (4, 3, 580, 600)
