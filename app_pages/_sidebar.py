"""The one sidebar, and which storage the viewing pages read.

- :func:`apply_secrets`: the ``EXPLORER_*`` settings from Streamlit secrets (the entry point
  calls it before anything reads a setting);
- :func:`render_storage_choice` and :func:`view_storage_url`: the "Study file" select, bound to
  the ``db`` query parameter, and the storage it picks;
- :func:`follow_link` / :func:`update_link`: widgets started from, and kept in, the URL;
- :func:`render_sidebar`: notice, data, storage, and this session's jobs.
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from app_pages._resources import (
    current_dataset,
    get_job_manager,
    get_owner_id,
    list_dataset_entries,
)
from core.data import usable
from core.errors import ExplorerError
from core.settings import get_data_source, get_storage_url, get_studies_dir, is_read_only
from core.studies.storage import (
    mask_url,
    public_name,
    storage_choices,
    viewed_storage_url,
    why_not_offered,
)

# Settings that Streamlit secrets may carry (Streamlit Community Cloud has no other way to set
# them); an environment variable of the same name wins.
SECRET_SETTINGS = (
    "EXPLORER_READ_ONLY",
    "EXPLORER_STORAGE",
    "EXPLORER_DATA",
    "EXPLORER_STUDIES",
    "EXPLORER_RUNS",
    "EXPLORER_CACHE",
)


def apply_secrets() -> None:
    """Copy the ``EXPLORER_*`` settings from Streamlit secrets into the environment, where
    ``core.settings`` reads them. ``read_only = true`` in secrets means EXPLORER_READ_ONLY=1."""
    try:
        secrets = {k: st.secrets[k] for k in st.secrets}  # no secrets file: nothing to apply
    except Exception:  # noqa: BLE001 - Streamlit raises its own error when there is no file
        return
    if "read_only" in secrets and "EXPLORER_READ_ONLY" not in secrets:
        secrets["EXPLORER_READ_ONLY"] = "1" if secrets["read_only"] else "0"
    for name in SECRET_SETTINGS:
        if name in secrets and not os.environ.get(name):
            value = secrets[name]
            os.environ[name] = ("1" if value else "0") if isinstance(value, bool) else str(value)


def view_storage_url() -> str:
    """The storage the viewing pages (Home, Explore, Results, Dashboard, Predict) read: the
    sidebar's "Study file" (query parameter ``db``), as :func:`core.studies.storage.viewed_storage_url`
    allows."""
    return viewed_storage_url(st.session_state.get("db"))


def _choice_label(name: str) -> str:
    if name == "":
        shown = public_name if is_read_only() else mask_url
        return f"configured: {shown(get_storage_url())}"
    return {"examples": "examples (committed studies)", "explorer": "explorer (your runs)"}.get(
        name, name
    )


def follow_link(key: str, options: list[Any]) -> str | None:
    """Start the widget ``key`` at the link's ``?key=`` value, if it is one of ``options``.

    Returns the link's value when it is not one of them (for the page to refuse), else None.
    Widgets whose labels differ from their values use this with :func:`update_link` instead of
    ``bind="query-params"``, which would put the label in the URL.
    """
    asked = st.query_params.get(key)
    if asked is None:
        return None
    if asked not in options:
        return asked
    if st.session_state.get(f"_link_{key}") != asked:  # a new link, not our own update
        st.session_state[key] = st.session_state[f"_link_{key}"] = asked
    return None


def update_link(key: str) -> None:
    """``on_change`` of a widget started by :func:`follow_link`: the URL follows the widget."""
    value = st.session_state.get(key)
    st.session_state[f"_link_{key}"] = value
    if value:
        st.query_params[key] = value
    else:
        st.query_params.pop(key, None)


def render_storage_choice() -> None:
    """The sidebar's "Study file" select, bound to the ``db`` query parameter.

    A ``db`` value that is not one of the choices (a path, ``..``, a URL) is refused with one
    sentence and the configured storage is shown instead.
    """
    choices = storage_choices()
    asked = follow_link("db", choices)
    if asked is not None:
        st.sidebar.warning(f"Ignored the link's study file: {why_not_offered(asked)}")
    if len(choices) > 1:
        st.sidebar.selectbox(
            "Study file",
            choices,
            format_func=_choice_label,
            key="db",
            on_change=update_link,
            args=("db",),
            help=f"Study files in {get_studies_dir().name}/ (only these can be opened).",
        )


def render_dataset_choice() -> None:
    """The sidebar's "Dataset" select when the data setting names several datasets (a folder of
    dataset folders, or a list), bound to the ``dataset`` query parameter."""
    try:
        listed = list_dataset_entries(get_data_source())
    except ExplorerError:
        return  # the pages that load the data say why
    entries = usable(listed)
    names = [e.name for e in entries]
    asked = follow_link("dataset", names)
    if asked is not None:
        st.sidebar.warning(
            f"Ignored the link's dataset '{asked}': it is not one of {', '.join(names)}."
        )
    if len(names) > 1:
        st.sidebar.selectbox(
            "Dataset",
            names,
            key="dataset",
            on_change=update_link,
            args=("dataset",),
            help="The Playground, Studies, Explore and Predict use this dataset; runs and trials "
            "record the one they trained on.",
        )
        chosen = st.session_state.get("dataset")
        if chosen and st.query_params.get("dataset") != chosen:
            # moving between pages drops the query: the link keeps the dataset, so a reload or a
            # copied link opens the same data
            st.session_state["_link_dataset"] = chosen
            st.query_params["dataset"] = chosen
    for entry in listed:
        if entry.problem:
            st.sidebar.caption(f"Unusable: {entry.problem}")


def render_sidebar() -> None:
    """The one sidebar: read-only notice, the dataset, where the data and results live, this
    session's jobs."""
    if is_read_only():
        st.sidebar.info("Read-only viewer: browse the stored studies; nothing can be changed.")
    render_dataset_choice()
    render_storage_choice()
    with st.sidebar:
        viewed = view_storage_url()
        dataset = current_dataset()
        if is_read_only():  # a visitor: names, never the host's paths
            st.caption(f"**Data:** `{public_name(dataset.name)}`")
            st.caption(f"**Storage:** `{public_name(viewed)}`")
            return
        shown = (
            dataset.source
            if dataset.name == dataset.source
            else f"{dataset.name} ({dataset.source})"
        )
        st.caption(f"**Data:** `{shown}`")
        st.caption(f"**Storage:** `{mask_url(viewed)}`")
        if viewed != get_storage_url():  # another study file chosen: say where writes go
            st.caption(f"**New runs and studies go to:** `{mask_url(get_storage_url())}`")
        jobs = get_job_manager(get_storage_url()).list_jobs(get_owner_id())
        if jobs:
            st.caption("**Your jobs**")
            for job in reversed(jobs[-5:]):
                if job.done and job.result is not None and job.result.best_val_accuracy is not None:
                    detail = f"val {job.result.best_val_accuracy:.1%}"
                else:
                    detail = f"step {job.step}/{job.max_steps}"
                st.caption(f"{job.family.upper()} · {job.state} · {detail}")
