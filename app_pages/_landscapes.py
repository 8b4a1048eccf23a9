"""Which landscapes Explore shows: the chosen study file's (else the committed examples'), of
the link's model family, and of the dataset picked in the sidebar; where it has none, another
dataset's, named as such."""

from __future__ import annotations

import streamlit as st

from app_pages._resources import current_dataset, show_error, usable_datasets
from app_pages._sidebar import view_storage_url
from core.errors import ExplorerError
from core.studies import Landscape, list_landscapes, load_landscape
from core.studies.storage import list_study_files, study_file_url


@st.cache_resource(show_spinner=False, ttl=60, max_entries=16)
def cached_landscape(study: str, storage_url: str) -> Landscape:
    """A landscape, read once a minute at most (a grid study may still be running)."""
    return load_landscape(study, storage_url)


@st.cache_data(show_spinner=False, ttl=60, max_entries=16)
def _landscape_names(storage_url: str) -> list[tuple[str, str]]:
    return list_landscapes(storage_url)


def _find_landscapes() -> tuple[str, list[tuple[str, str]]]:
    """The storage to read and its landscapes: the chosen study file's, else the examples'."""
    url = view_storage_url()
    found = _landscape_names(url)
    if not found and "examples" in list_study_files():
        url = study_file_url("examples")
        found = _landscape_names(url)
        if found:
            st.caption("This study file has no landscape; showing the committed examples'.")
    return url, found


def choose_landscapes(family: str | None) -> tuple[str, list[tuple[str, str]]]:
    """The storage and its ``(study, family)`` landscapes to offer; stops the page, saying why,
    when there is none at all."""
    try:
        storage_url, found = _find_landscapes()
    except ExplorerError as err:
        show_error(err)
        st.stop()
    if family:
        found = [(n, m) for n, m in found if m == family]
    if not found:
        st.info(
            "No landscape in this storage. A landscape is a grid study: run "
            "`python -m core study run studies/landscape_cnn.toml` (see studies/make_examples.sh)."
        )
        st.stop()
    if not usable_datasets():  # a viewer without the data: nothing to pick, every one named
        return storage_url, found
    current = current_dataset()
    trained = {n: cached_landscape(n, storage_url).dataset for n, _ in found}
    # one that records no dataset (made outside this app) cannot be told apart: kept, and its
    # caption says the data is unknown
    mine = [(n, m) for n, m in found if trained[n] in (current.name, None)]
    if mine:
        return storage_url, mine
    others = ", ".join(sorted({d for d in trained.values() if d}))
    st.info(
        f"No landscape was trained on **{current.name}**, so these are **{others}**'s: their "
        "accuracies say nothing about this dataset. A landscape is a grid study; build one "
        f"with `python -m core study run studies/landscape_cnn.toml --data {current.source} "
        "--workers 2 --threads 1`."
    )
    return storage_url, found
