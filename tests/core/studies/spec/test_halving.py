"""Successive halving with a promotion budget at the first rung (core.studies.spec._halving)."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from core.errors import ConfigError
from core.studies.spec._halving import RERUN_ATTR, FirstRungCapPruner
from core.studies.spec._parse import parse_spec
from core.studies.spec._samplers import build_pruner
from tests.core.studies.conftest import tiny_spec_dict


def _run(pruner: optuna.pruners.BasePruner, curves: list[list[float]], rungs: list[int]) -> list:
    """Each curve reported at ``rungs`` in turn, one trial after another; the step each trial
    was pruned at (None: it ran to its end)."""
    study = optuna.create_study(direction="maximize", pruner=pruner)
    stopped = []
    for curve in curves:
        trial = study.ask()
        at = None
        for step, value in zip(rungs, curve, strict=True):
            trial.report(value, step)
            if trial.should_prune():
                at = step
                break
        stopped.append(at)
        if at is None:
            study.tell(trial, curve[-1])
        else:
            study.tell(trial, state=TrialState.PRUNED)
    return stopped


def test_an_improving_sampler_no_longer_promotes_every_trial_out_of_the_first_rung() -> None:
    # Each trial better than every one before it, as when TPE closes in on a good region.
    curves = [[0.5 + i / 100, 0.6 + i / 100] for i in range(12)]
    plain = optuna.pruners.SuccessiveHalvingPruner(min_resource=10, reduction_factor=4)
    assert _run(plain, curves, [10, 40]) == [None] * 12  # Optuna's rule: all go on
    capped = FirstRungCapPruner(min_resource=10, reduction_factor=4)
    # one in four: the 4th, the 8th and the 12th reach the place a quarter of the rung earns
    assert _run(capped, curves, [10, 40]) == [10, 10, 10, None] * 3


def test_a_weak_trial_is_pruned_even_with_room_to_promote() -> None:
    """The cap only removes promotions: Optuna's ranking still decides first."""
    curves = [[0.9, 0.9], [0.8, 0.8], [0.7, 0.7], [0.6, 0.6], [0.5, 0.5], [0.95, 0.95]]
    capped = FirstRungCapPruner(min_resource=10, reduction_factor=2)
    # 0.9 arrives alone: no room (1 // 2 = 0). 0.8: room for one, but 0.9 is the top half.
    # 0.7: room for one, not top. 0.6, 0.5: not in the top half. 0.95: top, room for 3.
    assert _run(capped, curves, [10, 20]) == [10, 10, 10, 10, 10, None]


def test_higher_rungs_keep_optunas_rule() -> None:
    # Four weak trials fill the first rung; then strong ones, each better than the last at the
    # second rung too (at 40 steps). The cap makes room one in four; the second rung promotes
    # the first arrival for free, as Optuna's successive halving does.
    curves = [[0.1, 0.1, 0.1]] * 3 + [[0.5 + i / 100] * 3 for i in range(5)]
    capped = FirstRungCapPruner(min_resource=10, reduction_factor=4)
    assert _run(capped, curves, [10, 40, 160]) == [10, 10, 10, None, 10, 10, 10, None]


def test_the_study_file_turns_it_on(tiny_data_dir: Path) -> None:
    raw = tiny_spec_dict(tiny_data_dir)
    options = {"name": "successive_halving", "reduction_factor": 4, "first_rung_cap": True}
    pruner = build_pruner(parse_spec(raw | {"pruner": options}))
    assert isinstance(pruner, FirstRungCapPruner)
    assert pruner._first_rung == 10  # the spec's eval_steps, as for Optuna's own
    plain = build_pruner(parse_spec(raw | {"pruner": options | {"first_rung_cap": False}}))
    assert type(plain) is optuna.pruners.SuccessiveHalvingPruner
    with pytest.raises(ConfigError, match="first_rung_cap is true or false"):
        parse_spec(raw | {"pruner": options | {"first_rung_cap": "yes"}})
    with pytest.raises(ConfigError, match="min_resource in steps"):
        parse_spec(raw | {"pruner": options | {"min_resource": "auto"}})
    with pytest.raises(ConfigError, match="HyperbandPruner"):  # successive halving's alone
        parse_spec(raw | {"pruner": {"name": "hyperband", "first_rung_cap": True}})


