"""Results: for any study in the storage, the best trial, every Optuna figure, the trial table
(filter, sort, CSV) and a comparison of several studies.

The study and the figure are bound to the query parameters ``study`` and ``plot`` (with ``db``
for the study file, in the sidebar), so a view can be shared as a link:
``/results?db=examples&study=cnn&plot=importances``.

Studies are read through one :class:`~core.studies.storage._snapshots.SnapshotReader` per server and
storage, so a rerun while a study runs fetches only the trials that changed; figures and the
table are cached per snapshot version.
"""

from __future__ import annotations

import optuna
import pandas as pd
import streamlit as st

from app_pages._history import (
    INTERACTIVE_HELP,
    draw_history,
    study_counts,
    study_summary,
    warn_failures,
)
from app_pages._resources import current_dataset, get_study_reader, show_error
from app_pages._sidebar import follow_link, update_link, view_storage_url
from app_pages._trials_view import draw_trials
from core.data import BaselineResult, load_baseline
from core.errors import ExplorerError
from core.figures import FIGURES, FigureResult, build_comparison_figure, build_figure
from core.knobs import describe_validation
from core.studies import headlines
from core.studies.storage import TrialTable, main_study, runs_frame

FIGURE_LABELS = {
    "history": "History",
    "importances": "Importances",
    "parallel": "Parallel coordinates",
    "slice": "Slices",
    "contour": "Contour",
    "edf": "EDF",
    "intermediate": "Intermediate values",
    "timeline": "Timeline",
    "curves": "Learning curves",
}
storage = view_storage_url()


@st.cache_resource(show_spinner="Drawing…", max_entries=32, ttl=600)
def _figure(
    version: str,
    kind: str,
    options: tuple,
    baseline_key: tuple | None,
    _study: optuna.Study,
    _baseline: BaselineResult | None = None,
) -> FigureResult:
    """One figure per (snapshot version, kind, options, baseline): a table filter or rerun never
    redraws it. ``version`` names the snapshot ``_study`` exactly (the reader makes a new one on
    any change), so it is the key; ``baseline_key`` stands for ``_baseline``."""
    kwargs = {k: list(v) if isinstance(v, tuple) else v for k, v in options}
    if _baseline is not None:
        kwargs["baseline"] = _baseline
    return build_figure(kind, _study, **kwargs)


