"""What a stored model says, for Predict and Home: the review with each word coloured by its
attribution, the top words, and the padding lesson (the seed RNN against a packed one).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go

if TYPE_CHECKING:
    from core.training import PaddingExplanation, Prediction


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
