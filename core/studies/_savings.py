"""What pruning saved a study: the training steps it used against those its trials would have
used had none been pruned.

A trial the pruner stopped would have trained on to its own ``max_steps`` (or until early
stopping, which cannot be known, so the unpruned figure is an upper bound). Trials stopped for
other reasons (a stop request, Ctrl-C, an invalid configuration) and those still running are
left out of both sides: pruning did not decide them. A late promotion (``promote_later``: a
pruned trial's configuration trained again, :data:`~core.studies.spec._halving.RERUN_ATTR`) counts
its steps as used, but nothing on the unpruned side: without pruning, the configuration would
have trained once, and the trial it repeats already counts that run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from optuna.trial import FrozenTrial, TrialState

from core.studies.spec import RERUN_ATTR


@dataclass(frozen=True)
class PruningSavings:
    trials: int  # finished trials counted (completed or pruned by the pruner)
    pruned: int  # of those, stopped by the pruner
    steps_used: int  # training steps they took
    steps_unpruned: int  # training steps they would have taken without pruning (at most)

    @property
    def unpruned_trials(self) -> float:
        """How many trials an unpruned study would have tried with the same steps: the steps
        used over the mean steps of these trials trained to their end."""
        if self.steps_unpruned <= 0:
            return 0.0
        return self.steps_used / (self.steps_unpruned / self.trials)

    @property
    def saved_fraction(self) -> float:
        """Share of the unpruned steps that pruning saved (0 when nothing was trained)."""
        if self.steps_unpruned <= 0:
            return 0.0
        return 1.0 - self.steps_used / self.steps_unpruned


def _planned_steps(t: FrozenTrial) -> int | None:
    flat = t.user_attrs.get("flat") or {}
    planned = flat.get("max_steps", t.params.get("max_steps"))
    return int(planned) if planned is not None else None


def trial_steps(t: FrozenTrial) -> tuple[int, int, bool] | None:
    """One trial's share of the savings: (steps used, steps it would have used unpruned,
    whether the pruner stopped it); None when it does not count (see the module)."""
    steps = t.user_attrs.get("steps")
    if steps is None:
        return None
    repeat = RERUN_ATTR in t.user_attrs
    if t.state == TrialState.COMPLETE:
        return int(steps), 0 if repeat else int(steps), False
    if t.state == TrialState.PRUNED and t.user_attrs.get("status") == "pruned":
        planned = _planned_steps(t)
        if planned is None:
            return None
        return int(steps), 0 if repeat else max(int(steps), planned), True
    return None


def pruning_savings(trials: Iterable[FrozenTrial]) -> PruningSavings | None:
    """The steps pruning saved over ``trials``; None when no trial records its steps (e.g. a
    study made outside this app)."""
    return savings_of(share for share in map(trial_steps, trials) if share is not None)


def savings_of(shares: Iterable[tuple[int, int, bool]]) -> PruningSavings | None:
    """The savings of trials given by their :func:`trial_steps`; None when there are none."""
    counted = pruned = used = unpruned = 0
    for steps, full, was_pruned in shares:
        counted += 1
        pruned += was_pruned
        used += steps
        unpruned += full
    if counted == 0:
        return None
    return PruningSavings(counted, pruned, used, unpruned)
