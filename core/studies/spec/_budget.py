"""A study's compute budget as a user states it: training steps, or training time.

``"20000 steps"`` counts every trial's training steps (``max_steps`` for a trial trained to its
end, the steps it ran for one pruned, stopped or failed on the way); ``"90 min"``, ``"1.5h"`` or
``"3600s"`` counts the trials' training time, summed over trials (one worker's wall time; with K
workers on one machine, K trials share its cores). A study stops starting trials once its trials
have spent the budget; the trial running then finishes, so a study may end up to one trial over.
A trial answered by replay (an earlier trial of the study trained the same run) costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from optuna.trial import FrozenTrial, TrialState

from core.errors import ConfigError

_UNITS = {
    "step": "steps",
    "steps": "steps",
    "s": "seconds",
    "sec": "seconds",
    "second": "seconds",
    "seconds": "seconds",
    "m": "minutes",
    "min": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "h": "hours",
    "hour": "hours",
    "hours": "hours",
}
_TO_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$")
# the trial states whose training counts: RUNNING and WAITING ones have not spent theirs yet
_SPENT_STATES = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


@dataclass(frozen=True)
class Budget:
    """``amount`` training steps (``unit = "steps"``) or seconds of training (``"seconds"``)."""

    amount: float
    unit: str

    def __str__(self) -> str:
        if self.unit == "steps":
            return f"{self.amount:.0f} steps"
        for name, size in (("h", 3600), ("min", 60)):
            if self.amount >= size and self.amount % size == 0:
                return f"{self.amount / size:g} {name}"
        return f"{self.amount:g} s"

    def describe(self) -> str:
        """The budget in words, for messages: "22,323 training steps", "1.5 h of training"."""
        if self.unit == "steps":
            return f"{self.amount:,.0f} training steps"
        return f"{self} of training"

    def spent(self, trials: Iterable[FrozenTrial]) -> float:
        """What ``trials`` have spent of this budget, in its unit."""
        return sum(trial_cost(t, self.unit) for t in trials)


def parse_budget(text: object) -> Budget:
    """``"20000 steps"``, ``"45 min"``, ``"1.5h"``, ``"3600 s"`` -> :class:`Budget`; anything else
    is one sentence saying what is accepted."""
    match = _PATTERN.match(str(text).lower())
    unit = _UNITS.get(match.group(2)) if match else None
    if match is None or unit is None:
        raise ConfigError(
            f"budget {str(text)!r} is not a budget; give training steps ('20000 steps') or "
            "training time ('90 min', '1.5h', '3600s')."
        )
    amount = float(match.group(1))
    if amount <= 0:
        raise ConfigError(f"budget {str(text)!r} is not positive.")
    if unit == "steps":
        if amount != int(amount):
            raise ConfigError(f"budget {str(text)!r}: steps are a whole number.")
        return Budget(amount, "steps")
    return Budget(amount * _TO_SECONDS[unit], "seconds")


def trial_cost(t: FrozenTrial, unit: str) -> float:
    """What one finished trial spent: training steps it ran, or its wall time in seconds."""
    if t.state not in _SPENT_STATES or "replayed_from" in t.user_attrs:
        return 0.0
    if unit == "steps":
        steps = t.user_attrs.get("steps")
        return float(steps) if isinstance(steps, (int, float)) else 0.0
    return t.duration.total_seconds() if t.duration is not None else 0.0
