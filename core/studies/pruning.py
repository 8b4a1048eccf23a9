"""What pruning saved a study: the training steps it used against those its trials would have
used had none been pruned.

A trial the pruner stopped would have trained on to its own ``max_steps`` (or until early
stopping, which cannot be known, so the unpruned figure is an upper bound). Trials stopped for
other reasons (a stop request, Ctrl-C, an invalid configuration) and those still running are
left out of both sides: pruning did not decide them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from optuna.trial import FrozenTrial, TrialState

__all__ = ["PruningSavings", "pruning_savings"]


@dataclass(frozen=True)
class PruningSavings:
    trials: int  # finished trials counted (completed or pruned by the pruner)
    pruned: int  # of those, stopped by the pruner
    steps_used: int  # training steps they took
    steps_unpruned: int  # training steps they would have taken without pruning (at most)

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


def pruning_savings(trials: Iterable[FrozenTrial]) -> PruningSavings | None:
    """The steps pruning saved over ``trials``; None when no trial records its steps (e.g. a
    study made outside this app)."""
    counted = pruned = used = unpruned = 0
    for t in trials:
        steps = t.user_attrs.get("steps")
        if steps is None:
            continue
        if t.state == TrialState.COMPLETE:
            full = int(steps)
        elif t.state == TrialState.PRUNED and t.user_attrs.get("status") == "pruned":
            planned = _planned_steps(t)
            if planned is None:
                continue
            full = max(int(steps), planned)
            pruned += 1
        else:
            continue
        counted += 1
        used += int(steps)
        unpruned += full
    if counted == 0:
        return None
    return PruningSavings(counted, pruned, used, unpruned)
