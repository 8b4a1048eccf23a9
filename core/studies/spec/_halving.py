"""Successive halving with asynchronous successive halving's promotion budget at its first rung.

Asynchronous successive halving (ASHA; Li et al., "A System for Massively Parallel
Hyperparameter Tuning", MLSys 2020) promotes at most one in ``reduction_factor`` of the trials
that have reached a rung: a good trial that arrives before there is room waits, suspended, until
there is. Optuna cannot suspend a trial, so its :class:`~optuna.pruners.SuccessiveHalvingPruner`
promotes instead: any trial in the top ``1 / reduction_factor`` of the values reported so far
goes on, the first arrivals included, and nothing counts the promotions. When the sampler
improves, as TPE does, most new trials beat most old ones, and most go on.

:class:`FirstRungCapPruner` keeps Optuna's rule and adds ASHA's budget at the first rung only:
a trial leaves the first rung only while fewer than ``n // reduction_factor`` trials have, ``n``
counting every trial that reached it. The trial that would have waited is pruned instead, which
costs it ``min_resource`` steps of training. Higher rungs keep Optuna's rule: a trial there has
already beaten a rung and cost several times more. A study file turns it on with
``first_rung_cap = true`` in its pruner table.

``promote_later = true`` adds ASHA's late promotion. A trial pruned at the first rung for want
of room is what ASHA would have kept waiting; once the rung has grown and has room again, the
best such trial in the rung's top ``1 / reduction_factor`` is queued to train again from the
start (``study.enqueue_trial`` with its parameters, marked with :data:`RERUN_ATTR`), passes the
first rung, and meets the higher rungs as any trial does. The repeat costs its first rung's
steps again, and it counts as one of the study's trials. A study file turns it on with
``promote_later = true`` in its pruner table.

Parallel workers that decide at the same moment may both take the last place (the budget is
then exceeded by one) or queue the same waiting trial (it then trains twice).
"""

from __future__ import annotations

import math
from typing import cast

from optuna.pruners import BasePruner, SuccessiveHalvingPruner
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from core.studies._optuna_compat import study_storage, trial_id_of

PROMOTED_ATTR = "first_rung_promoted"  # system attribute of the trials that left the first rung
RERUN_ATTR = "promoted_late"  # user attribute of a late promotion: the trial number it repeats


class FirstRungCapPruner(BasePruner):
    """Optuna's successive halving, with at most one trial in ``reduction_factor`` promoted out
    of the first rung (see the module docstring)."""

    def __init__(
        self,
        min_resource: int,
        reduction_factor: int = 3,
        min_early_stopping_rate: int = 0,
        bootstrap_count: int = 0,
        promote_later: bool = False,
    ) -> None:
        if not isinstance(promote_later, bool):
            raise ValueError(f"promote_later is true or false, not {promote_later!r}.")
        if isinstance(min_resource, bool) or not isinstance(min_resource, int):
            raise ValueError(
                f"the first rung's cap needs min_resource in steps, not {min_resource!r}."
            )
        self._halving = SuccessiveHalvingPruner(
            min_resource=min_resource,
            reduction_factor=reduction_factor,
            min_early_stopping_rate=min_early_stopping_rate,
            bootstrap_count=bootstrap_count,
        )
        self._first_rung = min_resource * reduction_factor**min_early_stopping_rate
        self._reduction_factor = reduction_factor
        self._promote_later = promote_later

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        pruned = self._halving.prune(study, trial)  # also records the rung's value, as Optuna does
        first = self._first_step(trial)
        if first is None or first != trial.last_step:
            return pruned  # before the first rung, or above it: Optuna's rule
        if RERUN_ATTR in trial.user_attrs:
            return False  # promoted late: it was in the rung's top share when it was queued
        trials = study.get_trials(deepcopy=False)
        queued = {t.user_attrs[RERUN_ATTR] for t in trials if RERUN_ATTR in t.user_attrs}
        others = [
            t
            for t in trials
            if t.number != trial.number
            and RERUN_ATTR not in t.user_attrs
            and self._first_step(t) is not None
        ]
        room = (len(others) + 1) // self._reduction_factor
        used = sum(bool(t.system_attrs.get(PROMOTED_ATTR)) or t.number in queued for t in others)
        if not pruned and used < room:
            # recorded on the trial in the storage, as Optuna's own pruners record their rungs
            study_storage(study).set_trial_system_attr(trial_id_of(trial), PROMOTED_ATTR, True)
            return False
        if self._promote_later and used < room:
            self._queue_best_waiting(study, trial, others, queued, room)
        return True

    def _first_step(self, trial: FrozenTrial) -> int | None:
        """The step at which the trial reported at the first rung, or None before it."""
        steps = [s for s in trial.intermediate_values if s >= self._first_rung]
        return min(steps) if steps else None

    def _queue_best_waiting(
        self,
        study: Study,
        trial: FrozenTrial,
        others: list[FrozenTrial],
        queued: set[int],
        room: int,
    ) -> None:
        """Queue the best pruned trial that the rung's top ``room`` now includes, to train again.

        A trial pruned for want of room is what ASHA would have kept waiting; this promotes it
        as ASHA would once the rung has grown, at the cost of training its first rung again."""
        sign = 1 if study.direction == StudyDirection.MAXIMIZE else -1

        def at_rung(t: FrozenTrial) -> float:
            step = cast(int, self._first_step(t))  # every trial ranked here reached the rung
            return sign * t.intermediate_values[step]

        values = sorted(
            (v for t in [*others, trial] if not math.isnan(v := at_rung(t))), reverse=True
        )
        if len(values) < room:
            return
        waiting = [
            t
            for t in others
            if t.state == TrialState.PRUNED
            and not t.system_attrs.get(PROMOTED_ATTR)
            and t.number not in queued
            and at_rung(t) >= values[room - 1]  # False for NaN
        ]
        if waiting:
            best = max(waiting, key=at_rung)
            study.enqueue_trial(best.params, user_attrs={RERUN_ATTR: best.number})
