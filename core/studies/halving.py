"""Successive halving with asynchronous successive halving's promotion budget at its first rung.

Asynchronous successive halving (ASHA; Li et al., "A System for Massively Parallel
Hyperparameter Tuning", MLSys 2020) promotes at most one in ``reduction_factor`` of the trials
that have reached a rung: a good trial that arrives before there is room waits, suspended, until
there is. Optuna cannot suspend a trial, so its :class:`~optuna.pruners.SuccessiveHalvingPruner`
promotes instead: any trial in the top ``1 / reduction_factor`` of the values reported so far
goes on, the first arrivals included, and nothing counts the promotions. When the sampler
improves, as TPE does, most new trials beat most old ones, and most go on. On cnn.toml's pruning
comparison at sampler seed 1, the four first random trials (67 to 74 % at step 100) went on for
free and trained 2,501 of the pruned arm's 10,869 steps.

:class:`FirstRungCapPruner` keeps Optuna's rule and adds ASHA's budget at the first rung only:
a trial leaves the first rung only while fewer than ``n // reduction_factor`` trials have, ``n``
counting every trial that reached it. The trial that would have waited is pruned instead, which
costs it ``min_resource`` steps of training. Higher rungs keep Optuna's rule: a trial there has
already beaten a rung and cost several times more, and pruning the first good trials at the
second rung cost 1.8 points of validation accuracy (``bootstrap_count = 1``, README, "Pruning").

On cnn.toml's comparison it used a fifth of the unpruned arm's steps at both sampler seeds, but
its best trial was 1.6 to 1.8 points below the unpruned one (README, "Pruning"), so the study
files do not turn it on (``first_rung_cap = true`` in a file's pruner table).

Parallel workers that decide at the same moment may both take the last place; the budget is
then exceeded by one.
"""

from __future__ import annotations

from optuna.pruners import BasePruner, SuccessiveHalvingPruner
from optuna.study import Study
from optuna.trial import FrozenTrial

from core.studies._optuna_compat import study_storage, trial_id_of

__all__ = ["FirstRungCapPruner", "PROMOTED_ATTR"]

PROMOTED_ATTR = "first_rung_promoted"  # system attribute of the trials that left the first rung


class FirstRungCapPruner(BasePruner):
    """Optuna's successive halving, with at most one trial in ``reduction_factor`` promoted out
    of the first rung (see the module docstring)."""

    def __init__(
        self,
        min_resource: int,
        reduction_factor: int = 3,
        min_early_stopping_rate: int = 0,
        bootstrap_count: int = 0,
    ) -> None:
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

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        if self._halving.prune(study, trial):
            return True
        step = trial.last_step
        if step is None or step < self._first_rung:
            return False
        if min(s for s in trial.intermediate_values if s >= self._first_rung) != step:
            return False  # it left the first rung at an earlier report
        reached = promoted = 0
        for t in study.get_trials(deepcopy=False):
            if t.number == trial.number:
                continue
            if any(s >= self._first_rung for s in t.intermediate_values):
                reached += 1
                promoted += bool(t.system_attrs.get(PROMOTED_ATTR))
        if promoted >= (reached + 1) // self._reduction_factor:
            return True
        # recorded on the trial in the storage, as Optuna's own pruners record their rungs
        study_storage(study).set_trial_system_attr(trial_id_of(trial), PROMOTED_ATTR, True)
        return False
