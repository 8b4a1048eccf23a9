"""The pages' figure and table builders: data in, figure out, checked by equality."""

from __future__ import annotations

import pandas as pd

from core.figures._prediction import build_highlighted_html, get_top_words
from core.figures._run_curves import build_runs_figure, run_curve_svg
from core.figures._study import build_comparison_figure
from core.training._predict import Prediction


def _prediction() -> Prediction:
    text = "<b>great</b> film, dull plot"
    return Prediction(
        label="positive",
        probability=0.8,
        probabilities={"negative": 0.2, "positive": 0.8},
        text=text,
        words=[(3, 8), (13, 17), (19, 23), (24, 28)],
        scores=[0.5, 0.0, -0.25, 0.1],
        method="occlusion",
        truncated=False,
    )


def test_highlighted_html_escapes_and_colours() -> None:
    html = build_highlighted_html(_prediction())
    assert "<b>" not in html and "&lt;b&gt;" in html  # the review's own markup is shown as text
    assert 'title="+0.500">great</span>' in html
    assert "rgba(218, 54, 51, 0.42)" in html  # "dull": half the top score, against the label


def test_top_words_by_absolute_score() -> None:
    table = get_top_words(_prediction(), k=2)
    assert table.to_dict("records") == [
        {"word": "great", "score": 0.5},
        {"word": "dull", "score": -0.25},
    ]


def test_runs_figure_marks_this_run() -> None:
    trials = pd.DataFrame(
        {
            "study": ["playground-cnn", "playground-cnn", "cnn"],
            "number": [0, 1, 0],
            "value": [0.8, 0.85, None],
            "dropout": [0.1, 0.3, 0.2],
        }
    )
    fig = build_runs_figure(trials, "dropout", latest=("playground-cnn", 1))
    assert [t.name for t in fig.data] == ["playground-cnn", "this run"]  # no value: not drawn
    assert list(fig.data[1].x) == [0.3] and list(fig.data[1].y) == [0.85]


def test_comparison_is_best_so_far() -> None:
    frame = pd.DataFrame(
        {
            "number": [0, 1, 2],
            "state": ["COMPLETE", "PRUNED", "COMPLETE"],
            "value": [0.7, None, 0.6],
        }
    )
    fig = build_comparison_figure({"a": frame})
    assert list(fig.data[0].x) == [0, 2] and list(fig.data[0].y) == [0.7, 0.7]
    assert fig.layout.xaxis.title.text == "trial number"


def test_comparison_is_against_steps_spent_in_finishing_order() -> None:
    """A pruned trial's steps count toward what the study spent; the points sit at the steps
    spent when each completed trial finished, so two studies compare at equal compute."""
    t = pd.Timestamp("2026-01-01")
    frame = pd.DataFrame(
        {
            "number": [0, 1, 2, 3],
            "state": ["COMPLETE", "PRUNED", "COMPLETE", "RUNNING"],
            "value": [0.7, None, 0.8, None],
            "steps": [500, 100, 300, 200],
            # trial 2 finished before trial 0 (two workers)
            "datetime_complete": [t + pd.Timedelta(3, "s"), t, t + pd.Timedelta(1, "s"), None],
        }
    )
    unpruned = pd.DataFrame(
        {"number": [0], "state": ["COMPLETE"], "value": [0.75], "steps": [1000]}
    )
    fig = build_comparison_figure({"a": frame, "b": unpruned})
    assert fig.layout.xaxis.title.text == "training steps spent"
    assert list(fig.data[0].x) == [400, 900] and list(fig.data[0].y) == [0.8, 0.8]
    assert list(fig.data[1].x) == [1000]


def test_history_svg_draws_both_curves_to_scale() -> None:
    import xml.etree.ElementTree as ET

    history = [
        {"step": 100, "train_loss": 0.6, "val_accuracy": 0.80},
        {"step": 200, "train_loss": 0.3, "val_accuracy": 0.86},
    ]
    root = ET.fromstring(run_curve_svg(history, width=300, height=120))
    ns = "{http://www.w3.org/2000/svg}"
    loss, acc = root.findall(f"{ns}polyline")
    text = " ".join(t.text for t in root.iter(f"{ns}text"))
    assert "86.0%" in text and "step 200" in text and "0.300" in text

    def ys(line):
        return [float(p.split(",")[1]) for p in line.get("points").split()]

    # loss falls (y grows downwards), accuracy rises; the loss maximum touches the top
    assert ys(loss)[0] < ys(loss)[1] and ys(acc)[0] > ys(acc)[1]
    assert ys(loss)[0] == min(ys(loss) + ys(acc))
    assert len(list(root.iter(f"{ns}circle"))) == 4
    # without any evaluation there is nothing to draw, and nothing breaks
    assert ET.fromstring(run_curve_svg([])).findall(f"{ns}polyline") == []


def test_runs_figure_draws_the_baseline_when_given() -> None:
    from core.data._baseline import BaselineResult

    trials = pd.DataFrame({"study": ["cnn"], "number": [0], "value": [0.8], "dropout": [0.1]})
    base = BaselineResult(0.9, 0.89, 4.0, {}, 1, {}, 1.0, 1.0, "fp", "src", "stamp")
    fig = build_runs_figure(trials, "dropout", baseline=base)
    assert sorted(s.y0 for s in fig.layout.shapes) == [0.89, 0.9]
    assert not build_runs_figure(trials, "dropout").layout.shapes
