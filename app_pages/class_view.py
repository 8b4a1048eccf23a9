"""Class view: every Playground run of the picked dataset and model family, live.

Who ran it (the nickname each session picks on the Playground), its knobs, its validation and
test accuracy, and a plot of accuracy against a knob, one point per run, coloured by who ran it.
A new run appears within about a second of being stored: a small fragment asks the storage
every second whether the class has a run the page has not drawn, and redraws the page only
then, so an open view costs a viewer's browser nothing while the class is quiet. A click
answered from the store (a replay) shows too, with the stored run's numbers, under the name of
who clicked. The Playground's exercise link (``?hide=...&lock=...``) opens this page on the runs
made through that link only. "Hide names" replaces the nicknames by letters, for a projector.
The read-only viewer shows the same over the stored runs.
"""

from __future__ import annotations

import string

import pandas as pd
import plotly.express as px
import streamlit as st

from app_pages._resources import current_dataset, data_config
from app_pages._sidebar import view_storage_url
from app_pages._tables import load_family_trials
from core.data import loaded_fingerprint
from core.errors import ExplorerError
from core.knobs import FAMILIES, get_knobs, parse_exercise
from core.settings import is_read_only
from core.studies.run import replay_records
from core.studies.storage import list_studies, trials_on_data

REFRESH_S = 1.0  # how often an open view asks whether the class has a new run
VERSION_TTL_S = 0.25  # how long the answer serves every open view of this server

st.title("Class view")
exercise = parse_exercise(st.query_params.get("hide"), st.query_params.get("lock"))
dataset = current_dataset()
left, right = st.columns([3, 1])
family = exercise.family or (
    left.segmented_control(
        "Model family", FAMILIES, format_func=str.upper, key="class_family", default="cnn"
    )
    or "cnn"
)
hide_names = right.toggle("Hide names", key="class_hide_names", help="For a projector.")
if exercise.active:
    st.info(
        "The runs made through this exercise link only: "
        + (f"{family.upper()}, " if exercise.family else "")
        + (f"{', '.join(sorted(exercise.locked))} locked, " if exercise.locked else "")
        + (f"{', '.join(sorted(exercise.hidden))} hidden." if exercise.hidden else "").rstrip(", ")
    )
free_knobs = [
    k.name for k in get_knobs(family) if k.name not in exercise.hidden | set(exercise.locked)
]


@st.cache_data(ttl=VERSION_TTL_S, show_spinner=False, max_entries=16)
def stored_class_version(storage_url: str, family: str) -> tuple[int, int] | None:
    """How many Playground runs of ``family`` completed and how many clicks were replayed
    (both only grow); None while the storage cannot be read. Shared by every open class view of
    this server, so the storage is asked a few times a second however many watch."""
    try:
        studies = list_studies(storage_url)
        replays = replay_records(storage_url, family)
    except ExplorerError:
        return None
    complete = studies.loc[studies["study"] == f"playground-{family}", "complete"].sum()
    return int(complete), len(replays)


def class_version() -> tuple[tuple[int, int] | None, bool]:
    """What the class's runs are drawn from: the stored runs (:func:`stored_class_version`) and
    whether this server has fingerprinted the data (which decides how runs are matched to it)."""
    stored = stored_class_version(view_storage_url(), family)
    return stored, loaded_fingerprint(data_config()) is not None


def watch_for_new_runs(drawn: tuple[tuple[int, int] | None, bool]) -> None:
    """Redraw the page when the class has runs it has not drawn (``drawn``: its version)."""
    if class_version() != drawn:
        st.rerun()


def class_runs() -> pd.DataFrame:
    """The Playground runs of this dataset (by content when this server has loaded it, else by
    name), this family and this exercise, that completed."""
    trials = load_family_trials(family, view_storage_url())
    if trials is None or trials.empty or "nickname" not in trials:
        return pd.DataFrame()
    runs = trials[(trials["study"] == f"playground-{family}") & (trials["state"] == "COMPLETE")]
    replays = [  # clicks answered from the store: the stored run's numbers, under who clicked
        {k: v for k, v in r.items() if k != "flat"} | r.get("flat", {}) | {"replayed": True}
        for r in replay_records(view_storage_url(), family)
    ]
    runs = runs.assign(replayed=False)
    if replays:
        runs = pd.concat([runs, pd.DataFrame(replays)], ignore_index=True)
    fingerprint = loaded_fingerprint(data_config())
    if fingerprint is not None:
        runs = trials_on_data(runs, fingerprint)
    else:
        runs = runs[runs["dataset"] == dataset.name]
    if exercise.active:
        runs = runs[runs["exercise"] == exercise.key]
    runs = runs.assign(who=runs["nickname"].fillna("(no name)"))
    if hide_names:
        letters = {n: f"Student {_letter(i)}" for i, n in enumerate(dict.fromkeys(runs["who"]))}
        runs = runs.assign(who=runs["who"].map(letters))
    return runs


def _letter(i: int) -> str:
    letters = string.ascii_uppercase
    return letters[i] if i < len(letters) else letters[i // 26 - 1] + letters[i % 26]


def _default_knob(runs: pd.DataFrame) -> str:
    """The knob the class varies most (by distinct values among the runs)."""
    varied = [(runs[k].nunique(), k) for k in free_knobs if k in runs]
    return max(varied)[1] if varied and max(varied)[0] > 1 else free_knobs[0]


def render_class() -> None:
    runs = class_runs()
    if runs.empty:
        st.info(
            f"No Playground runs of the {family.upper()} on {dataset.name}"
            + (" through this exercise link" if exercise.active else "")
            + " yet. Each run that completes appears here within a second."
        )
        return
    knob_options = [k for k in free_knobs if k in runs]
    chosen = st.session_state.get("class_knob")
    x = chosen if chosen in knob_options else _default_knob(runs)
    st.selectbox(
        "Horizontal axis",
        knob_options,
        index=knob_options.index(x),
        key="class_knob",
        help="Defaults to the knob the class's runs vary most.",
    )
    n, people = len(runs), runs["who"].nunique()
    st.caption(
        f"**{n}** run{'s' * (n != 1)} by **{people}** {'person' if people == 1 else 'people'} "
        f"on **{dataset.name}**: "
        "validation accuracy (what a run is chosen on) against the knob; test accuracy on hover."
    )
    fig = px.scatter(
        runs.assign(val=runs["value"], test=runs["test_accuracy"]),
        x=x,
        y="val",
        color="who",
        hover_data={"test": ":.1%", "val": ":.1%", "number": True},
        labels={"val": "validation accuracy", "who": "who"},
        log_x=any(k.name == x and k.log for k in get_knobs(family)),
    )
    fig.update_traces(marker={"size": 11})
    fig.update_layout(height=420, margin={"t": 10, "b": 40}, yaxis_tickformat=".0%")
    st.plotly_chart(fig, key="class_plot")
    varied = [k for k in knob_options if runs[k].nunique() > 1]
    table = runs.sort_values("number", ascending=False)[
        ["who", *varied, "value", "test_accuracy", "number", "replayed"]
    ].rename(columns={"value": "val accuracy", "test_accuracy": "test accuracy", "number": "run"})
    st.dataframe(table, hide_index=True, key="class_table")


drawn = class_version()  # before the runs are read: a run stored in between redraws once more
render_class()
if not is_read_only():
    st.fragment(watch_for_new_runs, run_every=REFRESH_S)(drawn)
