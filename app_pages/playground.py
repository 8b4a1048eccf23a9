"""Playground: set every knob, train one short run in the background, and see where it lands.

Exercise links: ``?hide=vocab_size,cell&lock=model:cnn,learning_rate:0.003`` hides the named knobs
and fixes the locked ones (``core.knobs._exercise_links.parse_exercise``), so a link can set a focused exercise.
Every knob drawn then shows its one-line explanation under it, not only on hover.
"""

from __future__ import annotations

import streamlit as st

from app_pages._job_view import progress_text, render_result
from app_pages._knobs import knob_key, render_knob, set_knob_values, widget_value
from app_pages._resources import (
    current_dataset,
    data_config,
    data_nouns,
    fitted_defaults_for,
    get_job_manager,
    get_nickname,
    get_owner_id,
    show_error,
)
from app_pages._tables import load_family_trials
from core.data import find_baseline, load_baseline, loaded_fingerprint
from core.errors import ConfigError, ExplorerError
from core.figures import build_runs_figure, run_curve_svg
from core.jobs import JobSnapshot
from core.knobs import (
    FAMILIES,
    PRESETS,
    Knob,
    exercise_query,
    get_knob,
    get_knobs,
    parse_exercise,
)
from core.settings import get_storage_url
from core.studies.storage import trials_on_data
from core.training import build_run_config