class _ListSampler(optuna.samplers.BaseSampler):
    """Proposes the given values of ``x`` in turn; a queued trial keeps its own (Optuna's rule)."""

    def __init__(self, values: list[float]) -> None:
        self._values = iter(values)

    def infer_relative_search_space(self, study, trial):
        return {}

    def sample_relative(self, study, trial, search_space):
        return {}

    def sample_independent(self, study, trial, param_name, param_distribution):
        return next(self._values)


def _run_proposed(
    pruner: optuna.pruners.BasePruner, xs: list[float], n: int, direction: str = "maximize"
) -> optuna.Study:
    """``n`` trials whose curve is ``x`` at steps 10 and 40, ``x`` from ``xs`` unless queued."""
    study = optuna.create_study(direction=direction, sampler=_ListSampler(xs), pruner=pruner)
    for _ in range(n):
        trial = study.ask()
        x = trial.suggest_float("x", 0.0, 1.0)
        for step in (10, 40):
            trial.report(x, step)
            if trial.should_prune():
                study.tell(trial, state=TrialState.PRUNED)
                break
        else:
            study.tell(trial, x)
    return study


def test_promote_later_trains_again_a_good_trial_that_arrived_before_there_was_room() -> None:
    xs = [0.9, 0.5, 0.4, 0.3, 0.2, 0.1, 0.15, 0.05, 0.12, 0.11]
    capped = _run_proposed(FirstRungCapPruner(min_resource=10, reduction_factor=4), xs, 6)
    # Without it the first (and best) trial is lost: no room while it was alone at the rung.
    assert [t.state for t in capped.trials] == [TrialState.PRUNED] * 6
    late = _run_proposed(
        FirstRungCapPruner(min_resource=10, reduction_factor=4, promote_later=True), xs, 10
    )
    states = [t.state for t in late.trials]
    # The fourth arrival makes room for one, and the best of the rung (trial 0) takes it: it is
    # queued and runs as trial 4, to its end, marked with the trial it repeats.
    assert late.trials[4].params == {"x": 0.9}
    assert late.trials[4].user_attrs[RERUN_ATTR] == 0
    assert states[4] == TrialState.COMPLETE
    # The room it took is used: the next three weak trials are pruned. The eighth original
    # arrival (0.05) makes room for a second, and the rung's second best (trial 1, 0.5) is queued
    # once; it runs as trial 9 and the second rung prunes it (Optuna's rule: 0.9 is there).
    assert states[:4] == [TrialState.PRUNED] * 4 and states[5:] == [TrialState.PRUNED] * 5
    assert {
        t.number: t.user_attrs[RERUN_ATTR] for t in late.trials if RERUN_ATTR in t.user_attrs
    } == {4: 0, 9: 1}
    assert late.trials[9].params == {"x": 0.5} and late.trials[9].last_step == 40


def test_promote_later_when_lower_is_better() -> None:
    xs = [0.1, 0.5, 0.6, 0.7, 0.8, 0.9]
    pruner = FirstRungCapPruner(min_resource=10, reduction_factor=4, promote_later=True)
    late = _run_proposed(pruner, xs, 6, direction="minimize")
    assert late.trials[4].params == {"x": 0.1} and late.trials[4].user_attrs[RERUN_ATTR] == 0
    assert late.trials[4].state == TrialState.COMPLETE


def test_promote_later_is_checked_in_the_study_file(tiny_data_dir: Path) -> None:
    raw = tiny_spec_dict(tiny_data_dir)
    options = {"name": "successive_halving", "first_rung_cap": True, "promote_later": True}
    assert build_pruner(parse_spec(raw | {"pruner": options}))._promote_later is True
    with pytest.raises(ConfigError, match="promote_later needs first_rung_cap = true"):
        parse_spec(raw | {"pruner": options | {"first_rung_cap": False}})
    with pytest.raises(ConfigError, match="promote_later is true or false"):
        parse_spec(raw | {"pruner": options | {"promote_later": "yes"}})
