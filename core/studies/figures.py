"""Figures for a study: data in, ``plotly`` figure out. Pages only call ``st.plotly_chart``.

Optuna's own visualisations draw importances, parallel coordinates (log axes where a parameter is
log-distributed, e.g. learning_rate), slices, contours, the EDF and intermediate values. The
history and the timeline are drawn here, straight from the trials with numpy and WebGL traces:
Optuna's take seconds at 10,000 trials, these tens of milliseconds at 50,000.
:func:`build_learning_curves_figure` overlays chosen trials' validation curves coloured by one
parameter.

Every builder returns a :class:`FigureResult` with how many trials it drew (``shown``) out of how
many there are (``total``). Where a figure gets slow or unreadable with thousands of trials it
draws a sample: the best trials first, then an even spread of the rest, keeping trial numbers.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
import plotly.graph_objects as go
from optuna.distributions import CategoricalDistribution
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState
from plotly.colors import qualitative, sample_colorscale

from core.knobs import get_knob
from core.studies.snapshots import snapshot_of

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


def _subset(
    study: optuna.Study, max_trials: int | None, states: Any = None
) -> tuple[optuna.Study, int, int]:
    trials = study.get_trials(deepcopy=False, states=states)
    if max_trials is None or len(trials) <= max_trials:
        return study, len(trials), len(trials)
    chosen = sample_trials(trials, max_trials, study.direction)
    return snapshot_of(chosen, study.directions, study.study_name), len(chosen), len(trials)


def _count(study: optuna.Study, states: Any = FINISHED) -> int:
    return len(study.get_trials(deepcopy=False, states=states))


def _finish(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(title=title, template="plotly_white", margin={"t": 50, "l": 10, "r": 10})
    return fig


def build_history_figure(study: optuna.Study) -> FigureResult:
    """Objective value per finished trial, one trace per state, with the best so far (every trial
    is drawn: WebGL markers and a best-so-far line with only its steps stay fast at 50,000)."""
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
    n = len(trials)
    return FigureResult(_finish(fig, "Optimisation history"), n, n)


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
    view, shown, total = _subset(study, max_trials, (TrialState.COMPLETE,))
    fig = optuna.visualization.plot_param_importances(view, target_name="val accuracy")
    return FigureResult(_finish(fig, "Parameter importances"), shown, total)


def build_parallel_figure(
    study: optuna.Study, params: list[str] | None = None, max_trials: int | None = 500
) -> FigureResult:
    """One line per trial across the parameters; log axes for log-scaled parameters."""
    view, shown, total = _subset(study, max_trials, (TrialState.COMPLETE,))
    fig = optuna.visualization.plot_parallel_coordinate(
        view, params=params, target_name="val accuracy"
    )
    return FigureResult(_finish(fig, "Parallel coordinates"), shown, total)


def build_slice_figure(
    study: optuna.Study, params: list[str] | None = None, max_trials: int | None = 1000
) -> FigureResult:
    view, shown, total = _subset(study, max_trials, (TrialState.COMPLETE,))
    fig = optuna.visualization.plot_slice(view, params=params, target_name="val accuracy")
    return FigureResult(_finish(fig, "Slices"), shown, total)


def build_contour_figure(
    study: optuna.Study, params: list[str] | None = None, max_trials: int | None = 1000
) -> FigureResult:
    """Contours of two or more parameters (default: the first two numeric ones searched)."""
    view, shown, total = _subset(study, max_trials, (TrialState.COMPLETE,))
    if params is None:
        params = _numeric_params(view)[:2] or None
    fig = optuna.visualization.plot_contour(view, params=params, target_name="val accuracy")
    return FigureResult(_finish(fig, "Contours"), shown, total)


def build_edf_figure(study: optuna.Study) -> FigureResult:
    n = _count(study, (TrialState.COMPLETE,))
    fig = optuna.visualization.plot_edf(study, target_name="val accuracy")
    return FigureResult(_finish(fig, "Empirical distribution of val accuracy"), n, n)


def build_intermediate_figure(study: optuna.Study, max_trials: int | None = 100) -> FigureResult:
    """Every trial's validation curve (pruned ones end early)."""
    view, shown, total = _subset(study, max_trials, FINISHED + (TrialState.RUNNING,))
    fig = optuna.visualization.plot_intermediate_values(view)
    fig.update_layout(xaxis_title="step", yaxis_title="val accuracy")
    return FigureResult(_finish(fig, "Learning curves (intermediate values)"), shown, total)


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
    return FigureResult(_finish(fig, "Timeline"), len(shown), len(started))


