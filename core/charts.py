"""Figures and small summaries the pages draw: plain functions from data to plotly figures.

No streamlit here, so each is testable on its own (the pages only call ``st.plotly_chart``).
Study figures (Optuna's visualisations, the learning-curve overlay) live in ``core.studies``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.data import load_data
from core.knobs import DataConfig

if TYPE_CHECKING:
    from core.baseline import BaselineResult
    from core.predict import PaddingExplanation, Prediction

# --------------------------------------------------------------------------------------------
# Data summary (Home)
# --------------------------------------------------------------------------------------------

LENGTH_SAMPLE = 5000  # reviews whose length the histogram shows


@dataclass
class DataSummary:
    source: str
    sizes: dict[str, int]
    label_counts: pd.DataFrame  # index: label name, columns: splits
    lengths: list[int]  # words per review, a sample of the training split
    name: str = ""  # the dataset's display name
    test_carved: bool = False  # no test file: the test split was carved from train
    label_names: list[str] = field(default_factory=list)


def get_data_summary(source: str) -> DataSummary:
    """Split sizes, label balance and review lengths of the data at ``source``."""
    data = load_data(DataConfig(data=source))
    counts = {}
    for split, ds in data.splits.items():
        labels = pd.Series(ds["label"]).map(dict(enumerate(data.label_names)))
        counts[split] = labels.value_counts().reindex(data.label_names, fill_value=0)
    train = data.splits["train"]
    texts = train.select(range(min(len(train), LENGTH_SAMPLE)))["text"]
    return DataSummary(
        source=data.source,
        sizes=data.sizes,
        label_counts=pd.DataFrame(counts),
        lengths=[len(t.split()) for t in texts],
        name=data.name,
        test_carved=data.test_carved,
        label_names=list(data.label_names),
    )


def build_length_histogram(lengths: list[int]) -> go.Figure:
    fig = go.Figure(go.Histogram(x=lengths, nbinsx=60))
    fig.update_layout(
        xaxis_title="words per review",
        yaxis_title="reviews",
        height=280,
        margin={"t": 10, "b": 40, "l": 50, "r": 10},
    )
    return fig


# --------------------------------------------------------------------------------------------
# Training curves (Playground)
# --------------------------------------------------------------------------------------------


def build_history_figure(history: list[dict[str, float]]) -> go.Figure:
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


def history_svg(history: list[dict[str, float]], width: int = 640, height: int = 160) -> str:
    """The same curves as :func:`build_history_figure`, as a small static SVG.

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
        from core.studies.landscape_figures import add_baseline_lines

        add_baseline_lines(fig, baseline)
    log_x = x == "learning_rate"
    fig.update_xaxes(title_text=x, type="log" if log_x else None)
    fig.update_yaxes(title_text="best validation accuracy", tickformat=".0%", range=[0, 1.02])
    fig.update_layout(height=360, margin={"t": 10, "b": 40, "l": 50, "r": 10})
    return fig


# --------------------------------------------------------------------------------------------
# Predict
# --------------------------------------------------------------------------------------------


def build_highlighted_html(prediction: Prediction) -> str:
    """The review with each word's background coloured by its score (green: toward the label)."""
    scores = [abs(s) for s in prediction.scores]
    top = max(scores) if scores and max(scores) > 0 else 1.0
    parts: list[str] = []
    cursor = 0
    for (start, end), score in zip(prediction.words, prediction.scores, strict=True):
        if start < cursor:
            continue
        parts.append(html.escape(prediction.text[cursor:start]))
        alpha = min(1.0, abs(score) / top) * 0.85
        colour = "46, 160, 67" if score > 0 else "218, 54, 51"
        word = html.escape(prediction.text[start:end])
        parts.append(
            f'<span style="background: rgba({colour}, {alpha:.2f}); border-radius: 3px; '
            f'padding: 0 1px" title="{score:+.3f}">{word}</span>'
        )
        cursor = end
    parts.append(html.escape(prediction.text[cursor:]))
    return '<div style="line-height: 1.9">' + "".join(parts) + "</div>"


def get_top_words(prediction: Prediction, k: int = 10) -> pd.DataFrame:
    """The ``k`` words with the largest scores, as a table."""
    rows: dict[str, float] = {}
    for (start, end), score in zip(prediction.words, prediction.scores, strict=True):
        word = prediction.text[start:end].lower()
        rows[word] = rows.get(word, 0.0) + score
    table = pd.DataFrame({"word": list(rows), "score": list(rows.values())})
    return table.reindex(table["score"].abs().sort_values(ascending=False).index).head(k)


# --------------------------------------------------------------------------------------------
# Why the report's RNN failed
# --------------------------------------------------------------------------------------------


def build_state_gap_figure(explanation: PaddingExplanation) -> go.Figure:
    """How far the seed RNN's state for the review is from its state for an empty review."""
    gap = explanation.state_gap
    fig = go.Figure(go.Scatter(x=list(range(1, len(gap) + 1)), y=gap, mode="lines"))
    fig.add_vrect(
        x0=0.5,
        x1=explanation.review_tokens + 0.5,
        fillcolor="green",
        opacity=0.12,
        line_width=0,
        annotation_text="the review",
        annotation_position="top left",
    )
    fig.update_xaxes(title_text="position (tokens read)")
    fig.update_yaxes(title_text="state distance: review vs empty")
    fig.update_layout(height=300, margin={"t": 20, "b": 40, "l": 60, "r": 10})
    return fig


def get_evidence_table(explanation: PaddingExplanation) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for ev in (explanation.seed, explanation.packed):
        rows.append(
            {
                "model": ev.name,
                f"P({ev.label}) for the review": round(ev.prob_review, 4),
                f"P({ev.label}) for another review": round(ev.prob_other, 4),
                f"P({ev.label}) for an empty review": round(ev.prob_empty, 4),
                "final-state change when the review is emptied": f"{ev.state_change:.1%}",
            }
        )
    return pd.DataFrame(rows)


def build_comparison_figure(frames: dict[str, pd.DataFrame]) -> go.Figure:
    """Best validation accuracy so far against trial number, one line per study."""
    fig = go.Figure()
    for name, frame in frames.items():
        done = frame[frame["state"] == "COMPLETE"].sort_values("number")
        if done.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=done["number"],
                y=done["value"].cummax(),
                mode="lines+markers",
                name=name,
                line_shape="hv",
            )
        )
    fig.update_xaxes(title_text="trial number")
    fig.update_yaxes(title_text="best validation accuracy so far", tickformat=".0%")
    fig.update_layout(height=360, margin={"t": 10, "b": 40, "l": 50, "r": 10})
    return fig
