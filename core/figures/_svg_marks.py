"""The marks every static SVG figure draws with (Explore's and Results'): the ``<svg>`` element,
text, lines, dots that name themselves on hover, round ticks and the linear baseline's lines.
Plain strings, no plotting library."""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.data import BaselineResult


VAL, TEST, GRID, TEXT = "#1f77b4", "#ff7f0e", "#e5e5e5", "#444"


def svg(width: int, height: int, label: str, body: list[str]) -> str:
    """One line (markdown would split a multi-line block), scaled to the column's width."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px" role="img" aria-label="{escape(label)}" '
        f'font-family="sans-serif" font-size="12" fill="{TEXT}">' + "".join(body) + "</svg>"
    )


def text(x: float, y: float, s: str, anchor: str = "middle", **attrs: Any) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(s)}</text>'


def polyline(points: list[tuple[float, float]], color: str, **attrs: Any) -> str:
    if len(points) < 2:
        return ""
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"{extra}/>'


def dot(x: float, y: float, color: str, title: str, r: float = 4, **attrs: Any) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return (
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{color}"{extra}>'
        f"<title>{escape(title)}</title></circle>"
    )


def ticks(lo: float, hi: float, most: int = 6) -> list[float]:
    """Round tick values from ``lo`` to ``hi``: at most ``most`` of them, on a 1-2-2.5-5 step."""
    span = (hi - lo) or 1.0
    mag = 10 ** math.floor(math.log10(span))
    step = next(m * mag for m in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10) if span / (m * mag) < most)
    first = math.ceil(lo / step - 1e-9) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def nice_max(v: float) -> float:
    """A round axis top at or above ``v`` (0.693 -> 0.7, 2.3 -> 2.5)."""
    if v <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(v))
    return next(m * mag for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 10) if m * mag >= v)


def baseline_lines(
    baseline: BaselineResult, x0: float, x1: float, sy: Any, label: bool = False
) -> list[str]:
    """The linear baseline's validation and test accuracy as dashed lines from ``x0`` to ``x1``
    at heights ``sy(accuracy)``, each naming itself on hover (and, with ``label``, in a small
    caption above its left end)."""
    out = []
    for acc, name, color in (
        (baseline.val_accuracy, "validation", VAL),
        (baseline.test_accuracy, "test", TEST),
    ):
        y = sy(acc)
        tip = f"TF-IDF + logistic regression baseline: {name} {acc:.1%}"
        out.append(
            f'<line x1="{x0}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{color}" stroke-width="1.5" stroke-dasharray="6 4" opacity="0.8">'
            f"<title>{escape(tip)}</title></line>"
        )
        if label:
            caption = f"baseline, {name} {acc:.1%}"
            out.append(text(x0 + 6, y - 4, caption, anchor="start", fill=color, font_size="10"))
    return out
