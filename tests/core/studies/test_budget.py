"""Compute budgets: what a study is told to spend, what it spent, and what a budget buys."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from core.studies._cost import estimate_budget
from core.studies.run._creation import create_study
from core.studies.run._worker import run_worker
from core.studies.spec import Budget, parse_budget, parse_spec, trial_cost
from tests.core.studies.conftest import tiny_spec_dict


@pytest.mark.parametrize(
    ("text", "amount", "unit", "shown"),
    [
        ("20000 steps", 20000, "steps", "20000 steps"),
        ("20000steps", 20000, "steps", "20000 steps"),
        ("1 step", 1, "steps", "1 steps"),
        ("90 min", 5400, "seconds", "90 min"),
        ("1.5h", 5400, "seconds", "90 min"),
        ("2 hours", 7200, "seconds", "2 h"),
        ("45s", 45, "seconds", "45 s"),
        ("3600 S", 3600, "seconds", "1 h"),
    ],
)
def test_budgets_parse_and_print_back(text: str, amount: float, unit: str, shown: str) -> None:
    budget = parse_budget(text)
    assert (budget.amount, budget.unit, str(budget)) == (amount, unit, shown)
    assert parse_budget(str(budget)) == budget  # stored with the study as text


def test_the_budget_is_kept_with_the_spec(tiny_data_dir: Path) -> None:
    spec = parse_spec(tiny_spec_dict(tiny_data_dir, n_trials=None, budget="500 steps"))
    assert spec.budget == Budget(500, "steps") and spec.n_trials is None
    assert parse_spec(spec.to_dict()).budget == spec.budget


def _trial(state: TrialState, steps: int | None, seconds: float = 10.0, **attrs):
    start = dt.datetime(2026, 1, 1)
    finished = state != TrialState.RUNNING
    return optuna.trial.FrozenTrial(
        number=0,
        state=state,
        value=0.8 if state == TrialState.COMPLETE else None,
        values=None,
        datetime_start=start,
        datetime_complete=start + dt.timedelta(seconds=seconds) if finished else None,
        params={},
        distributions={},
        user_attrs=({} if steps is None else {"steps": steps}) | attrs,
        system_attrs={},
        intermediate_values={},
        trial_id=0,
    )


def test_what_a_trial_spends() -> None:
    """Steps it ran, pruned or failed on the way too; nothing for a replay or a trial that has
    not finished; its wall time for a time budget."""
    assert trial_cost(_trial(TrialState.COMPLETE, 600), "steps") == 600
    assert trial_cost(_trial(TrialState.PRUNED, 100), "steps") == 100
    assert trial_cost(_trial(TrialState.FAIL, 250), "steps") == 250
    assert trial_cost(_trial(TrialState.FAIL, None), "steps") == 0
    assert trial_cost(_trial(TrialState.COMPLETE, 600, replayed_from=3), "steps") == 0
    assert trial_cost(_trial(TrialState.RUNNING, 300), "steps") == 0
    assert trial_cost(_trial(TrialState.PRUNED, 100, seconds=7.5), "seconds") == 7.5


def test_a_worker_stops_once_the_study_has_spent_its_budget(
    tiny_data_dir: Path, tmp_path: Path
) -> None:
    """Trials of 300 steps against 1,000 steps: the fourth trial takes the study past it, and
    nothing more runs; a second worker (another machine, a later run) starts nothing."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    spec = parse_spec(tiny_spec_dict(tiny_data_dir, n_trials=50, budget="1000 steps"))
    create_study(spec, url)

    def objective(trial: optuna.Trial) -> float:
        trial.set_user_attr("steps", 300)
        return trial.suggest_float("dropout", 0.0, 0.5)

    lines: list[str] = []
    report = run_worker("tiny", url, heartbeat_interval=None, objective=objective, log=lines.append)
    assert report.n == 4  # 900 < 1000 after three; 1200 after four
    assert any("budget spent: 1,200 training steps of 1,000 training steps" in x for x in lines)
    assert run_worker("tiny", url, heartbeat_interval=None, objective=objective).n == 0
    # a budget given to the worker replaces the file's: 600 more steps buy two more trials
    more = run_worker(
        "tiny", url, budget=Budget(1800, "steps"), heartbeat_interval=None, objective=objective
    )
    assert more.n == 2
    assert len(optuna.load_study(study_name="tiny", storage=url).trials) == 6


def test_pruned_trials_count_at_the_steps_they_ran(tiny_data_dir: Path, tmp_path: Path) -> None:
    """With every trial pruned at 100 of its steps, 1,000 steps buy ten trials."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    spec = parse_spec(tiny_spec_dict(tiny_data_dir, n_trials=None, budget="1000 steps"))
    create_study(spec, url)

    def objective(trial: optuna.Trial) -> float:
        trial.suggest_float("dropout", 0.0, 0.5)
        trial.set_user_attr("steps", 100)
        raise optuna.TrialPruned()

    assert run_worker("tiny", url, heartbeat_interval=None, objective=objective).n == 10


def test_what_a_budget_buys(tiny_data_dir: Path, tmp_path: Path) -> None:
    """Successive halving at factor 4 from a first rung at 100 steps, on trials of 400 steps:
    every trial runs 100 steps, a quarter of them 300 more, so 175 steps a trial."""
    raw = tiny_spec_dict(
        tiny_data_dir, pruner={"name": "successive_halving", "reduction_factor": 4}
    )
    raw["fixed"] = raw["fixed"] | {"max_steps": 400, "eval_steps": 100, "warmup_ratio": 0.0}
    spec = parse_spec(raw)
    bought = estimate_budget(spec, Budget(7000, "steps"))
    assert bought.unpruned_trials == pytest.approx(7000 / 400)
    assert bought.pruned_steps == pytest.approx(175)
    assert bought.pruned_trials == pytest.approx(40)
    text = bought.describe()
    assert "about 18 trials without pruning" in text and "about 40 with successive halving" in text
    unpruned = estimate_budget(parse_spec(raw | {"pruner": "none"}), Budget(7000, "steps"))
    assert unpruned.pruned_trials == pytest.approx(40)  # what factor 4 would buy, for comparison
    assert "with successive halving at factor 4" in unpruned.describe()
    assert "which this study does not use" in unpruned.describe()
    median = estimate_budget(parse_spec(raw | {"pruner": "median"}), Budget(7000, "steps"))
    assert median.pruned_trials is None
    assert "what the median pruner saves depends on the curves" in median.describe()
    timed = estimate_budget(spec, Budget(3600, "seconds"), f"sqlite:///{tmp_path / 'e.db'}")
    assert timed.pruned_trials == pytest.approx(timed.unpruned_trials * 400 / 175)