def _epoch_ms(times: list[dt.datetime]) -> np.ndarray:
    """Naive local times as milliseconds since the epoch, read as UTC: a plotly date axis shows
    numbers as UTC, so the axis shows the local times unchanged."""
    return np.array(times, dtype="datetime64[ms]").astype(np.int64).astype(np.float64)


def build_learning_curves_figure(
    study: optuna.Study,
    color_by: str,
    trial_numbers: list[int] | None = None,
    max_trials: int = 50,
) -> FigureResult:
    """Validation curves of chosen trials (default: the best ``max_trials``), coloured by a param.

    Numeric parameters get a continuous colour scale (log10 for log-distributed ones) with a
    colour bar; categorical ones one colour per value with a legend.
    """
    candidates = [t for t in study.get_trials(deepcopy=False) if t.intermediate_values]
    total = len(candidates)
    if trial_numbers is not None:
        wanted = set(trial_numbers)
        chosen = [t for t in candidates if t.number in wanted][:max_trials]
    else:
        chosen = sorted(candidates, key=lambda t: (t.value is None, -(t.value or 0.0)))[:max_trials]
        chosen.sort(key=lambda t: t.number)
    fig = go.Figure()
    values = [_param_value(t, color_by) for t in chosen]
    numeric = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    categorical = _is_categorical(chosen, color_by)
    if not categorical and numeric and len(numeric) == len([v for v in values if v is not None]):
        log = _is_log(chosen, color_by) and min(numeric) > 0
        scale = (lambda v: math.log10(v)) if log else (lambda v: float(v))
        lo, hi = min(map(scale, numeric)), max(map(scale, numeric))
        _add_numeric_curves(fig, chosen, values, color_by, scale, lo, hi, log)
    else:
        _add_categorical_curves(fig, chosen, values, color_by)
    fig.update_layout(xaxis_title="step", yaxis_title="val accuracy")
    return FigureResult(_finish(fig, f"Learning curves coloured by {color_by}"), len(chosen), total)


def _add_numeric_curves(
    fig: go.Figure,
    trials: list[FrozenTrial],
    values: list[Any],
    name: str,
    scale: Callable[[float], float],
    lo: float,
    hi: float,
    log: bool,
) -> None:
    for t, v in zip(trials, values, strict=True):
        frac = 0.5 if v is None or hi == lo else (scale(v) - lo) / (hi - lo)
        color = sample_colorscale("Viridis", [frac])[0]
        steps = sorted(t.intermediate_values)
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=[t.intermediate_values[s] for s in steps],
                mode="lines",
                line={"color": color},
                name=f"trial {t.number}",
                showlegend=False,
                hovertemplate=f"trial {t.number}<br>{name}={v}<br>step %{{x}}<br>acc %{{y:.4f}}<extra></extra>",
            )
        )
    ticks = [lo + (hi - lo) * i / 4 for i in range(5)]
    fig.add_trace(
        go.Scatter(  # an invisible trace that carries the colour bar
            x=[None],
            y=[None],
            mode="markers",
            showlegend=False,
            hoverinfo="skip",
            marker={
                "colorscale": "Viridis",
                "cmin": lo,
                "cmax": hi,
                "color": [lo],
                "showscale": True,
                "colorbar": {
                    "title": {"text": name},
                    "tickvals": ticks,
                    "ticktext": [f"{10**x:.3g}" if log else f"{x:.3g}" for x in ticks],
                },
            },
        )
    )


def _add_categorical_curves(
    fig: go.Figure, trials: list[FrozenTrial], values: list[Any], name: str
) -> None:
    palette = qualitative.Plotly
    order = sorted({repr(v) for v in values})
    seen: set[str] = set()
    for t, v in zip(trials, values, strict=True):
        key = repr(v)
        steps = sorted(t.intermediate_values)
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=[t.intermediate_values[s] for s in steps],
                mode="lines",
                line={"color": palette[order.index(key) % len(palette)]},
                name=f"{name}={v}",
                legendgroup=key,
                showlegend=key not in seen,
                hovertemplate=f"trial {t.number}<br>{name}={v}<br>step %{{x}}<br>acc %{{y:.4f}}<extra></extra>",
            )
        )
        seen.add(key)


def _param_value(t: FrozenTrial, name: str) -> Any:
    if name in t.params:
        return t.params[name]
    return (t.user_attrs.get("flat") or {}).get(name)


def _is_categorical(trials: list[FrozenTrial], name: str) -> bool:
    for t in trials:
        d = t.distributions.get(name)
        if d is not None:
            return isinstance(d, CategoricalDistribution)
    return False


def _is_log(trials: list[FrozenTrial], name: str) -> bool:
    for t in trials:
        d = t.distributions.get(name)
        if d is not None:
            return bool(getattr(d, "log", False))

    try:
        return get_knob(name).log
    except Exception:
        return False


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
