"""The Explore page's figures as static SVG: the same data as :mod:`landscape_figures`, drawn
for almost nothing.

plotly.js is a 4.7 MB bundle that a new visitor's browser fetches and parses before the first
chart appears, and each slider move redraws three plotly figures. A few kB of inline SVG cost
neither;
each mark carries a ``<title>``, so hovering still names the point. The plotly figures stay one
toggle away for zooming and hovering.

- :func:`curves_svg`: one point's validation curve and training loss, the previous point faded;
- :func:`sweep_svg`: validation and test accuracy against one knob, the others held;
- :func:`heatmap_svg`: validation (or test) accuracy over two knobs, the others held.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from plotly.colors import sample_colorscale

from core.figures._svg_marks import GRID as _GRID
from core.figures._svg_marks import TEST as _TEST
from core.figures._svg_marks import TEXT as _TEXT
from core.figures._svg_marks import VAL as _VAL
from core.figures._svg_marks import baseline_lines
from core.figures._svg_marks import dot as _dot
from core.figures._svg_marks import nice_max as _nice_max
from core.figures._svg_marks import polyline as _polyline
from core.figures._svg_marks import svg as _svg
from core.figures._svg_marks import text as _text
from core.figures._svg_marks import ticks as _ticks
from core.studies import Landscape, LandscapePoint, describe_point, format_value

if TYPE_CHECKING:
    from core.data import BaselineResult


_LOSS, _EXTRA, _HERE = "#7f7f7f", "#2ca02c", "#000"


# --------------------------------------------------------------------------------------------
# Curves
# --------------------------------------------------------------------------------------------


def curves_svg(point: LandscapePoint | None, previous: LandscapePoint | None = None) -> str:
    """Validation accuracy (left) and training loss (right) against the step, for ``point``
    and, faded and dotted, for ``previous``: as :func:`~landscape_figures.build_curves_figure`."""
    width, height, panel_w, gap = 940, 250, 410, 62
    top, bottom, left = 28, 200, 48
    shown = [p for p in (previous, point) if p is not None]
    steps = [r["step"] for p in shown for r in p.history]
    x_hi = max(steps, default=1) or 1
    losses = [r["train_loss"] for p in shown for r in p.history if "train_loss" in r]
    panels = (
        ("val_accuracy", "validation accuracy", 0.4, 1.0, lambda v: f"{v:.0%}", _VAL),
        ("train_loss", "training loss", 0.0, _nice_max(max(losses, default=1.0)), _fmt_loss, _LOSS),
    )
    body: list[str] = []
    for i, (metric, title, lo, hi, fmt, color) in enumerate(panels):
        x0 = left + i * (panel_w + gap)

        def sx(step: float, x0: float = x0) -> float:
            return x0 + step / x_hi * panel_w

        def sy(v: float, lo: float = lo, hi: float = hi) -> float:
            return bottom - (min(max(v, lo), hi) - lo) / ((hi - lo) or 1) * (bottom - top)

        body.append(_text(x0 + panel_w / 2, 16, title, font_weight="bold"))
        for v in _ticks(lo, hi):
            y = sy(v)
            body.append(
                f'<line x1="{x0}" x2="{x0 + panel_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{_GRID}"/>'
            )
            body.append(_text(x0 - 4, y + 4, fmt(v), anchor="end"))
        for step in (0, x_hi / 2, x_hi):
            body.append(_text(sx(step), bottom + 16, f"{step:g}"))
        body.append(_text(x0 + panel_w / 2, bottom + 32, "step"))
        for p, faded in ((previous, True), (point, False)):
            if p is None:
                continue
            xy = [(r["step"], r[metric]) for r in p.history if metric in r]
            style = {"opacity": 0.35, "stroke_dasharray": "4 3"} if faded else {}
            body.append(_polyline([(sx(s), sy(v)) for s, v in xy], color, **style))
            if metric == "val_accuracy":
                who = "previous point" if faded else "this point"
                body += [
                    _dot(
                        sx(s),
                        sy(v),
                        color,
                        f"{who}, step {s:g}: {v:.1%}",
                        r=3,
                        opacity=0.35 if faded else 1,
                    )
                    for s, v in xy
                ]
    legend = "solid: this point" + ("; faded, dotted: the previous point" if previous else "")
    body.append(_text(left, height - 4, legend, anchor="start", font_size=11))
    return _svg(width, height, "learning curves of this point", body)


def _fmt_loss(v: float) -> str:
    return f"{v:.2g}"


# --------------------------------------------------------------------------------------------
# Sweep
# --------------------------------------------------------------------------------------------


def _positions(values: Sequence[Any]) -> tuple[list[float], Any]:
    """Grid values evenly spaced (as the grid was chosen, often on a log scale), and a function
    placing any value between or beyond them (None for a value that is not numeric)."""
    n = len(values)
    xs = [(i + 0.5) / n for i in range(n)]
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if not numeric or n < 2:
        return xs, lambda v: xs[list(values).index(v)] if v in values else None
    log = min(values) > 0
    keys = [math.log(v) if log else float(v) for v in values]

    def place(v: Any) -> float | None:
        if not isinstance(v, int | float) or (log and v <= 0):
            return None
        k = math.log(v) if log else float(v)
        i = max(0, min(n - 2, sum(1 for g in keys[1:-1] if g <= k)))
        t = (k - keys[i]) / ((keys[i + 1] - keys[i]) or 1)
        return min(1.0, max(0.0, xs[i] + t * (xs[i + 1] - xs[i])))

    return xs, place


def sweep_svg(
    land: Landscape,
    knob: str,
    at: dict[str, Any],
    extra: Sequence[tuple[Any, float | None, float | None]] = (),
    baseline: BaselineResult | None = None,
) -> str:
    """Accuracy against ``knob``, every other knob held at ``at``; the current value ringed;
    ``extra`` (off-grid runs, ``(value, val, test)``) as diamonds; ``baseline`` (the linear
    baseline on the same data) as two dashed lines. As
    :func:`~landscape_figures.build_sweep_figure`."""
    width, height, left, right, top, bottom = 940, 290, 56, 20, 30, 230
    sweep = land.sweep(knob, at)
    values = [v for v, _ in sweep]
    xs, place = _positions(values)
    accs = [
        a
        for _, p in sweep
        if p is not None
        for a in (p.val_accuracy, p.test_accuracy)
        if a is not None
    ] + [a for _, val, test in extra for a in (val, test) if a is not None]
    if baseline is not None:
        accs += [baseline.val_accuracy, baseline.test_accuracy]
    lo = math.floor(min(accs, default=0.5) * 20) / 20
    hi = min(1.0, math.ceil(max(accs, default=1.0) * 20) / 20)
    lo, hi = (lo, hi) if hi - lo >= 0.1 else (max(0.0, hi - 0.1), hi)

    def sx(f: float) -> float:
        return left + f * (width - left - right)

    def sy(v: float) -> float:
        return bottom - (v - lo) / ((hi - lo) or 1) * (bottom - top)

    held = {k: v for k, v in at.items() if k != knob and land.applies(k, at)}
    body = [_text(left, 16, f"held: {describe_point(held)}", anchor="start", font_size=11)]
    for v in _ticks(lo, hi):
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{sy(v):.1f}" y2="{sy(v):.1f}" '
            f'stroke="{_GRID}"/>'
        )
        body.append(_text(left - 4, sy(v) + 4, f"{v:.0%}", anchor="end"))
    for x, v in zip(xs, values, strict=True):
        body.append(_text(sx(x), bottom + 16, format_value(v)))
    body.append(_text(sx(0.5), bottom + 34, knob, font_weight="bold"))
    for metric, name, color in (
        ("val_accuracy", "validation", _VAL),
        ("test_accuracy", "test", _TEST),
    ):
        run: list[tuple[float, float]] = []
        for x, (v, p) in zip(xs, sweep, strict=True):
            a = getattr(p, metric) if p is not None else None
            if a is None:  # a gap: an untrained or failed point breaks the line
                body.append(_polyline(run, color))
                run = []
                continue
            run.append((sx(x), sy(a)))
            body.append(
                _dot(sx(x), sy(a), color, f"{knob}={format_value(v)}: {name} {a:.1%} ({_note(p)})")
            )
        body.append(_polyline(run, color))
    here = land.point(at)
    x_here = place(at.get(knob))
    if here is not None and here.val_accuracy is not None and x_here is not None:
        body.append(
            f'<circle cx="{sx(x_here):.1f}" cy="{sy(here.val_accuracy):.1f}" r="9" fill="none" '
            f'stroke="{_HERE}" stroke-width="2.5"><title>this point</title></circle>'
        )
    if baseline is not None:
        body += baseline_lines(baseline, left, width - right, sy)
    for v, val, test in extra:
        x = place(v)
        if x is None or val is None:
            continue
        cx, cy = sx(x), sy(val)
        tip = f"{knob}={format_value(v)}, trained off the grid: validation {val:.1%}" + (
            f", test {test:.1%}" if test is not None else ""
        )
        body.append(
            f'<path d="M{cx:.1f},{cy - 7:.1f} L{cx + 7:.1f},{cy:.1f} L{cx:.1f},{cy + 7:.1f} '
            f'L{cx - 7:.1f},{cy:.1f} Z" fill="{_EXTRA}"><title>{escape(tip)}</title></path>'
        )
    legend = [("validation", _VAL), ("test", _TEST)] + (
        [("trained off the grid", _EXTRA)] if extra else []
    )
    if baseline is not None:
        legend.append(("TF-IDF baseline (dashed)", _LOSS))
    x = left
    for name, color in legend:
        body.append(f'<rect x="{x}" y="{height - 14}" width="12" height="4" fill="{color}"/>')
        body.append(_text(x + 16, height - 8, name, anchor="start", font_size=11))
        x += 30 + 7 * len(name)
    return _svg(width, height, f"accuracy against {knob}", body)


def _note(p: LandscapePoint | None) -> str:
    if p is None:
        return "not trained"
    if p.status not in ("completed", "early_stopped"):
        return p.status
    return f"trial #{p.number}"


# --------------------------------------------------------------------------------------------
# Heatmap
# --------------------------------------------------------------------------------------------


def heatmap_svg(
    land: Landscape, x: str, y: str, at: dict[str, Any], metric: str = "val_accuracy"
) -> str:
    """``metric`` over ``x`` (columns) and ``y`` (rows), the others held; the current cell boxed
    in red. Colours: Viridis from 50 % (chance for two classes) to the best cell."""
    z = land.table(x, y, at, metric)
    xv, yv = land.axes[x], land.axes[y]
    left, top, cell_h, width, right = 90, 30, 34, 940, 20
    cell_w = (width - left - right) / max(1, len(xv))
    height = top + cell_h * len(yv) + 44
    found = [v for row in z for v in row if v is not None]
    zmin, zmax = 0.5, max(found, default=1.0)
    name = "validation" if metric == "val_accuracy" else "test"
    held = {k: v for k, v in at.items() if k not in (x, y) and land.applies(k, at)}
    body = [
        _text(
            left, 16, f"{name} accuracy; held: {describe_point(held)}", anchor="start", font_size=11
        )
    ]
    for r, (yval, row) in enumerate(zip(yv, z, strict=True)):
        ty = top + r * cell_h
        body.append(_text(left - 6, ty + cell_h / 2 + 4, format_value(yval), anchor="end"))
        for c, (xval, v) in enumerate(zip(xv, row, strict=True)):
            tx = left + c * cell_w
            where = f"{x}={format_value(xval)}, {y}={format_value(yval)}"
            if v is None:
                fill, label, ink, tip = "#f0f0f0", "–", _TEXT, f"{where}: not trained"
            else:
                t = min(1.0, max(0.0, (v - zmin) / ((zmax - zmin) or 1)))
                fill = sample_colorscale("Viridis", [t])[0]
                label, ink, tip = f"{v:.1%}", "#fff" if t < 0.6 else "#000", f"{where}: {v:.1%}"
            body.append(
                f'<rect x="{tx:.1f}" y="{ty:.1f}" width="{cell_w:.1f}" height="{cell_h}" '
                f'fill="{fill}" stroke="#fff"><title>{escape(tip)}</title></rect>'
            )
            body.append(_text(tx + cell_w / 2, ty + cell_h / 2 + 4, label, fill=ink))
    if at.get(x) in xv and at.get(y) in yv:
        bx = left + xv.index(at[x]) * cell_w
        by = top + yv.index(at[y]) * cell_h
        body.append(
            f'<rect x="{bx + 1.5:.1f}" y="{by + 1.5:.1f}" width="{cell_w - 3:.1f}" '
            f'height="{cell_h - 3}" fill="none" stroke="red" stroke-width="3">'
            "<title>this point</title></rect>"
        )
    for c, xval in enumerate(xv):
        body.append(
            _text(left + (c + 0.5) * cell_w, top + cell_h * len(yv) + 16, format_value(xval))
        )
    body.append(_text(left + (width - left - right) / 2, height - 6, x, font_weight="bold"))
    body.append(
        _text(
            14,
            top + cell_h * len(yv) / 2,
            y,
            font_weight="bold",
            transform=f"rotate(-90 14 {top + cell_h * len(yv) / 2:.1f})",
        )
    )
    return _svg(width, height, f"{name} accuracy over {x} and {y}", body)
