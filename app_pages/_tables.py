"""What the pages read from the storage, cached per session and refreshed by a version key."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages._resources import show_error
from app_pages._sidebar import view_storage_url
from core.errors import ExplorerError
from core.knobs import describe_validation
from core.settings import get_storage_url
from core.studies.storage import get_best_trial, list_studies, load_trials


def list_study_names(kind: str | None = None) -> list[str]:
    """Names of the studies in the storage (``kind``: "search" or "playground"), newest first."""
    studies = list_studies(view_storage_url())
    if kind is not None:
        studies = studies[studies["kind"] == kind]
    return studies["study"].tolist()


@st.cache_data(show_spinner=False, max_entries=32, ttl=600)
def _load_trials(name: str, storage_url: str, version: str) -> pd.DataFrame:
    """One study's trial table; ``version`` (trial count, last change) refreshes it."""
    return load_trials(name, storage_url)


def load_family_trials(family: str) -> pd.DataFrame | None:
    """Every trial of every study of ``family`` (playground runs included), knobs as columns.

    Columns: ``study``, ``number``, ``state``, ``value``, ``test_accuracy`` ... and one column
    per knob. None (with the reason on screen) when the storage cannot be read.
    """
    try:
        studies = list_studies(get_storage_url())
        frames = []
        for row in studies[studies["model"] == family].itertuples():
            version = f"{row.trials}-{row.last_change}"
            frame = _load_trials(row.study, get_storage_url(), version)
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


def render_best_results() -> None:
    """The best stored result per model family, with a link to Results."""
    try:
        studies = list_studies(view_storage_url())
    except ExplorerError as err:
        show_error(err)
        return
    done = studies.dropna(subset=["best_value"])
    if done.empty:
        st.info("Nothing trained yet: start in the Playground or launch a study.")
        return
    done = done.assign(model=done["model"].fillna("other"))
    best = done.sort_values("best_value", ascending=False).groupby("model", sort=True).head(1)
    cols = st.columns(len(best))
    for col, row in zip(cols, best.itertuples(), strict=True):
        trial = get_best_trial(str(row.study), view_storage_url())
        test = trial.user_attrs.get("test_accuracy") if trial is not None else None
        col.metric(
            f"best {str(row.model).upper()}: test accuracy",
            f"{test:.1%}" if test is not None else "not scored",
            help="On the whole test set, for the trial chosen on validation (the test set never "
            "chooses).",
        )
        number = f"trial #{trial.number} of " if trial is not None else ""
        flat = (trial.user_attrs.get("flat") or trial.params) if trial is not None else {}
        col.caption(
            f"validation {row.best_value:.1%} on {describe_validation(flat)}, {number}"
            f"`{row.study}` ({row.complete} completed trials)"
        )
    st.page_link("app_pages/results.py", label="Open Results", icon=":material/bar_chart:")