# The knobs the issue names, drawn first; the rest go under "More knobs".
MAIN_KNOBS = (
    "max_length",
    "vocab_size",
    "embedding_dim",
    "embedding_init",
    "freeze_embeddings",
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
try:
    manager.start(warm=data_config())  # the workers load the data while the user sets knobs
except ExplorerError as err:
    show_error(err)

st.title("Playground")
nickname = get_nickname()
st.text_input(
    "Your name in the class view",
    key="nickname",
    max_chars=24,
    help="Your runs carry it in the Class view, where everyone's runs on this dataset gather.",
)


def render_slots() -> None:
    """The training workers: polled while they start, then drawn once more as ready."""
    ready = manager.ready_slots
    if manager.slots == 0:
        st.caption(
            "This server trains nothing itself: workers that share its storage "
            "(`python -m core worker`) take its runs, oldest first."
        )
    elif ready == manager.slots:
        if not st.session_state.get("playground_slots_ready"):
            st.session_state["playground_slots_ready"] = True
            st.rerun()
        st.caption(
            f"Training slots: {manager.slots}, {manager.threads} torch thread(s) each; "
            "runs beyond them wait their turn."
        )
    else:
        st.caption(
            f"Starting the training workers ({ready} of {manager.slots} ready): they load the "
            "data once; a run clicked now waits for them."
        )


st.session_state["playground_slots_ready"] = manager.ready_slots == manager.slots
st.fragment(render_slots, run_every=None if manager.ready_slots == manager.slots else 1.0)()
exercise = parse_exercise(st.query_params.get("hide"), st.query_params.get("lock"))
for problem in exercise.problems:
    st.warning(f"The link's exercise: {problem}")
if exercise.family:
    st.session_state["playground_family"] = exercise.family
if exercise.active:
    st.info(
        "An exercise link: "
        + (f"the model is fixed to {exercise.family.upper()}; " if exercise.family else "")
        + f"{len(exercise.locked)} knob(s) locked, {len(exercise.hidden)} hidden. "
        + "The class's runs through this link: "
        + f"[Class view](class?{exercise_query(st.query_params)})."
    )
noun, nouns = data_nouns()
family = (
    st.segmented_control(
        "Model family",
        FAMILIES,
        format_func=str.upper,
        key="playground_family",
        disabled=exercise.family is not None,
        help="CNN: n-gram detectors with a max-pool. RNN: reads the text token by token.",
    )
    or "cnn"
)
knobs = get_knobs(family)
prefix = f"playground_{family}"
fitted = fitted_defaults_for(current_dataset().source)
defaults: dict[str, int] = dict(fitted.values) if fitted else {}
fixed = exercise.fixed_values(family, defaults)


def _follow_fitted_defaults() -> None:
    """On another dataset, move the knobs that still hold the last dataset's fitted values to
    this one's; a knob the user moved stays where they put it."""
    before: dict[str, int] = st.session_state.get("playground_fitted_values", {})
    for fam in FAMILIES:
        for k in get_knobs(fam):
            key = knob_key(f"playground_{fam}", k)
            if k.name in defaults and key in st.session_state:
                if st.session_state[key] == widget_value(k, before.get(k.name, k.default)):
                    st.session_state[key] = widget_value(k, defaults[k.name])
    st.session_state["playground_fitted_values"] = defaults


if st.session_state.get("playground_fitted_values") != defaults:
    _follow_fitted_defaults()


def _apply_preset(name: str) -> None:
    preset = PRESETS[family][name]
    set_knob_values(prefix, knobs, defaults | preset if name == "default" else preset)


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
right.button(
    "Defaults",
    on_click=_apply_preset,
    args=("default",),
    key="playground_defaults",
    help="Every knob's default, with max_length and max_steps fitted to this dataset.",
)

values: dict[str, object] = {n: v for n, v in fixed.items() if n in exercise.hidden}


def _draw(knob: Knob) -> None:
    """One knob: locked (a disabled field holding the exercise link's value) or its widget."""
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
        if not knob.applies(values):
            disabled = True
            note = "Used only when " + ", ".join(f"{n} is {v}" for n, v in knob.requires) + "."
        values[knob.name] = render_knob(
            knob,
            prefix,
            default=defaults.get(knob.name),
            disabled=disabled,
            note=note,
            on_change=_remember,
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
if fitted is not None:
    st.caption(
        f"Defaults fitted to **{fitted.dataset}**: "
        + "; ".join(
            f"**{name} = {value:,}** ({fitted.reasons[name]})"
            for name, value in fitted.values.items()
        )
        + ". The knobs' own defaults: "
        + ", ".join(f"{name} {get_knob(name).default:,}" for name in fitted.values)
        + "."
    )
if "embedding_init" in {k.name for k in shown}:
    st.caption(
        "**embedding_init = word2vec** starts every token's vector from word2vec trained on the "
        f"training {nouns} and the unlabelled ones without reading a single label, so the model "
        "knows which words are used alike before its first step: unlabelled text helps "
        "(the first run at a new embedding_dim pretrains them, 2-3 minutes on 2 cores, then "
        "cached)."
    )
if more:
    with st.expander("More knobs"):
        columns = st.columns(3)
        for i, knob in enumerate(more):
            with columns[i % 3]:
                _draw(knob)
        if "teacher" in {k.name for k in more}:
            st.caption(
                "**teacher = baseline** lets the network also learn what the linear baseline "
                f"(TF-IDF n-grams) believes about every training {noun} and every unlabelled one: "
                "a second, different view of the same text, and unlabelled text helps again "
                "(the first run on a dataset fits the teacher, 1-2 minutes on 2 cores, then "
                f"cached). More {nouns} per run also want more max_steps."
            )

run = None
try:
    run = build_run_config(family, "default", values, data=data_config())
except ConfigError as err:
    st.error(str(err))


def _current_job() -> JobSnapshot | None:
    job_id = st.session_state["playground_job"]
    return manager.get(owner, job_id) if job_id else None


def render_progress() -> None:
    """Polled every second while a job runs: the progress bar, and the curve only when a new
    evaluation has arrived (its chart is re-sent only then). The end of the run reruns the
    page, which draws the result and the new point in "Where it lands"."""
    s = _current_job()
    if s is None:
        return
    if s.state == "training" and s.step >= s.max_steps:  # scoring the test set: nearly done,
        s = manager.wait(owner, s.id, timeout=0.6) or s  # so show the result the moment it is
    if s.done:
        if st.session_state["playground_job_seen"] != s.id:
            st.session_state["playground_job_seen"] = s.id
            st.rerun()
        return
    st.progress(s.fraction, text=progress_text(s))
    st.button("Cancel", on_click=manager.cancel, args=(owner, s.id), key="playground_cancel")
    if any(
        "val_accuracy" in row for row in s.history
    ):  # a static image: cheap for the browser, which shares the cores
        st.image(run_curve_svg(s.history), caption="Live curves (the interactive chart follows)")


def render_train_panel() -> None:
    """Train, Train again, the progress and the result. A fragment: clicking Train reruns only
    this panel, so the browser does not redraw the charts below while the run trains (on a
    small machine the browser and the training share the cores)."""
    snap = _current_job()
    busy = snap is not None and not snap.done
    train_col, again_col, _ = st.columns([1, 1, 4])
    train = train_col.button(
        "Train",
        type="primary",
        disabled=run is None or busy,
        key="playground_train",
        help="Trains in a worker process; this page follows its progress. A run already in "
        "the store (same data, knobs and seed) is answered from it at once.",
    )
    again = again_col.button(
        "Train again",
        disabled=run is None or busy,
        key="playground_train_again",
        help="Train even when this exact run is already stored. Training is deterministic, "
        "so the numbers repeat; this shows it.",
    )
    if (train or again) and run is not None:
        try:
            tags = {"nickname": st.session_state["nickname"].strip() or nickname}
            tags |= {"exercise": exercise.key} if exercise.active else {}
            st.session_state["playground_job"] = manager.submit(
                owner, run, replay=not again, tags=tags
            )
        except ExplorerError as err:
            show_error(err)
        snap = _current_job()
        busy = snap is not None and not snap.done
        if snap is not None and snap.done:  # replayed: the page shows it with its new point
            st.session_state["playground_job_seen"] = snap.id
            st.rerun()
    if snap is not None and snap.done:
        render_result(snap, nouns)
    st.fragment(render_progress, run_every=1.0 if busy else None)()


st.fragment(render_train_panel)()
snap = _current_job()

st.header("Where it lands")
trials = load_family_trials(family)
dataset = current_dataset()
# The knobs' own data settings: a validation split other than the default (val_fraction,
# val_split) is its own fingerprint, and its accuracies are not comparable with the default's.
default_split = data_config()
split = run.data if run is not None else default_split
fingerprint = loaded_fingerprint(split)
if trials is not None and fingerprint is not None and "data_fingerprint" in trials:
    trials = trials_on_data(trials, fingerprint)
    other_split = (split.val_fraction, split.val_split) != (
        default_split.val_fraction,
        default_split.val_split,
    )
    st.caption(
        f"Runs and study trials on **{dataset.name}** only"
        + (
            f", with this validation split ({split.val_split}, {split.val_fraction:.0%})."
            if other_split
            else "."
        )
    )
elif trials is not None and not trials.empty:
    st.caption("Runs and trials on every dataset (this one's data is still loading).")
if trials is None or trials.empty:
    st.info(f"No runs or trials of this family on {dataset.name} in the storage yet.")
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
    # read from the cache, never computed here; by content hash once the data has loaded
    baseline = load_baseline(fingerprint) if fingerprint else find_baseline(data_config().data)
    st.plotly_chart(build_runs_figure(trials, x, latest, baseline), key="playground_runs")
    if baseline is not None:
        st.caption(
            f"Dashed: TF-IDF unigrams and bigrams with logistic regression on the same data "
            f"(validation {baseline.val_accuracy:.1%}, test {baseline.test_accuracy:.1%}), "
            "the linear baseline to beat."
        )
    st.caption("Run history (this family's playground runs, newest first)")
    history = trials[trials["study"] == f"playground-{family}"].sort_values(
        "number", ascending=False
    )
    st.dataframe(history, hide_index=True, key="playground_history")
