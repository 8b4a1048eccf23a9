"""TPE that compares a pruned trial with the others where it was judged, as BOHB does.

Optuna's TPE splits the trials into the good ones it samples near and the rest by ranking every
completed trial above every pruned one (``_split_trials`` in optuna 5). With a pruner that stops
most trials, that rule lets a few completed trials steer the search, whatever their value.

BOHB (Falkner et al., "BOHB: Robust and Efficient Hyperparameter Optimization at Scale", ICML
2018) models the largest budget at which enough trials have been observed, and ranks them by
their value there. :class:`RungTPESampler` does the same for Optuna's TPE: it finds the
comparison step, the largest step at which at least ``min_trials_at_step`` finished trials
reported a value, and shows TPE every trial that reached it as completed with its value at that
step, pruned or not. A trial that stopped before it (pruned at a lower rung, or finished sooner)
is shown as pruned and ranks, as Optuna ranks pruned trials, by how far it went and then its last
value. Until enough trials share a step, or in a study without intermediate values, TPE sees
the trials as they are.

The study's stored trials are unchanged; only TPE's view of them is. BOHB's default for
``min_trials_at_step`` is the number of searched parameters plus one. A study file turns it on
with ``compare_at_rung = true`` in its sampler table.
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial, TrialState

from core.studies._optuna_compat import TrialsView

_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


def comparison_step(trials: list[FrozenTrial], min_trials: int) -> int | None:
    """The largest step at which at least ``min_trials`` finished trials reported a value, or
    None when no step has that many."""
    counts: Counter[int] = Counter()
    for t in trials:
        if t.state in _FINISHED:
            counts.update(s for s, v in t.intermediate_values.items() if not math.isnan(v))
    steps = [s for s, n in counts.items() if n >= min_trials]
    return max(steps) if steps else None


def ranked_at_step(trials: list[FrozenTrial], min_trials: int) -> list[FrozenTrial]:
    """The trials as :class:`RungTPESampler` shows them to TPE (see the module docstring).

    Copies the trials it changes; running and failed trials pass through as they are.
    """
    step = comparison_step(trials, min_trials)
    if step is None:
        return trials
    shown = []
    for t in trials:
        if t.state not in _FINISHED:
            shown.append(t)
            continue
        value = t.intermediate_values.get(step)
        reached = value is not None and not math.isnan(value)
        state = TrialState.COMPLETE if reached else TrialState.PRUNED
        if state == t.state and (not reached or t.value == value):
            shown.append(t)
            continue
        view = copy.copy(t)
        view.state = state
        view.values = [value] if reached else None
        shown.append(view)
    return shown


class RungTPESampler(optuna.samplers.TPESampler):
    """:class:`optuna.samplers.TPESampler` that ranks trials by their value at a common step
    (see the module docstring). Takes TPE's options and ``min_trials_at_step``."""

    def __init__(self, *, min_trials_at_step: int = 2, **tpe_options: Any) -> None:
        if isinstance(min_trials_at_step, bool) or not isinstance(min_trials_at_step, int):
            raise ValueError(f"min_trials_at_step is a whole number, not {min_trials_at_step!r}.")
        if min_trials_at_step < 1:
            raise ValueError(f"min_trials_at_step is at least 1, not {min_trials_at_step}.")
        super().__init__(**tpe_options)
        self._min_trials_at_step = min_trials_at_step

    def _view(self, study: optuna.Study) -> Any:
        if len(study.directions) > 1:
            return study  # one value per trial at a step: nothing to rank several objectives by
        return TrialsView(study, lambda trials: ranked_at_step(trials, self._min_trials_at_step))

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return super().infer_relative_search_space(self._view(study), trial)

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return super().sample_relative(self._view(study), trial, search_space)

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return super().sample_independent(self._view(study), trial, param_name, param_distribution)
