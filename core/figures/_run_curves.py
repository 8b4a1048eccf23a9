"""One run's curves and the runs beside it, for the Playground: training loss and validation
accuracy against the step (plotly, or a few kB of SVG), and every run's validation accuracy
against one knob.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

if TYPE_CHECKING:
    from core.data import BaselineResult


def build_run_curve_figure(history: list[dict[str, float]]) -> go.Figure:
    """Training loss (left axis) and validation accuracy (right axis) against the step."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    loss = [(r["step"], r["train_loss"]) for r in history if "train_loss" in r]
    acc = [(r["step"], r["val_accuracy"]) for r in history if "val_accuracy" in r]
    if loss:
        fig.add_trace(
            go.Scatter(
                x=[s for s, _ in loss],
                y=[v for _, v in loss],
                name="training loss",
                mode="lines+markers",
            ),
            secondary_y=False,
        )
    if acc:
        fig.add_trace(
            go.Scatter(
                x=[s for s, _ in acc],
                y=[v for _, v in acc],
                name="validation accuracy",
                mode="lines+markers",
            ),
            secondary_y=True,
        )
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text="training loss", secondary_y=False)
    fig.update_yaxes(
        title_text="validation accuracy", tickformat=".0%", range=[0, 1.02], secondary_y=True
    )
    fig.update_layout(
        height=320,
        margin={"t": 10, "b": 40, "l": 50, "r": 50},
        legend={"orientation": "h", "y": 1.12},
    )
    return fig


def run_curve_svg(history: list[dict[str, float]], width: int = 640, height: int = 160) -> str:
    """The same curves as :func:`build_run_curve_figure`, as a small static SVG.

    For the live view while a run trains: a browser draws it almost for free, where a plotly
    or Vega chart costs it seconds of CPU that the training, on a small machine, would lose.
    Validation accuracy on a 0-100 % scale, training loss scaled to its own maximum.
    """
    pad_l, pad_r, pad_t, pad_b = 44, 12, 10, 22
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    steps = [r["step"] for r in history if "train_loss" in r or "val_accuracy" in r]
    lo, hi = (min(steps), max(steps)) if steps else (0, 1)
    span = (hi - lo) or 1

    def x(step: float) -> float:
        return pad_l + (step - lo) / span * w

    def line(points: list[tuple[float, float]], color: str) -> str:
        coords = " ".join(f"{x(s):.1f},{pad_t + (1 - f) * h:.1f}" for s, f in points)
        dots = "".join(
            f'<circle cx="{x(s):.1f}" cy="{pad_t + (1 - f) * h:.1f}" r="3" fill="{color}"/>'
            for s, f in points
        )
        return f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"/>' + dots

    acc = [(r["step"], r["val_accuracy"]) for r in history if "val_accuracy" in r]
    losses = [(r["step"], r["train_loss"]) for r in history if "train_loss" in r]
    top = max((v for _, v in losses), default=1.0) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11" fill="#555">',
        f'<rect x="{pad_l}" y="{pad_t}" width="{w}" height="{h}" fill="none" stroke="#ddd"/>',
        f'<text x="{pad_l - 4}" y="{pad_t + 8}" text-anchor="end">100%</text>',
        f'<text x="{pad_l - 4}" y="{pad_t + h}" text-anchor="end">0%</text>',
        f'<text x="{pad_l}" y="{height - 6}">step {lo:g}</text>',
        f'<text x="{pad_l + w}" y="{height - 6}" text-anchor="end">step {hi:g}</text>',
    ]
    if losses:
        parts.append(line([(s, v / top) for s, v in losses], "#1f77b4"))
    if acc:
        parts.append(line(acc, "#7fbfff"))
        step, value = acc[-1]
        parts.append(
            f'<text x="{pad_l + 6}" y="{pad_t + 14}">validation accuracy {value:.1%} at step '
            f"{step:g} (light); training loss {losses[-1][1]:.3f} (dark)</text>"
            if losses
            else f'<text x="{pad_l + 6}" y="{pad_t + 14}">validation accuracy {value:.1%}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def build_runs_figure(
    trials: pd.DataFrame,
    x: str,
    latest: tuple[str, int] | None = None,
    baseline: BaselineResult | None = None,
) -> go.Figure:
    """Validation accuracy against ``x`` for every run and trial, one colour per study.

    ``trials`` has columns ``study``, ``number``, ``value`` and the knob columns; ``latest``
    (study, number) is drawn as a star; ``baseline`` (the linear baseline on the data) as
    dashed lines at its validation and test accuracy.
    """
    fig = go.Figure()
    data = trials.dropna(subset=["value"])
    if x not in data.columns:
        data = data.assign(**{x: None})
    for study, rows in data.groupby("study", sort=True):
        fig.add_trace(
            go.Scatter(
                x=rows[x],
                y=rows["value"],
                mode="markers",
                name=str(study),
                opacity=0.7,
                text=[f"{study} #{n}" for n in rows["number"]],
                hovertemplate="%{text}<br>" + x + "=%{x}<br>val acc=%{y:.1%}<extra></extra>",
            )
        )
    if latest is not None:
        row = data[(data["study"] == latest[0]) & (data["number"] == latest[1])]
        if len(row):
            fig.add_trace(
                go.Scatter(
                    x=row[x],
                    y=row["value"],
                    mode="markers",
                    name="this run",
                    marker={
                        "symbol": "star",
                        "size": 18,
                        "color": "crimson",
                        "line": {"width": 1, "color": "black"},
                    },
                )
            )
    if baseline is not None:
        from core.figures._landscape import add_baseline_lines

        add_baseline_lines(fig, baseline)
    log_x = x == "learning_rate"
    fig.update_xaxes(title_text=x, type="log" if log_x else None)
    fig.update_yaxes(title_text="best validation accuracy", tickformat=".0%", range=[0, 1.02])
    fig.update_layout(height=360, margin={"t": 10, "b": 40, "l": 50, "r": 10})
    return fig
