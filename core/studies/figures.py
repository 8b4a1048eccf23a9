"""Figures for a study: data in, ``plotly`` figure out. Pages only call ``st.plotly_chart``.

Optuna's own visualisations draw history, importances, parallel coordinates (log axes where a
parameter is log-distributed, e.g. learning_rate), slices, contours, the EDF, intermediate values
and the timeline; :func:`build_learning_curves_figure` overlays chosen trials' validation curves
coloured by one parameter.

Every builder returns a :class:`FigureResult` with how many trials it drew (``shown``) out of how
many there are (``total``). Where a figure gets slow or unreadable with thousands of trials it
draws a sample: the best trials first, then an even spread of the rest, keeping trial numbers.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import optuna
import plotly.graph_objects as go
from optuna.distributions import CategoricalDistribution
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState
from plotly.colors import qualitative, sample_colorscale

from core.knobs import get_knob
from core.studies._optuna_compat import study_storage

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


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


class _TrialsView(optuna.Study):
    """A study that answers ``get_trials`` with a fixed subset (original numbers kept)."""

    def __init__(self, source: optuna.Study, trials: list[FrozenTrial]) -> None:
        super().__init__(study_name=source.study_name, storage=study_storage(source))
        self._view = trials

    def get_trials(self, deepcopy: bool = True, states: Any = None) -> list[FrozenTrial]:
        return [t for t in self._view if states is None or t.state in states]

    @property
    def trials(self) -> list[FrozenTrial]:
        return self.get_trials()


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
    return _TrialsView(study, chosen), len(chosen), len(trials)


def _count(study: optuna.Study, states: Any = FINISHED) -> int:
    return len(study.get_trials(deepcopy=False, states=states))


def _finish(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(title=title, template="plotly_white", margin={"t": 50, "l": 10, "r": 10})
    return fig


def build_history_figure(study: optuna.Study) -> FigureResult:
    """Objective value per trial with the best so far (cheap: every trial is drawn)."""
    n = _count(study)
    fig = optuna.visualization.plot_optimization_history(study, target_name="val accuracy")
    return FigureResult(_finish(fig, "Optimisation history"), n, n)


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


def build_timeline_figure(study: optuna.Study, max_trials: int | None = 500) -> FigureResult:
    """When each trial ran, and how it ended (the most recent ``max_trials``)."""
    total = _count(study, None)
    fig = optuna.visualization.plot_timeline(study, n_recent_trials=max_trials)
    return FigureResult(_finish(fig, "Timeline"), min(total, max_trials or total), total)


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
