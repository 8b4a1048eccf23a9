"""Playground: set every knob, train one short run in the background, and see where it lands.

Teacher mode: ``?hide=vocab_size,cell&lock=model:cnn,learning_rate:0.003`` hides the named knobs
and fixes the locked ones (``core.config.parse_exercise``), so a link can set a focused exercise.
Every knob drawn then shows its one-line explanation under it, not only on hover.
"""

from __future__ import annotations

import streamlit as st

from app_pages._common import (
    data_config,
    get_job_manager,
    get_owner_id,
    load_family_trials,
    render_knob,
    set_knob_values,
)
from core.charts import build_history_figure, build_runs_figure
from core.config import (
    FAMILIES,
    PRESETS,
    ConfigError,
    Knob,
    build_run_config,
    get_knobs,
    parse_exercise,
)
from core.jobs import JobSnapshot
from core.settings import get_storage_url

# The knobs the issue names, drawn first; the rest go under "More knobs".
MAIN_KNOBS = (
    "max_length",
    "vocab_size",
    "embedding_dim",
    "filter_size",
    "num_filters",
    "hidden_size",
    "cell",
    "nonlinearity",
    "num_layers",
    "bidirectional",
    "dropout",
    "learning_rate",
    "batch_size",
    "max_steps",
)

st.session_state.setdefault("playground_family", "cnn")
st.session_state.setdefault("playground_job", None)
st.session_state.setdefault("playground_job_seen", None)
st.session_state.setdefault("playground_last_knob", "learning_rate")

manager = get_job_manager(get_storage_url())
owner = get_owner_id()

st.title("Playground")
exercise = parse_exercise(st.query_params.get("hide"), st.query_params.get("lock"))
for problem in exercise.problems:
    st.warning(f"The link's exercise: {problem}")
if exercise.family:
    st.session_state["playground_family"] = exercise.family
if exercise.active:
    st.info(
        "An exercise link: "
        + (f"the model is fixed to {exercise.family.upper()}; " if exercise.family else "")
        + f"{len(exercise.locked)} knob(s) locked, {len(exercise.hidden)} hidden."
    )
family = (
    st.segmented_control(
        "Model family",
        FAMILIES,
        format_func=str.upper,
        key="playground_family",
        disabled=exercise.family is not None,
        help="CNN: n-gram detectors with a max-pool. RNN: reads the review token by token.",
    )
    or "cnn"
)
knobs = get_knobs(family)
prefix = f"playground_{family}"
fixed = exercise.fixed_values(family)


def _apply_preset(name: str) -> None:
    set_knob_values(prefix, knobs, PRESETS[family][name])


def _remember(knob_name: str) -> None:
    st.session_state["playground_last_knob"] = knob_name


left, right, _ = st.columns([1, 1, 3])
left.button(
    "Seed preset",
    on_click=_apply_preset,
    args=("seed",),
    key="playground_seed",
    help="The report's setup for this family: padding to max_length read by the model, "
    "batch 8, 2,500 steps.",
)
right.button("Defaults", on_click=_apply_preset, args=("default",), key="playground_defaults")

values: dict[str, object] = {n: v for n, v in fixed.items() if n in exercise.hidden}


def _draw(knob: Knob) -> None:
    """One knob: locked (a disabled field holding the teacher's value) or its widget."""
    if knob.name in exercise.locked:
        value = exercise.locked[knob.name]
        st.text_input(
            f":material/lock: {knob.name}",
            value=f"{value:g}" if isinstance(value, float) else str(value),
            disabled=True,
            help=knob.help,
            key=f"{prefix}_{knob.name}_locked",
        )
        values[knob.name] = value
    else:
        disabled, note = False, ""
        if knob.name == "nonlinearity" and values.get("cell") != "rnn":
            disabled, note = True, "Only the plain RNN cell uses it."
        values[knob.name] = render_knob(
            knob, prefix, disabled=disabled, note=note, on_change=_remember
        )
    if exercise.active:
        st.caption(knob.help)


