"""Figures for a study: data in, ``plotly`` figure out. Pages only call ``st.plotly_chart``.

Optuna's own visualisations draw importances, parallel coordinates (log axes where a parameter is
log-distributed, e.g. learning_rate), slices, contours, the EDF and intermediate values. The
history and the timeline are drawn here, straight from the trials with numpy and WebGL traces:
Optuna's take seconds at 10,000 trials, these tens of milliseconds at 50,000.
:func:`build_learning_curves_figure` (:mod:`core.figures._learning_curves`) overlays chosen trials'
validation curves coloured by one parameter; :mod:`core.figures._base` holds what every
figure shares.

Every builder returns a :class:`FigureResult` with how many trials it drew (``shown``) out of how
many there are (``total``). Where a figure gets slow or unreadable with thousands of trials it
draws a sample: the best trials first, then an even spread of the rest, keeping trial numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import optuna
import pandas as pd
import plotly.graph_objects as go
from optuna.distributions import CategoricalDistribution
from optuna.study import StudyDirection
from optuna.trial import TrialState

from core.figures._base import (
    FINISHED,
    STATE_COLORS,
    FigureResult,
    count_trials,
    finish,
    subset,
)
from core.figures._landscape import add_baseline_lines
from core.figures._learning_curves import build_learning_curves_figure

if TYPE_CHECKING:
    from core.data import BaselineResult


def build_history_figure(
    study: optuna.Study, baseline: BaselineResult | None = None
) -> FigureResult:
    """Objective value per finished trial, one trace per state, with the best so far (every trial
    is drawn: WebGL markers and a best-so-far line with only its steps stay fast at 50,000).
    ``baseline``: the linear baseline on the study's data, as dashed lines."""
    if len(study.directions) != 1:
        raise ValueError("the history figure needs a study with one objective.")
    maximize = study.direction == StudyDirection.MAXIMIZE
    trials = [t for t in study.get_trials(deepcopy=False, states=FINISHED) if t.values]
    number = np.fromiter((t.number for t in trials), dtype=np.int64, count=len(trials))
    value = np.fromiter((t.values[0] for t in trials), dtype=np.float64, count=len(trials))
    state = np.array([t.state.name for t in trials], dtype=object)
    fig = go.Figure()
    for name in (s.name for s in FINISHED):
        keep = (state == name) & np.isfinite(value)
        fig.add_trace(
            go.Scattergl(
                x=number[keep],
                y=value[keep],
                mode="markers",
                name=name.lower(),
                marker={"color": STATE_COLORS[name], "size": 5, "opacity": 0.7},
                hovertemplate=f"trial %{{x}}<br>{name.lower()}<br>%{{y:.4f}}<extra></extra>",
            )
        )
    x, y = _best_so_far(number, value, state == "COMPLETE", maximize)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="lines",
            line={"shape": "hv", "color": "#d62728", "width": 2},
            name="best so far",
            hovertemplate="best after trial %{x}<br>%{y:.4f}<extra></extra>",
        )
    )
    fig.update_layout(xaxis_title="trial", yaxis_title="val accuracy")
    if baseline is not None:
        add_baseline_lines(fig, baseline)
    n = len(trials)
    return FigureResult(finish(fig, "Optimisation history"), n, n)


