"""TPE that ranks trials at a common step (core.studies.spec._rung_tpe)."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from core.errors import ConfigError
from core.studies.spec._parse import parse_spec
from core.studies.spec._rung_tpe import RungTPESampler, comparison_step, ranked_at_step
from core.studies.spec._samplers import build_sampler
from tests.core.studies.conftest import tiny_spec_dict

X = {"x": FloatDistribution(0.0, 1.0)}


def _trial(x: float, curve: dict[int, float], pruned: bool) -> optuna.trial.FrozenTrial:
    if pruned:
        return create_trial(
            state=TrialState.PRUNED, params={"x": x}, distributions=X, intermediate_values=curve
        )
    final = max(curve.values()) if curve else 0.5
    return create_trial(value=final, params={"x": x}, distributions=X, intermediate_values=curve)


def test_trials_are_shown_at_the_largest_step_enough_of_them_reached() -> None:
    done = _trial(0.1, {100: 0.60, 300: 0.70, 900: 0.72}, pruned=False)
    early = _trial(0.5, {100: 0.80}, pruned=True)
    later = _trial(0.9, {100: 0.75, 300: 0.78}, pruned=True)
    running = create_trial(state=TrialState.RUNNING, params={"x": 0.3}, distributions=X)
    trials = [done, early, later, running]

    assert comparison_step(trials, 2) == 300  # done and later; running trials do not count
    shown = ranked_at_step(trials, 2)
    assert [t.state for t in shown] == [
        TrialState.COMPLETE,
        TrialState.PRUNED,  # stopped before step 300: ranked as Optuna ranks pruned trials
        TrialState.COMPLETE,  # pruned, but judged at 300 like the completed trial
        TrialState.RUNNING,
    ]
    assert [shown[0].value, shown[2].value] == [0.70, 0.78]  # their values at step 300
    assert shown[1] is early and shown[3] is running

    at_100 = ranked_at_step(trials, 3)  # only step 100 has three
    assert [t.value for t in at_100[:3]] == [0.60, 0.80, 0.75]
    # the stored trials are left as they were
    assert (done.value, early.state, later.state) == (0.72, TrialState.PRUNED, TrialState.PRUNED)

    assert comparison_step(trials, 4) is None
    assert ranked_at_step(trials, 4) == trials  # too few at any step: TPE sees them as they are
    assert comparison_step([_trial(0.2, {}, pruned=False)], 1) is None  # no curves at all


def _study_with_misleading_completed_trials(sampler: optuna.samplers.BaseSampler) -> optuna.Study:
    """Completed trials near x = 0.1 that were poor at step 100 and finished soon (as short
    ``max_steps`` do), and trials near x = 0.9 that led at step 100 but were pruned later."""
    study = optuna.create_study(direction="maximize", sampler=sampler)
    for i in range(8):
        study.add_trial(_trial(0.08 + i * 0.005, {100: 0.55}, pruned=False))
        study.add_trial(_trial(0.88 + i * 0.005, {100: 0.85, 300: 0.86}, pruned=True))
        study.add_trial(_trial(0.45 + i * 0.01, {100: 0.30}, pruned=True))
    return study


@pytest.mark.parametrize("multivariate", [False, True])
def test_tpe_samples_near_the_trials_that_led_where_they_were_compared(multivariate: bool) -> None:
    options = {"n_startup_trials": 5, "seed": 0, "multivariate": multivariate}

    def proposals(sampler: optuna.samplers.BaseSampler) -> list[float]:
        study = _study_with_misleading_completed_trials(sampler)
        xs = []
        for _ in range(10):
            trial = study.ask()
            xs.append(trial.suggest_float("x", 0.0, 1.0))
            study.tell(trial, state=TrialState.FAIL)  # failed trials are ignored by both
        return xs

    plain = proposals(optuna.samplers.TPESampler(**options))
    ranked = proposals(RungTPESampler(min_trials_at_step=3, **options))
    assert sum(x < 0.3 for x in plain) >= 8  # Optuna's TPE: every completed trial first
    assert sum(x > 0.7 for x in ranked) >= 8  # step 100 has all 24 trials: the leaders there


def test_parallel_workers_share_proposals_through_the_real_storage(tmp_path: Path) -> None:
    # With constant_liar, TPE writes each trial's proposal to the storage for other workers:
    # the view passes that write through to the real study.
    storage = f"sqlite:///{tmp_path / 'lie.db'}"
    sampler = RungTPESampler(
        min_trials_at_step=3, n_startup_trials=5, seed=0, multivariate=True, constant_liar=True
    )
    study = optuna.create_study(storage=storage, direction="maximize", sampler=sampler)
    for t in _study_with_misleading_completed_trials(optuna.samplers.RandomSampler()).trials:
        study.add_trial(t)
    trial = study.ask({"x": X["x"]})
    stored = optuna.load_study(study_name=study.study_name, storage=storage).trials[-1]
    assert stored.number == trial.number and trial.params["x"] > 0.7
    assert any(key.startswith("tpe:relative_params") for key in stored.system_attrs)


def test_the_study_file_turns_it_on(tiny_data_dir: Path) -> None:
    raw = tiny_spec_dict(tiny_data_dir)  # two searched parameters
    sampler = build_sampler(parse_spec(raw | {"sampler": {"name": "tpe", "compare_at_rung": True}}))
    assert isinstance(sampler, RungTPESampler)
    assert sampler._min_trials_at_step == 3  # BOHB's default: the parameters plus one
    chosen = {"name": "tpe", "compare_at_rung": True, "min_trials_at_step": 5}
    assert build_sampler(parse_spec(raw | {"sampler": chosen}))._min_trials_at_step == 5
    plain = build_sampler(parse_spec(raw | {"sampler": "tpe"}))
    assert type(plain) is optuna.samplers.TPESampler
    with pytest.raises(ConfigError, match="compare_at_rung is true or false"):
        parse_spec(raw | {"sampler": {"name": "tpe", "compare_at_rung": "yes"}})
    with pytest.raises(ConfigError, match="needs compare_at_rung = true"):
        parse_spec(raw | {"sampler": {"name": "tpe", "min_trials_at_step": 5}})
    with pytest.raises(ConfigError, match="at least 1"):
        parse_spec(raw | {"sampler": chosen | {"min_trials_at_step": 0}})
