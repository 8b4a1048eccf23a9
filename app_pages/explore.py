"""Explore: precomputed landscapes (grid studies), so every slider answers at once, no training.

One ``select_slider`` per landscape knob, on the grid's values. Moving one shows that point's
validation and test accuracy and its curves (the previous point's faded beside them), the sweep
over the knob just moved (the others held: the report's one-knob-at-a-time table, around any
baseline) and a heatmap of any two knobs. The link carries the point (``?embedding_dim=64&...``)
and takes the Playground's exercise links (``?hide=...&lock=...``).

In the full app a point off the grid can be trained through the Playground's job workers; it is
stored as a Playground run and drawn on the sweep beside the grid's points.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from app_pages._landscapes import cached_landscape, choose_landscapes
from app_pages._resources import (
    current_dataset,
    data_config,
    get_job_manager,
    get_owner_id,
    show_error,
)
from app_pages._sidebar import follow_link, update_link
from core.data import load_baseline, loaded_fingerprint
from core.errors import ConfigError, ExplorerError
from core.figures import (
    build_curves_figure,
    build_heatmap_figure,
    build_sweep_figure,
    curves_svg,
    heatmap_svg,
    sweep_svg,
)
from core.knobs import get_knob, parse_exercise
from core.settings import get_storage_url, is_read_only
from core.studies import (
    describe_point,
    format_value,
    off_grid_points,
)

st.session_state.setdefault("explore_previous", None)  # the point shown before the last move
st.session_state.setdefault("explore_shown", None)  # the point shown now
st.session_state.setdefault("explore_moved", None)  # the knob moved last
st.session_state.setdefault("explore_job", None)

st.title("Explore")
st.caption(
    "Every point of these grids was trained once and stored, so moving a slider answers at "
    "once, here and in the read-only viewer. Accuracy is on validation (rows held out of "
    "train); test is the full test set, reported only."
)


exercise = parse_exercise(st.query_params.get("hide"), st.query_params.get("lock"))
for problem in exercise.problems:
    st.warning(f"The link's exercise: {problem}")

storage_url, found = choose_landscapes(exercise.family)
current = current_dataset()

names = [n for n, _ in found]
asked = follow_link("landscape", names)
if asked is not None:
    st.warning(f"The link's landscape '{asked[:60]}' is not in this storage.")
if st.session_state.get("landscape") not in names:
    st.session_state["landscape"] = names[0]
study = (
    st.segmented_control(
        "Landscape",
        names,
        key="landscape",
        on_change=update_link,
        args=("landscape",),
        help="One grid study per model family.",
    )
    or names[0]
)

try:
    land = cached_landscape(study, storage_url)
except ExplorerError as err:
    show_error(err)
    st.stop()
if land.dataset:
    trained_on = land.dataset
elif land.data_fingerprint and land.data_fingerprint == loaded_fingerprint(data_config()):
    trained_on = current.name
else:  # stored before runs kept their dataset's name: the content hash is all there is
    trained_on = f"data {land.data_fingerprint[:8]}" if land.data_fingerprint else "unknown data"
st.caption(
    f"{land.description} {len(land.points)} of {land.distinct_size} distinct points trained"
    f" ({land.n_trials} trials) on **{trained_on}**. Held: {describe_point(land.held_shown())}."
)


def _slider_key(knob: str) -> str:
    return f"explore_{study}_{knob}"


def _moved(knob: str) -> None:
    """A slider moved: remember the point shown before it, and keep the link in step."""
    st.session_state["explore_previous"] = st.session_state["explore_shown"]
    st.session_state["explore_moved"] = knob
    st.session_state["explore_sweep"] = knob


# Where the sliders start: the link's point, else the best validation point.
start = land.default_point()
for knob, values in land.axes.items():
    raw = st.query_params.get(knob)
    by_text = {format_value(v): v for v in values}
    if raw is not None and raw not in by_text:
        st.warning(
            f"The link's {knob}={raw[:30]} is not a point of this grid "
            f"({', '.join(by_text)}); it starts at {format_value(start[knob])}."
        )
    key = _slider_key(knob)
    if raw in by_text and st.session_state.get(f"_link_{key}") != raw:
        st.session_state[key] = by_text[raw]
        st.session_state[f"_link_{key}"] = raw
    locked = exercise.locked.get(knob)
    if locked is not None:
        if locked in values:
            st.session_state[key] = locked
        else:
            st.warning(f"lock: {knob}={locked:g} is not a point of this grid; it stays free.")
    if knob in exercise.hidden:
        default = get_knob(knob).default
        st.session_state[key] = default if default in values else start[knob]
    st.session_state.setdefault(key, start[knob])

at: dict = {}
columns = st.columns(min(len(land.axes), 4) or 1)
shown = [k for k in land.axes if k not in exercise.hidden]
for knob in land.axes:
    at[knob] = st.session_state[_slider_key(knob)]
for i, knob in enumerate(shown):
    with columns[i % len(columns)]:
        locked = exercise.locked.get(knob) in land.axes[knob]
        applies = land.applies(knob, at)
        help_text = get_knob(knob).help + ("" if applies else " (Does not apply at this point.)")
        at[knob] = st.select_slider(
            (":material/lock: " if locked else "") + knob,
            options=land.axes[knob],
            format_func=format_value,
            key=_slider_key(knob),
            on_change=_moved,
            args=(knob,),
            disabled=locked or not applies,
            help=help_text,
        )
        if exercise.active:
            st.caption(get_knob(knob).help)

for knob in land.axes:  # the link carries the whole point, so the page can be sent as it is
    if knob not in exercise.hidden and st.query_params.get(knob) != format_value(at[knob]):
        st.query_params[knob] = format_value(at[knob])
        st.session_state[f"_link_{_slider_key(knob)}"] = format_value(at[knob])
point = land.point(at)
previous_at = st.session_state["explore_previous"]
previous = land.point(previous_at) if isinstance(previous_at, dict) else None
if previous is point:
    previous = None
st.session_state["explore_shown"] = dict(at)


def _draw(svg: Callable[[], str], figure: Callable[[], Any], key: str) -> None:
    """A static SVG (a few kB: the first render and every slider move stay fast), or, with
    "Interactive charts" on, the plotly figure (zoom and hover, but plotly.js is a 4.7 MB
    bundle that a small machine parses for over a second)."""
    if st.session_state.get("explore_interactive"):
        st.plotly_chart(figure(), key=key)
    else:
        st.markdown(svg(), unsafe_allow_html=True)


def _pct(v: float | None) -> str:
    return f"{v:.1%}" if v is not None else "–"


def _delta(now: float | None, before: float | None) -> str | None:
    if now is None or before is None:
        return None
    return f"{(now - before) * 100:+.1f} pts"


if point is None:
    st.info("This point has not been trained (yet): the grid study may still be running.")
else:
    m = st.columns(4)
    m[0].metric(
        "validation accuracy",
        _pct(point.val_accuracy),
        _delta(point.val_accuracy, previous.val_accuracy if previous else None),
        help="Best validation accuracy over the run; the number the grid compares.",
    )
    m[1].metric(
        "test accuracy",
        _pct(point.test_accuracy),
        _delta(point.test_accuracy, previous.test_accuracy if previous else None),
        help="On the whole test set, with the checkpoint chosen on validation; reported only.",
    )
    m[2].metric("training time", f"{point.wall_s:.0f} s" if point.wall_s else "–")
    m[3].metric("parameters", f"{point.params:,}" if point.params else "–")
    if point.status not in ("completed", "early_stopped"):
        st.warning(f"This run {point.status}" + (f": {point.message}" if point.message else "."))
    _draw(
        lambda: curves_svg(point, previous),
        lambda: build_curves_figure(point, previous),
        "explore_curves",
    )
    if previous is not None:
        st.caption(f"Faded: the previous point ({describe_point(previous.values)}).")

st.subheader("Sweep: one knob, the others held")
sweepable = [k for k in land.axes if len(land.axes[k]) > 1]
st.session_state.setdefault("explore_sweep", st.session_state["explore_moved"] or sweepable[0])
if st.session_state["explore_sweep"] not in sweepable:
    st.session_state["explore_sweep"] = sweepable[0]
knob = st.selectbox(
    "Sweep over", sweepable, key="explore_sweep", help="Follows the slider you moved last."
)
extra = []
if not is_read_only():
    from app_pages._tables import load_family_trials

    runs = load_family_trials(land.model)
    extra = off_grid_points(land, runs, knob, at) if runs is not None else []
baseline = load_baseline(land.data_fingerprint)  # read from the cache, never computed here
_draw(
    lambda: sweep_svg(land, knob, at, extra, baseline),
    lambda: build_sweep_figure(land, knob, at, extra, baseline),
    "explore_sweep_chart",
)
if baseline is not None:
    st.caption(
        f"Dashed: TF-IDF unigrams and bigrams with logistic regression on the same reviews, "
        f"validation {baseline.val_accuracy:.1%}, test {baseline.test_accuracy:.1%}: the "
        "linear baseline a neural model has to beat."
    )
elif land.data_fingerprint and not is_read_only():
    st.caption("No linear baseline for this data yet: `python -m core.data._baseline` computes it.")

st.subheader("Two knobs at once")
c1, c2, c3 = st.columns([1, 1, 1])
x = c1.selectbox("Across", sweepable, index=0, key="explore_heat_x")
y_options = [k for k in sweepable if k != x] or sweepable
y = c2.selectbox("Down", y_options, index=min(1, len(y_options) - 1), key="explore_heat_y")
metric = c3.radio(
    "Accuracy",
    ["val_accuracy", "test_accuracy"],
    format_func=lambda m: "validation" if m == "val_accuracy" else "test",
    horizontal=True,
    key="explore_heat_metric",
)
_draw(
    lambda: heatmap_svg(land, x, y, at, metric),
    lambda: build_heatmap_figure(land, x, y, at, metric),
    "explore_heatmap",
)
st.toggle(
    "Interactive charts",
    key="explore_interactive",
    help="plotly charts you can zoom and hover. Slower to draw: the static charts above "
    "already name every point when you hover it.",
)

with st.expander("Which knobs matter most here"):
    effects = land.effects()
    st.caption(
        "For each knob: how far moving it alone changes validation accuracy (best minus worst "
        "along its sweep), the median over every setting of the other knobs."
    )
    # A markdown table: st.dataframe would make every visitor load a 1.2 MB grid bundle.
    st.markdown(
        "| knob | median swing (points) |\n|---|---:|\n"
        + "\n".join(f"| {k} | {v * 100:.1f} |" for k, v in effects.items())
    )


def render_off_grid() -> None:
    """Train a point between (or beyond) the grid's values through the Playground's workers."""
    from app_pages._knobs import knob_key, render_knob, widget_value
    from core.training import build_run_config  # torch: only the full app trains from here

    prefix = f"explore_off_{study}"
    values = {}
    cols = st.columns(min(len(land.axes), 4) or 1)
    for i, name in enumerate(land.axes):
        k = get_knob(name)
        st.session_state.setdefault(knob_key(prefix, k), widget_value(k, at[name]))
        with cols[i % len(cols)]:
            values[name] = render_knob(k, prefix, disabled=not land.applies(name, at))
    try:
        run = build_run_config(
            land.model,
            land.spec.preset,
            land.spec.fixed | values,
            data_config(**land.spec.data),
        )
    except ConfigError as err:
        st.error(str(err))
        return
    manager = get_job_manager(get_storage_url())
    owner = get_owner_id()
    if st.button("Train this point", key="explore_train", type="primary"):
        try:
            manager.start()
            st.session_state["explore_job"] = manager.submit(owner, run)
        except ExplorerError as err:
            show_error(err)
        st.rerun()  # the whole page: the fragment polls while the run trains
    job_id = st.session_state["explore_job"]
    snap = manager.get(owner, job_id) if job_id else None
    if snap is None:
        return
    if not snap.done:
        st.progress(snap.fraction, text=f"{snap.state}: step {snap.step}/{snap.max_steps}")
        return
    if st.session_state.get("explore_job_seen") != snap.id:  # redraw the sweep with it
        st.session_state["explore_job_seen"] = snap.id
        st.rerun()
    r = snap.result
    if r is None or r.best_val_accuracy is None:
        st.error(snap.message or f"The run {snap.state}.")
        return
    st.success(
        f"{describe_point({n: snap.flat_config.get(n) for n in land.axes})}: validation "
        f"{r.best_val_accuracy:.1%}, test {_pct(r.test_accuracy)}. It is on the sweep when the "
        "other knobs match."
    )


if not is_read_only():
    with st.expander("Train a point off the grid"):
        st.caption(
            "Any values, not only the grid's: the run trains in the Playground's workers with the "
            "landscape's held knobs, is stored with your Playground runs, and appears on the "
            "sweep as a diamond."
        )
        job_id = st.session_state["explore_job"]
        job = get_job_manager(get_storage_url()).get(get_owner_id(), job_id) if job_id else None
        busy = job is not None and not job.done
        st.fragment(render_off_grid, run_every=1.0 if busy else None)()
