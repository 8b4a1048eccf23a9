"""What the pages read from the storage, cached per session and refreshed by a version key."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages._resources import show_error
from app_pages._sidebar import view_storage_url
from core.errors import ExplorerError
from core.settings import get_storage_url
from core.studies import WHY_RECOMMENDED, datasets_run, headlines
from core.studies.storage import completed_runs, list_studies, load_trials


@st.cache_data(show_spinner=False, max_entries=32, ttl=600)
def _load_trials(name: str, storage_url: str, version: str) -> pd.DataFrame:
    """One study's trial table; ``version`` (trial count, last change) refreshes it."""
    return load_trials(name, storage_url)


def load_family_trials(family: str, storage_url: str | None = None) -> pd.DataFrame | None:
    """Every trial of every study of ``family`` (playground runs included), knobs as columns,
    from ``storage_url`` (default: the app's storage).

    Columns: ``study``, ``number``, ``state``, ``value``, ``test_accuracy`` ... and one column
    per knob. None (with the reason on screen) when the storage cannot be read.
    """
    url = storage_url or get_storage_url()
    try:
        studies = list_studies(url)
        frames = []
        for row in studies[studies["model"] == family].itertuples():
            version = f"{row.trials}-{row.last_change}"
            frame = _load_trials(row.study, url, version)
            if not frame.empty:
                frames.append(frame.assign(study=row.study))
    except ExplorerError as err:
        show_error(err)
        return None
    if not frames:
        return pd.DataFrame(columns=["study", "number", "state", "value"])
    trials = pd.concat(frames, ignore_index=True)
    trials.columns = [c.removeprefix("params_") for c in trials.columns]
    first = ["study", "number", "state", "value", "test_accuracy"]
    return trials[first + [c for c in trials.columns if c not in first]]


@st.cache_data(show_spinner=False, max_entries=4)
def _completed_runs(storage_url: str, completed: tuple[tuple[str, int], ...]) -> pd.DataFrame:
    """:func:`completed_runs`, read again only when a study's completed count changes
    (``completed``), not on every rerun of a page."""
    return completed_runs(storage_url)


def _studies_and_runs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The viewed storage's studies (:func:`list_studies`) and completed runs
    (:func:`completed_runs`)."""
    studies = list_studies(view_storage_url())
    completed = tuple(zip(studies["study"], studies["complete"], strict=True))
    return studies, _completed_runs(view_storage_url(), completed)


def study_datasets() -> dict[str, str | None]:
    """Each study of the storage (newest first) -> the dataset its completed runs trained on:
    the one most of them name; None when none names one."""
    studies, runs = _studies_and_runs()
    named = (
        runs.dropna(subset=["dataset"])
        .groupby("study")["dataset"]
        .agg(lambda d: d.value_counts().index[0])
    )
    return {name: named.get(name) for name in studies["study"]}


def render_best_results(dataset: str) -> None:
    """The best stored run per model family on ``dataset`` (else on the dataset with the most
    runs, named), chosen on validation among runs validated the same way; a link to Results."""
    try:
        studies, runs = _studies_and_runs()
    except ExplorerError as err:
        show_error(err)
        return
    if runs.empty:
        st.info("Nothing trained yet: start in the Playground or launch a study.")
        return
    recorded = datasets_run(runs)
    shown = dataset
    if not recorded:  # made outside this app, or before runs recorded their data
        runs, dataset, shown = runs.assign(dataset=""), "", "data not recorded"
    elif dataset not in recorded:
        st.caption(
            f"No stored run trained on **{dataset}**; the best runs on **{recorded[0]}**, "
            "the dataset with the most runs:"
        )
        dataset = shown = recorded[0]
    families = dict(zip(studies["study"], studies["model"].fillna("other"), strict=True))
    best = headlines(runs, families, dataset)
    if not best:
        st.info("Nothing trained yet: start in the Playground or launch a study.")
        return
    cols = st.columns(len(best))
    for col, h in zip(cols, best, strict=True):
        col.metric(
            f"best {h.family.upper()} on {shown}: test accuracy",
            f"{h.test_accuracy:.1%}" if h.test_accuracy is not None else "not scored",
            help="On the whole test set, for the run chosen on validation (the test set never "
            "chooses).",
        )
        others = (
            f"; {h.not_compared} validated otherwise are not compared" if h.not_compared else ""
        )
        col.caption(
            f"validation {h.value:.1%} on {h.protocol}, trial #{h.number} of `{h.study}`: the "
            f"best of {h.compared} runs validated this way{others}."
        )
    if any(h.recommended for h in best):
        st.caption(
            f"Where runs were validated in several ways, the best is taken on the tail split: "
            f"{WHY_RECOMMENDED}."
        )
    st.page_link("app_pages/results.py", label="Open Results", icon=":material/bar_chart:")
