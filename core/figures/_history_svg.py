"""The Results page's default figure, the optimisation history, as static SVG.

The plotly history (:func:`~core.figures._study.build_history_figure`) needs plotly.js, a
4.7 MB bundle a new visitor's browser parses for over a second on a small machine, plus every
trial's point as JSON (1 MB at 50,000 trials). This draws the same history in a few kB:

- up to ``max_points`` trials: one dot per finished trial, coloured by state, each naming its
  trial on hover;
- more: every trial counted in a grid of cells (darker: more trials), one layer per state, so the
  size of the page does not grow with the study;
- the best value so far as a step line, and the linear baseline as dashed lines.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

import numpy as np
import optuna
from optuna.study import StudyDirection
from optuna.trial import TrialState
from PIL import Image

from core.figures._base import STATE_COLORS
from core.figures._svg_marks import GRID, baseline_lines, dot, polyline, svg, text, ticks
from core.studies import DRAWN_STATES, TrialPoints, drawn_mask, trial_points

if TYPE_CHECKING:
    from core.data import BaselineResult


DOT_LIMIT = 2000  # up to this many trials, a dot each; above, a density image
_BEST = "#222222"


def history_svg(
    study: optuna.Study, baseline: BaselineResult | None = None, max_points: int | None = None
) -> tuple[str, str]:
    """(the SVG, a note for under it) for a single-objective study."""
    if len(study.directions) != 1:
        raise ValueError("the history figure needs a study with one objective.")
    points = trial_points(study.get_trials(deepcopy=False))
    return points_svg(points, study.direction == StudyDirection.MAXIMIZE, baseline, max_points)


def points_svg(
    points: TrialPoints,
    maximize: bool,
    baseline: BaselineResult | None = None,
    max_points: int | None = None,
) -> tuple[str, str]:
    """:func:`history_svg` from the points (e.g. kept up to date by a
    :class:`~core.studies._summary.SummaryTracker`); points without a finite value or with a
    state the history does not draw are left out. Above ``max_points`` (default
    :data:`DOT_LIMIT`) drawn points, a density image instead of a dot each."""
    keep = _drawn(points)
    number, value, state = points.number[keep], points.value[keep], points.state[keep]
    n_points = int(keep.sum())

    width, height, left, right, top, bottom = 940, 330, 56, 920, 20, 290
    x_hi = float(max(number.max(initial=0), 1))
    refs = [] if baseline is None else [baseline.val_accuracy, baseline.test_accuracy]
    lo, hi = _value_range(np.concatenate([value, np.asarray(refs, dtype=float)]))

    def sx(n: float) -> float:
        return left + n / x_hi * (right - left)

    def sy(v: float) -> float:
        return bottom - (min(max(v, lo), hi) - lo) / ((hi - lo) or 1) * (bottom - top)

    body = []
    for v in ticks(lo, hi):
        y = sy(v)
        body.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(text(left - 4, y + 4, f"{v:.0%}" if hi <= 1 else f"{v:g}", anchor="end"))
    for n in ticks(0, x_hi, most=8):
        body.append(text(sx(n), bottom + 16, f"{n:,.0f}"))
    body.append(text((left + right) / 2, bottom + 34, "trial"))

    if not draws_density(points, max_points):
        for name, code in ((s.name, s.value) for s in DRAWN_STATES):
            for n, v in zip(number[state == code], value[state == code], strict=True):
                title = f"trial #{n}, {name.lower()}: {v:.4f}"
                body.append(dot(sx(n), sy(v), STATE_COLORS[name], title, r=3, opacity="0.75"))
        note = f"All {n_points:,} finished trials, one dot each (hover one to name it)."
    else:
        body.append(
            _density(number, value, state, x_hi, lo, hi, (left, top, right - left, bottom - top))
        )
        note = (
            f"All {n_points:,} finished trials, counted in cells (darker: more trials) so the "
            "page stays small; switch on Interactive charts to see each one."
        )

    steps = _best_steps(number, value, state == TrialState.COMPLETE.value, maximize)
    if steps:
        pts = [(sx(n), sy(v)) for n, v in steps]
        best = steps[-1][1]
        body.append(polyline(pts, _BEST, stroke_linejoin="miter"))
        body.append(dot(pts[-1][0], pts[-1][1], _BEST, f"best so far: {best:.4f}", r=4))
    if baseline is not None:
        body += baseline_lines(baseline, left, right, sy, label=True)
    legend_x = left
    for name, color in [(s.name.lower(), STATE_COLORS[s.name]) for s in reversed(DRAWN_STATES)] + [
        ("best so far", _BEST)
    ]:
        body.append(f'<circle cx="{legend_x + 5}" cy="10" r="4" fill="{color}"/>')
        body.append(text(legend_x + 13, 14, name, anchor="start"))
        legend_x += 24 + 7 * len(name)
    label = f"Optimisation history of {n_points} trials"
    return svg(width, height, label, body), note


def draws_density(points: TrialPoints, max_points: int | None = None) -> bool:
    """Whether :func:`points_svg` draws these points as a density image (nothing to hover) rather
    than a dot each: it counts only the points it draws."""
    return int(_drawn(points).sum()) > (DOT_LIMIT if max_points is None else max_points)


def _drawn(points: TrialPoints) -> np.ndarray:
    return drawn_mask(points.state, points.value)


def _value_range(values: np.ndarray) -> tuple[float, float]:
    """The axis range: the values' spread plus a margin; within 0..1 for accuracies."""
    if values.size == 0:
        return 0.0, 1.0
    lo, hi = float(np.min(values)), float(np.max(values))
    pad = max((hi - lo) * 0.05, 0.01)
    lo, hi = lo - pad, hi + pad
    if float(np.min(values)) >= 0 and float(np.max(values)) <= 1:
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    return lo, hi


