"""One way to draw a knob: the widget, its help and its range all come from the knob itself."""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from core.knobs import PRESETS, Knob


def _preset_values(name: str) -> set[Any]:
    return {p[name] for fam in PRESETS.values() for p in fam.values() if name in p}


def log_options(knob: Knob, default: Any = None) -> list[int]:
    """Slider stops for an integer knob on a log scale, plus its default (``default``, else the
    knob's own) and preset values.

    Powers of two for narrow ranges (sizes), 1-2-5 steps for wide ones (step counts).
    """
    low, high = int(knob.low or 1), int(knob.high or 1)
    if high / low < 1000:
        stops = {2**i for i in range(int(math.log2(high)) + 1)}
    else:
        stops = {m * 10**e for e in range(int(math.log10(high)) + 1) for m in (1, 2, 5)}
    stops |= {knob.default, int(default if default is not None else knob.default)}
    stops |= {int(v) for v in _preset_values(knob.name)}
    return sorted(v for v in stops if low <= v <= high)


def _slides_log10(knob: Knob) -> bool:
    """A float knob on a log scale slides over the exponent (learning_rate, init spread)."""
    return knob.type is float and knob.log


def knob_key(prefix: str, knob: Knob) -> str:
    """Session-state key of a knob's widget (log-scale floats slide over log10 values)."""
    suffix = "_log10" if _slides_log10(knob) else ""
    return f"{prefix}_{knob.name}{suffix}"


def widget_value(knob: Knob, value: Any) -> Any:
    """A knob value as its widget holds it."""
    if _slides_log10(knob):
        return round(math.log10(float(value)), 4)  # 3e-3 stays 3e-3, not 10^-2.5
    if knob.type is int and knob.log:
        return int(value)
    return value


def set_knob_values(prefix: str, knobs: list[Knob], values: dict[str, Any]) -> None:
    """Put knob values into the widgets' session state (for a preset button's callback)."""
    for k in knobs:
        st.session_state[knob_key(prefix, k)] = widget_value(k, values.get(k.name, k.default))


def render_knob(
    knob: Knob,
    prefix: str,
    *,
    default: Any = None,
    disabled: bool = False,
    note: str = "",
    on_change: Any = None,
) -> Any:
    """Draw the widget for ``knob`` (its help from the config) and return the knob's value.

    ``default``: where the widget starts (such as a value fitted to the data); None: the knob's
    own default.
    """
    key = knob_key(prefix, knob)
    default = knob.default if default is None else default
    st.session_state.setdefault(key, widget_value(knob, default))
    help_text = knob.help + (f" {note}" if note else "")
    common = {
        "key": key,
        "help": help_text,
        "disabled": disabled,
        "on_change": on_change,
        "args": (knob.name,) if on_change else None,
    }
    if _slides_log10(knob):
        exponent = st.slider(
            f"{knob.name} (log10)",
            math.log10(knob.low),
            math.log10(knob.high),
            step=0.1,
            format="10^%.1f",
            **common,
        )
        value = float(f"{10**exponent:.3g}")
        st.caption(f"{knob.name} = {value:g}")
        return value
    if knob.type is bool:
        return st.toggle(knob.name, **common)
    if knob.choices is not None:
        if all(isinstance(c, int | float) for c in knob.choices):
            return st.select_slider(knob.name, options=list(knob.choices), **common)
        return st.selectbox(knob.name, options=list(knob.choices), **common)
    if knob.type is int and knob.log:
        return st.select_slider(knob.name, options=log_options(knob, default), **common)
    if knob.type is int:
        if knob.step is None and knob.high - knob.low > 10000:  # a seed, not a size
            return int(st.number_input(knob.name, int(knob.low), int(knob.high), step=1, **common))
        return st.slider(
            knob.name, int(knob.low), int(knob.high), step=int(knob.step or 1), **common
        )
    step = knob.step or round((knob.high - knob.low) / 100, 6)
    return st.slider(knob.name, float(knob.low), float(knob.high), step=float(step), **common)
