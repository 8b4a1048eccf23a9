"""Figures for the Explore page: a landscape in, a ``plotly`` figure out.

- :func:`build_curves_figure`: one point's validation curve and training loss, the previous
  point's beside them, faded;
- :func:`build_sweep_figure`: validation and test accuracy against one knob, the others held,
  with runs trained off the grid as extra markers;
- :func:`build_heatmap_figure`: validation (or test) accuracy over two knobs, the others held.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.studies import Landscape, LandscapePoint, describe_point, format_value

if TYPE_CHECKING:
    from core.data import BaselineResult


_VAL, _TEST, _LOSS, _EXTRA = "#1f77b4", "#ff7f0e", "#7f7f7f", "#2ca02c"


def build_curves_figure(
    point: LandscapePoint | None, previous: LandscapePoint | None = None
) -> go.Figure:
    """Validation accuracy (left) and training loss (right) against the step, for ``point``
    and, faded and dashed, for ``previous``."""
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("validation accuracy", "training loss"),
        horizontal_spacing=0.12,
    )
    for p, label, faded in ((previous, "previous", True), (point, "this point", False)):
        if p is None:
            continue
        style: dict[str, Any] = {"opacity": 0.35, "line": {"dash": "dot"}} if faded else {}
        hover = describe_point(p.values)
        curves = (
            ("val_accuracy", "validation", "lines+markers", _VAL, 1),
            ("train_loss", "training loss", "lines", _LOSS, 2),
        )
        for metric, name, mode, color, col in curves:
            xy = [(r["step"], r[metric]) for r in p.history if metric in r]
            if not xy:
                continue
            fig.add_trace(
                go.Scatter(
                    x=[s for s, _ in xy],
                    y=[v for _, v in xy],
                    mode=mode,
                    name=f"{label}: {name}",
                    legendgroup=label,
                    hovertext=hover,
                    line_color=color,
                    **style,
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(tickformat=".0%", range=[0.4, 1.0], row=1, col=1)
    fig.update_layout(
        height=300,
        margin={"t": 30, "b": 40, "l": 50, "r": 20},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def _axis(land: Landscape, knob: str) -> dict[str, Any]:
    values = land.axes[knob]
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        positive = min(values) > 0
        wide = positive and max(values) / min(values) >= 8
        return {
            "type": "log" if wide else "linear",
            "tickvals": values,
            "ticktext": [format_value(v) for v in values],
        }
    return {
        "type": "category",
        "categoryorder": "array",
        "categoryarray": [format_value(v) for v in values],
    }


def _x(v: Any) -> Any:
    return v if isinstance(v, int | float) and not isinstance(v, bool) else format_value(v)


def build_sweep_figure(
    land: Landscape,
    knob: str,
    at: dict[str, Any],
    extra: Sequence[tuple[Any, float | None, float | None]] = (),
    baseline: BaselineResult | None = None,
) -> go.Figure:
    """Accuracy against ``knob``, every other knob held at ``at``; the current value ringed.

    ``extra``: off-grid runs at the same held knobs, as ``(value, val, test)``; ``baseline``:
    the linear baseline on the same data, as dashed lines (validation and test).
    """
    sweep = land.sweep(knob, at)
    xs = [_x(v) for v, _ in sweep]
    fig = go.Figure()
    for metric, name, color in (
        ("val_accuracy", "validation", _VAL),
        ("test_accuracy", "test", _TEST),
    ):
        ys = [getattr(p, metric) if p is not None else None for _, p in sweep]
        text = [_status_note(p) for _, p in sweep]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines+markers",
                name=name,
                line_color=color,
                hovertext=text,
                connectgaps=False,
            )
        )
    here = land.point(at)
    if here is not None and here.val_accuracy is not None:
        fig.add_trace(
            go.Scatter(
                x=[_x(at[knob])],
                y=[here.val_accuracy],
                mode="markers",
                name="this point",
                marker={
                    "size": 16,
                    "symbol": "circle-open",
                    "line": {"width": 3},
                    "color": "black",
                },
            )
        )
    if extra:
        fig.add_trace(
            go.Scatter(
                x=[_x(v) for v, _, _ in extra],
                y=[val for _, val, _ in extra],
                mode="markers",
                name="trained off the grid (validation)",
                marker={"size": 11, "symbol": "diamond", "color": _EXTRA},
                hovertext=[f"test {t:.1%}" if t is not None else "" for _, _, t in extra],
            )
        )
    if baseline is not None:
        add_baseline_lines(fig, baseline)
    fig.update_xaxes(title_text=knob, **_axis(land, knob))
    fig.update_yaxes(title_text="accuracy", tickformat=".0%")
    held = {k: v for k, v in at.items() if k != knob and land.applies(k, at)}
    fig.update_layout(
        height=320,
        margin={"t": 40, "b": 40, "l": 50, "r": 20},
        title={"text": f"held: {describe_point(held)}", "font": {"size": 12}},
        legend={"orientation": "h", "y": -0.3},
    )
    return fig


def add_baseline_lines(fig: go.Figure, baseline: BaselineResult) -> None:
    """The linear baseline's validation and test accuracy as dashed horizontal lines."""
    for acc, name, color, position in (
        (baseline.val_accuracy, "validation", _VAL, "top left"),
        (baseline.test_accuracy, "test", _TEST, "bottom left"),
    ):
        fig.add_hline(
            y=acc,
            line={"dash": "dash", "color": color, "width": 1.5},
            opacity=0.8,
            annotation_text=f"TF-IDF baseline, {name} {acc:.1%}",
            annotation_position=position,
            annotation_font_size=10,
        )


def _status_note(p: LandscapePoint | None) -> str:
    if p is None:
        return "not trained"
    if p.status not in ("completed", "early_stopped"):
        return f"{p.status}: {p.message}" if p.message else p.status
    return f"trial #{p.number}"


def build_heatmap_figure(
    land: Landscape, x: str, y: str, at: dict[str, Any], metric: str = "val_accuracy"
) -> go.Figure:
    """``metric`` over ``x`` (columns) and ``y`` (rows), the others held; the current cell boxed."""
    z = land.table(x, y, at, metric)
    xs = [format_value(v) for v in land.axes[x]]
    ys = [format_value(v) for v in land.axes[y]]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=xs,
            y=ys,
            colorscale="Viridis",
            zmin=0.5,
            zmax=max([v for row in z for v in row if v is not None] or [1.0]),
            text=[[f"{v:.1%}" if v is not None else "" for v in row] for row in z],
            texttemplate="%{text}",
            hoverongaps=False,
            colorbar={"tickformat": ".0%"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[format_value(at[x])],
            y=[format_value(at[y])],
            mode="markers",
            showlegend=False,
            marker={"size": 28, "symbol": "square-open", "line": {"width": 3}, "color": "red"},
            hoverinfo="skip",
        )
    )
    fig.update_xaxes(title_text=x, type="category")
    fig.update_yaxes(title_text=y, type="category")
    held = {k: v for k, v in at.items() if k not in (x, y) and land.applies(k, at)}
    name = "validation" if metric == "val_accuracy" else "test"
    fig.update_layout(
        height=360,
        margin={"t": 40, "b": 40, "l": 60, "r": 20},
        title={"text": f"{name} accuracy; held: {describe_point(held)}", "font": {"size": 12}},
    )
    return fig