def _best_so_far(
    number: np.ndarray, value: np.ndarray, complete: np.ndarray, maximize: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The steps of the best value so far over completed trials: where it improves, and the last
    trial (a line of a few points however many trials there are)."""
    keep = complete & np.isfinite(value)
    order = np.argsort(number[keep], kind="stable")
    xs, ys = number[keep][order], value[keep][order]
    if xs.size == 0:
        return xs, ys
    best = np.maximum.accumulate(ys) if maximize else np.minimum.accumulate(ys)
    steps = np.flatnonzero(np.r_[True, best[1:] != best[:-1]])
    last = max(int(xs[-1]), int(number.max()))
    return np.r_[xs[steps], last], np.r_[best[steps], best[-1]]


def build_importance_figure(study: optuna.Study, max_trials: int | None = 1000) -> FigureResult:
    """Which parameters matter (Optuna's default PED-ANOVA evaluator) on completed trials."""
    view, shown, total = subset(study, max_trials, (TrialState.COMPLETE,))
    fig = optuna.visualization.plot_param_importances(view, target_name="val accuracy")
    return FigureResult(finish(fig, "Parameter importances"), shown, total)


def build_parallel_figure(
    study: optuna.Study, params: list[str] | None = None, max_trials: int | None = 500
) -> FigureResult:
    """One line per trial across the parameters; log axes for log-scaled parameters."""
    view, shown, total = subset(study, max_trials, (TrialState.COMPLETE,))
    fig = optuna.visualization.plot_parallel_coordinate(
        view, params=params, target_name="val accuracy"
    )
    return FigureResult(finish(fig, "Parallel coordinates"), shown, total)


def build_slice_figure(
    study: optuna.Study, params: list[str] | None = None, max_trials: int | None = 1000
) -> FigureResult:
    view, shown, total = subset(study, max_trials, (TrialState.COMPLETE,))
    fig = optuna.visualization.plot_slice(view, params=params, target_name="val accuracy")
    return FigureResult(finish(fig, "Slices"), shown, total)


def build_contour_figure(
    study: optuna.Study, params: list[str] | None = None, max_trials: int | None = 1000
) -> FigureResult:
    """Contours of two or more parameters (default: the first two numeric ones searched)."""
    view, shown, total = subset(study, max_trials, (TrialState.COMPLETE,))
    if params is None:
        params = _numeric_params(view)[:2] or None
    fig = optuna.visualization.plot_contour(view, params=params, target_name="val accuracy")
    return FigureResult(finish(fig, "Contours"), shown, total)


def build_edf_figure(study: optuna.Study) -> FigureResult:
    n = count_trials(study, (TrialState.COMPLETE,))
    fig = optuna.visualization.plot_edf(study, target_name="val accuracy")
    return FigureResult(finish(fig, "Empirical distribution of val accuracy"), n, n)


def build_intermediate_figure(study: optuna.Study, max_trials: int | None = 100) -> FigureResult:
    """Every trial's validation curve (pruned ones end early)."""
    view, shown, total = subset(study, max_trials, FINISHED + (TrialState.RUNNING,))
    fig = optuna.visualization.plot_intermediate_values(view)
    fig.update_layout(xaxis_title="step", yaxis_title="val accuracy")
    return FigureResult(finish(fig, "Learning curves (intermediate values)"), shown, total)


def build_timeline_figure(study: optuna.Study, max_trials: int | None = None) -> FigureResult:
    """When each trial ran: a bar per trial from its start to its end (now, if running), one
    trace per state. Bars are thick WebGL line segments, so 50,000 of them stay fast; with
    ``max_trials``, only the most recent. Trials that have not started (WAITING) are not drawn."""
    started = [t for t in study.get_trials(deepcopy=False) if t.datetime_start is not None]
    shown = sorted(started, key=lambda t: t.number)
    if max_trials is not None:
        shown = shown[-max_trials:] if max_trials > 0 else []
    now = dt.datetime.now()
    number = np.fromiter((t.number for t in shown), dtype=np.float64, count=len(shown))
    start = _epoch_ms([t.datetime_start for t in shown])
    end = _epoch_ms(
        [
            t.datetime_complete or (now if t.state == TrialState.RUNNING else t.datetime_start)
            for t in shown
        ]
    )
    state = np.array([t.state.name for t in shown], dtype=object)
    width = max(1.0, min(8.0, 400 / max(1, len(shown))))
    fig = go.Figure()
    for name in STATE_COLORS:
        keep = state == name
        if not keep.any():
            continue
        gap = np.full(int(keep.sum()), np.nan)
        seconds = (end[keep] - start[keep]) / 1000
        fig.add_trace(
            go.Scattergl(
                x=np.column_stack([start[keep], end[keep], gap]).ravel(),
                y=np.column_stack([number[keep], number[keep], gap]).ravel(),
                customdata=np.column_stack([seconds, seconds, gap]).ravel(),
                mode="lines",
                line={"color": STATE_COLORS[name], "width": width},
                name=name.lower(),
                hovertemplate=(
                    f"trial %{{y}}<br>{name.lower()}<br>%{{x|%Y-%m-%d %H:%M:%S}}"
                    "<br>ran %{customdata:.1f} s<extra></extra>"
                ),
            )
        )
    fig.update_layout(xaxis={"type": "date", "title": "time"}, yaxis_title="trial")
    return FigureResult(finish(fig, "Timeline"), len(shown), len(started))


def _epoch_ms(times: list[dt.datetime]) -> np.ndarray:
    """Naive local times as milliseconds since the epoch, read as UTC: a plotly date axis shows
    numbers as UTC, so the axis shows the local times unchanged."""
    return np.array(times, dtype="datetime64[ms]").astype(np.int64).astype(np.float64)


def _numeric_params(study: optuna.Study) -> list[str]:
    names: dict[str, None] = {}
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        for n, d in t.distributions.items():
            if not isinstance(d, CategoricalDistribution):
                names.setdefault(n, None)
    return list(names)


FIGURES: dict[str, Callable[..., FigureResult]] = {
    "history": build_history_figure,
    "importances": build_importance_figure,
    "parallel": build_parallel_figure,
    "slice": build_slice_figure,
    "contour": build_contour_figure,
    "edf": build_edf_figure,
    "intermediate": build_intermediate_figure,
    "timeline": build_timeline_figure,
    "curves": build_learning_curves_figure,
}


def build_figure(kind: str, study: optuna.Study, **kwargs: Any) -> FigureResult:
    """Dispatch by name (one of :data:`FIGURES`), for pages with a figure picker."""
    try:
        builder = FIGURES[kind]
    except KeyError:
        raise ValueError(f"figure must be one of {', '.join(FIGURES)}, got '{kind}'.") from None
    return builder(study, **kwargs)


def build_comparison_figure(frames: dict[str, pd.DataFrame]) -> go.Figure:
    """Best validation accuracy so far, one line per study, against the training steps spent
    (every finished trial's steps, pruned ones at the steps they ran, in the order trials
    finished), so studies compare at equal compute; against trial number where a study's
    trials record no steps (made outside this app)."""
    by_steps = all(_records_steps(frame) for frame in frames.values())
    fig = go.Figure()
    for name, frame in frames.items():
        x, y = _best_by_steps(frame) if by_steps else _best_by_number(frame)
        if not x:
            continue
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers", name=name, line_shape="hv"))
    fig.update_xaxes(title_text="training steps spent" if by_steps else "trial number")
    fig.update_yaxes(title_text="best validation accuracy so far", tickformat=".0%")
    fig.update_layout(height=360, margin={"t": 10, "b": 40, "l": 50, "r": 10})
    return fig


_FINISHED = ("COMPLETE", "PRUNED", "FAIL")


def _records_steps(frame: pd.DataFrame) -> bool:
    finished = frame[frame["state"].isin(_FINISHED)]
    return "steps" in frame and bool(finished["steps"].notna().any())


def _best_by_number(frame: pd.DataFrame) -> tuple[list, list]:
    done = frame[frame["state"] == "COMPLETE"].sort_values("number")
    return done["number"].tolist(), done["value"].cummax().tolist()


def _best_by_steps(frame: pd.DataFrame) -> tuple[list, list]:
    finished = frame[frame["state"].isin(_FINISHED)]
    if "datetime_complete" in finished and finished["datetime_complete"].notna().all():
        finished = finished.sort_values(["datetime_complete", "number"])
    else:
        finished = finished.sort_values("number")
    spent = finished["steps"].fillna(0).cumsum()
    best = finished["value"].where(finished["state"] == "COMPLETE").cummax()
    shown = finished["state"] == "COMPLETE"
    return spent[shown].tolist(), best[shown].tolist()