def _short(value: object) -> str:
    """A parameter's value for the best trial's line: floats to 4 significant digits."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


@st.cache_resource(show_spinner=False, max_entries=64, ttl=600)
def _trial_table(storage_url: str, study_name: str) -> TrialTable:
    """The server's table of one study, shared by every session: a refresh rebuilds only the
    rows of trials that changed."""
    return TrialTable()


def _table(name: str, study: optuna.Study) -> pd.DataFrame:
    return _trial_table(storage, name).frame(study.get_trials(deepcopy=False))


st.title("Results")
try:
    reader = get_study_reader(storage)
    studies = study_counts(storage)
except ExplorerError as err:
    show_error(err)
    st.stop()
if studies.empty:
    st.info("No study in the storage yet: train in the Playground or launch a study.")
    st.stop()

names = studies["study"].tolist()
asked = st.query_params.get("study")
if asked is not None and asked not in names:
    st.warning(f"The link names a study '{asked[:60]}' that this study file does not have.")
if st.session_state.get("study") not in names:  # the link's study, else the file's main one
    st.session_state["study"] = asked if asked in names else main_study(studies) or names[0]
name = st.selectbox("Study", names, key="study", bind="query-params")
described = studies.loc[studies["study"] == name, "description"]
if len(described) and described.iloc[0]:
    st.caption(described.iloc[0])
try:
    with st.spinner("Reading the study…"):
        snapshot = reader.read(name)
except ExplorerError as err:
    show_error(err)
    st.stop()
study = snapshot.study
summary = study_summary(storage, snapshot.version, name, study)
datasets = summary.datasets
if len(datasets) == 1:
    st.caption(f"Data: **{next(iter(datasets.values()))}**.")
elif len(datasets) > 1:
    st.warning(
        f"This study's trials trained on {len(datasets)} datasets "
        f"({', '.join(sorted(datasets.values()))}): its figures mix them. The table's dataset "
        "column tells them apart; filter it with `dataset == '...'`."
    )

# The best trial: the study's own, or where it mixes datasets the best on the picked one (among
# its runs validated the same way), as Home chooses.
best = summary.best
if len(datasets) > 1:
    picked = current_dataset().name
    trials = study.get_trials(deepcopy=False)
    mine = headlines(runs_frame(name, trials), {name: "any"}, picked)
    best = {t.number: t for t in trials}[mine[0].number] if mine else None
    st.caption(
        f"Best trial on **{picked}**, the dataset picked in the sidebar."
        if mine
        else f"No completed trial of this study trained on **{picked}**."
    )

# The cached linear baseline of the study's data (never computed here), when it has one dataset.
baseline = load_baseline(next(iter(datasets))) if len(datasets) == 1 else None

# ---- best trial card ----------------------------------------------------------------------
if best is not None:
    with st.container(border=True):
        st.subheader(f"Best trial #{best.number}")
        cols = st.columns(4)
        protocol = describe_validation(best.user_attrs.get("flat") or best.params)
        cols[0].metric("validation accuracy", f"{best.value:.1%}")
        st.caption(f"Validation: {protocol} of the training data, held out.")
        test = best.user_attrs.get("test_accuracy")
        f1 = best.user_attrs.get("test_macro_f1")  # stored where the test classes are unbalanced
        cols[1].metric(
            "test accuracy",
            f"{test:.1%}" if test is not None else "–",
            help=None if f1 is None else f"The test classes are unbalanced: macro-F1 {f1:.1%}.",
        )
        if f1 is not None:
            st.caption(f"Unbalanced test classes: test macro-F1 {f1:.1%} beside the accuracy.")
        if best.user_attrs.get("test_carved"):
            st.caption("No test file: this test split was carved from train (20 %, seeded).")
        wall = best.user_attrs.get("wall_s")
        cols[2].metric("wall time", f"{wall:.0f} s" if wall else "–")
        cols[3].metric("completed trials", f"{summary.n_completed} / {summary.n_trials}")
        if baseline is not None:
            beats = "beats" if best.value > baseline.val_accuracy else "does not beat"
            st.caption(
                f"The linear baseline on this data (TF-IDF uni- and bigrams, logistic regression): "
                f"validation {baseline.val_accuracy:.1%}, test {baseline.test_accuracy:.1%}. "
                f"This trial {beats} it on validation."
            )
        params = best.user_attrs.get("flat") or best.params
        # Text, not a table: the first screen then needs no data grid (whose code a new
        # visitor's browser loads and compiles for about half a second); the table is below.
        st.markdown(" · ".join(f"{k} **{_short(v)}**" for k, v in params.items()))
elif summary.best is None:
    st.info("No completed trial in this study yet.")
savings = summary.savings
if savings is not None:
    with st.container(border=True):
        st.markdown("**What the budget bought**")
        cols = st.columns(3)
        cols[0].metric("training steps spent", f"{savings.steps_used:,}")
        cols[1].metric(
            "trials tried",
            f"{savings.trials:,}",
            delta=f"{savings.pruned} pruned" if savings.pruned else None,
            delta_color="off",
        )
        cols[2].metric(
            "trials without pruning",
            f"~{savings.unpruned_trials:.0f}",
            help="What a study that trains every trial to its end would have tried with the "
            "same steps: the steps spent over the mean steps of a trial trained to its end "
            "(each pruned trial counted at its max_steps, an upper bound since early stopping "
            "might have ended it sooner).",
        )
        if savings.pruned:
            st.caption(
                f"The pruner stopped {savings.pruned} trials early; trained to their end they "
                f"would have cost up to {savings.steps_unpruned - savings.steps_used:,} more "
                f"steps ({savings.saved_fraction:.0%} of the total saved). To compare studies "
                "at equal compute, pick them under **Compare studies**: their best so far is "
                "drawn against the steps spent."
            )
warn_failures(summary)

# ---- figures ------------------------------------------------------------------------------
st.header("Figures")
st.session_state.setdefault("plot", "history")
if follow_link("plot", list(FIGURES)):
    st.warning(f"The link names a figure that does not exist; choose one of: {', '.join(FIGURES)}.")
kind = (
    st.segmented_control(
        "Figure",
        list(FIGURES),
        format_func=lambda k: FIGURE_LABELS.get(k, k),
        key="plot",
        on_change=update_link,
        args=("plot",),
    )
    or "history"
)
param_names = summary.param_names
kwargs: dict = {}
if kind == "contour" and param_names:
    chosen = st.multiselect(
        "Two parameters",
        param_names,
        default=param_names[:2],
        max_selections=2,
        key="results_contour_params",
    )
    kwargs["params"] = chosen if len(chosen) == 2 else None
if kind == "curves" and param_names:
    default = "learning_rate" if "learning_rate" in param_names else param_names[0]
    kwargs["color_by"] = st.selectbox(
        "Colour by", param_names, index=param_names.index(default), key="results_color_by"
    )
if kind == "curves" and not param_names:
    st.info("No completed trial has parameters to colour by yet.")
elif summary.n_completed or kind in ("timeline", "intermediate"):
    with_baseline = baseline if kind == "history" else None
    baseline_key = (
        None if with_baseline is None else (with_baseline.val_accuracy, with_baseline.test_accuracy)
    )
    try:
        if kind == "history" and not st.session_state.get("results_interactive"):
            draw_history(name, snapshot.version, study, summary, with_baseline)
        else:
            options = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items())
            result = _figure(snapshot.version, kind, options, baseline_key, study, with_baseline)
            if result.note:
                st.caption(result.note)
            st.plotly_chart(result.figure, key=f"results_fig_{kind}")
    except (ExplorerError, ValueError, RuntimeError) as err:
        st.warning(f"This figure cannot be drawn for this study: {err}")
if kind == "history":
    st.toggle(
        "Interactive charts",
        key="results_interactive",
        help=INTERACTIVE_HELP,
    )

# ---- trial table --------------------------------------------------------------------------
st.header("Trials")
draw_trials(name, study, _table(name, study))

# ---- comparison ---------------------------------------------------------------------------
st.header("Compare studies")
others = st.multiselect(
    "Studies", names, default=names[: min(2, len(names))], key="results_compare"
)
if len(others) >= 2:
    frames = {}
    for other in others:
        other_snapshot = snapshot if other == name else reader.read(other)
        frames[other] = _table(other, other_snapshot.study)
    mixed: dict[str, str] = {}  # data fingerprint -> dataset name (else the fingerprint)
    for frame in frames.values():
        if "data_fingerprint" in frame:
            for fp, named in zip(frame["data_fingerprint"], frame["dataset"], strict=True):
                if isinstance(fp, str) and (fp not in mixed or mixed[fp] == fp):
                    mixed[fp] = named if isinstance(named, str) else fp
    if len(mixed) > 1:
        st.warning(
            f"These studies trained on {len(mixed)} datasets "
            f"({', '.join(sorted(mixed.values()))}): their accuracies are not comparable across "
            "datasets."
        )
    st.plotly_chart(build_comparison_figure(frames), key="results_compare_fig")
    st.dataframe(
        studies[studies["study"].isin(others)][
            ["study", "model", "trials", "complete", "pruned", "fail", "best_value"]
        ],
        hide_index=True,
        key="results_compare_table",
    )
else:
    st.caption("Pick two or more studies.")
