"""What every study figure shares: :class:`FigureResult` (a figure and how much of the study it
shows), the sampling of big studies, the state colours and the common layout."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import optuna
import plotly.graph_objects as go
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from core.studies.storage import snapshot_of

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
# One colour per trial state, in every figure that shows states.
STATE_COLORS = {
    "COMPLETE": "#1f77b4",
    "PRUNED": "#ff7f0e",
    "FAIL": "#d62728",
    "RUNNING": "#2ca02c",
    "WAITING": "#7f7f7f",
}


@dataclass
class FigureResult:
    """A figure and how much of the study it shows."""

    figure: go.Figure
    shown: int
    total: int

    @property
    def note(self) -> str:
        """ "showing k of n trials" when sampled, else ""."""
        return f"showing {self.shown} of {self.total} trials" if self.shown < self.total else ""


def sample_trials(
    trials: list[FrozenTrial],
    k: int,
    direction: StudyDirection = StudyDirection.MAXIMIZE,
    seed: int = 0,
) -> list[FrozenTrial]:
    """At most ``k`` trials: the best fifth by value, then a random spread; in number order."""
    if len(trials) <= k:
        return list(trials)
    scored = [t for t in trials if t.value is not None and math.isfinite(t.value)]
    scored.sort(key=lambda t: t.value, reverse=direction == StudyDirection.MAXIMIZE)
    keep = {t.number: t for t in scored[: max(1, k // 5)]}
    rest = [t for t in trials if t.number not in keep]
    for t in random.Random(seed).sample(rest, k - len(keep)):
        keep[t.number] = t
    return sorted(keep.values(), key=lambda t: t.number)


def subset(
    study: optuna.Study, max_trials: int | None, states: Any = None
) -> tuple[optuna.Study, int, int]:
    trials = study.get_trials(deepcopy=False, states=states)
    if max_trials is None or len(trials) <= max_trials:
        return study, len(trials), len(trials)
    chosen = sample_trials(trials, max_trials, study.direction)
    return snapshot_of(chosen, study.directions, study.study_name), len(chosen), len(trials)


def count_trials(study: optuna.Study, states: Any = FINISHED) -> int:
    return len(study.get_trials(deepcopy=False, states=states))


def finish(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(title=title, template="plotly_white", margin={"t": 50, "l": 10, "r": 10})
    return fig
