"""Learning curves of chosen trials, coloured by one parameter: a continuous scale (log10 for a
log-distributed knob) with a colour bar, or one colour per value of a categorical one."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import optuna
import plotly.graph_objects as go
from optuna.distributions import CategoricalDistribution
from optuna.trial import FrozenTrial
from plotly.colors import qualitative, sample_colorscale

from core.figures._base import FigureResult, finish
from core.knobs import get_knob


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
    return FigureResult(finish(fig, f"Learning curves coloured by {color_by}"), len(chosen), total)


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