def _best_steps(
    number: np.ndarray, value: np.ndarray, complete: np.ndarray, maximize: bool
) -> list[tuple[float, float]]:
    """The best completed value so far as (trial, value) corners of a step line."""
    order = np.argsort(number[complete], kind="stable")
    n, v = number[complete][order], value[complete][order]
    if n.size == 0:
        return []
    best = np.maximum.accumulate(v) if maximize else np.minimum.accumulate(v)
    change = np.flatnonzero(np.r_[True, best[1:] != best[:-1]])
    pts: list[tuple[float, float]] = []
    for i in change:
        if pts:
            pts.append((float(n[i]), pts[-1][1]))
        pts.append((float(n[i]), float(best[i])))
    pts.append((float(number.max()), pts[-1][1]))
    return pts


def _density(number, value, state, x_hi, lo, hi, box) -> str:
    """Every trial counted in cells of about 3 x 3 px, one translucent layer per state composited
    into a small PNG (a few kB whatever the study's size) placed over the plot area ``box``
    (left, top, width, height)."""
    left, top, w, h = box
    nx, ny = int(w // 3), int(h // 3)
    rgb = np.ones((ny, nx, 3))  # white paper
    for name, code in ((s.name, s.value) for s in DRAWN_STATES):
        keep = state == code
        if not keep.any():
            continue
        counts, _, _ = np.histogram2d(
            np.clip(value[keep], lo, hi), number[keep], bins=(ny, nx), range=((lo, hi), (0, x_hi))
        )
        counts = counts[::-1]  # image rows run top to bottom
        alpha = np.where(counts > 0, 0.3 + 0.7 * np.log1p(counts) / np.log1p(counts.max()), 0.0)
        color = np.array([int(STATE_COLORS[name][i : i + 2], 16) / 255 for i in (1, 3, 5)])
        rgb = rgb * (1 - alpha[..., None]) + color * alpha[..., None]
    buf = io.BytesIO()
    Image.fromarray((rgb * 255).round().astype(np.uint8), "RGB").save(buf, "PNG", optimize=True)
    data = base64.b64encode(buf.getvalue()).decode()
    return (
        f'<image x="{left}" y="{top}" width="{w}" height="{h}" preserveAspectRatio="none" '
        f'style="image-rendering:pixelated" href="data:image/png;base64,{data}"/>'
    )


def markdown_image(svg: str, alt: str) -> str:
    """``svg`` as a Markdown image (a data URI), for a picture nobody hovers: the browser draws it
    as an ``<img>``, with no HTML to parse (raw HTML in Markdown makes a new visitor's browser
    load and compile one more script)."""
    data = base64.b64encode(svg.encode()).decode()
    return f"![{alt.replace(']', ')')}](data:image/svg+xml;base64,{data})"