shown = [k for k in knobs if k.name not in exercise.hidden]
main = [k for k in shown if k.name in MAIN_KNOBS]
more = [k for k in shown if k.name not in MAIN_KNOBS]
columns = st.columns(3)
for i, knob in enumerate(main):
    with columns[i % 3]:
        _draw(knob)
if more:
    with st.expander("More knobs"):
        columns = st.columns(3)
        for i, knob in enumerate(more):
            with columns[i % 3]:
                _draw(knob)

run = None
try:
    run = build_run_config(family, "default", values, data=data_config())
except ConfigError as err:
    st.error(str(err))

active = st.session_state["playground_job"]
snap = manager.get(owner, active) if active else None
busy = snap is not None and not snap.done
if st.button(
    "Train",
    type="primary",
    disabled=run is None or busy,
    key="playground_train",
    help="Runs in the background; this page follows its progress.",
):
    st.session_state["playground_job"] = manager.submit(owner, run)
    busy = True


def _eta(s: JobSnapshot) -> str:
    if s.state == "queued":
        return "queued: another run is training (runs train one at a time)"
    if s.state == "preparing":
        return "preparing the data and tokenizer"
    if s.state != "training" or s.eta_s is None:
        return s.state
    return f"step {s.step}/{s.max_steps} · about {s.eta_s:.0f} s left"


def render_job() -> None:
    job_id = st.session_state["playground_job"]
    s = manager.get(owner, job_id) if job_id else None
    if s is None:
        return
    if not s.done:
        st.progress(s.fraction, text=_eta(s))
        st.button("Cancel", on_click=manager.cancel, args=(owner, job_id), key="playground_cancel")
    elif st.session_state["playground_job_seen"] != job_id:
        st.session_state["playground_job_seen"] = job_id
        st.rerun()  # the whole page: the history and the chart now include this run
    else:
        r = s.result
        if s.state == "failed" or r is None:
            st.error(s.message or "The run failed.")
        else:
            st.success(
                f"Run {s.state}"
                + (f": stored as trial #{s.trial_number}." if s.trial_number is not None else ".")
            )
            if s.message:
                st.warning(s.message)
            cols = st.columns(5)
            cols[0].metric(
                "best val accuracy",
                f"{r.best_val_accuracy:.1%}" if r.best_val_accuracy is not None else "–",
            )
            cols[1].metric(
                "test accuracy", f"{r.test_accuracy:.1%}" if r.test_accuracy is not None else "–"
            )
            cols[2].metric("wall time", f"{r.wall_s:.1f} s")
            cols[3].metric("parameters", f"{r.params:,}")
            cols[4].metric("samples/s", f"{r.train_samples_per_s:,.0f}")
    if s.history:
        st.plotly_chart(build_history_figure(s.history), key="playground_curves")


st.fragment(render_job, run_every=1.0 if busy else None)()

st.header("Where it lands")
trials = load_family_trials(family)
if trials is None or trials.empty:
    st.info("No runs or trials of this family in the storage yet.")
else:
    x_options = [k.name for k in knobs if k.name in trials.columns]
    last = st.session_state["playground_last_knob"]
    x = st.selectbox(
        "Horizontal axis",
        x_options,
        index=x_options.index(last) if last in x_options else 0,
        key=f"playground_axis_{last}",
        help="Defaults to the knob you changed last.",
    )
    latest = None
    if snap is not None and snap.trial_number is not None:
        latest = (f"playground-{family}", snap.trial_number)
    st.plotly_chart(build_runs_figure(trials, x, latest), key="playground_runs")
    st.caption("Run history (this family's playground runs, newest first)")
    history = trials[trials["study"] == f"playground-{family}"].sort_values(
        "number", ascending=False
    )
    st.dataframe(history, hide_index=True, key="playground_history")
