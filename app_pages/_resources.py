"""What lives as long as the server (``st.cache_resource``) or as long as a browser session.

The job manager is one per server and storage URL; the owner id, which keys a session's jobs,
is one per session (``st.session_state``). optuna-dashboard is one per server too, owned by the
server's entry point (``streamlit_app.py``, ``core.dashboard.mount_dashboard``).
"""

from __future__ import annotations

import uuid
from typing import Any

import streamlit as st

from core.data import DatasetEntry, describe_data, list_datasets, usable
from core.errors import ExplorerError
from core.jobs import JobManager
from core.knobs import DataConfig, FittedDefaults
from core.settings import get_data_source, get_storage_url, is_read_only
from core.studies.run import WorkerRegistry
from core.studies.storage import SnapshotReader


def get_owner_id() -> str:
    """This browser session's id: jobs are keyed by it, so sessions never see each other's."""
    return st.session_state.setdefault("app_owner", uuid.uuid4().hex)


def get_nickname() -> str:
    """The name this session's runs carry in the class view: the one it picked (the
    Playground's field, or ``?name=`` in its link), else one made from its id."""
    given = str(st.query_params.get("name") or "").strip()[:24]
    return st.session_state.setdefault("nickname", given or f"student-{get_owner_id()[:4]}")


@st.cache_resource(show_spinner=False, on_release=lambda m: m.shutdown(timeout=5))
def get_job_manager(storage_url: str) -> JobManager:
    """The server's one job manager for ``storage_url`` (thread-safe; jobs keyed by owner).
    Its worker processes start with the server (:func:`start_job_workers`), else when a page
    that trains first asks (:meth:`JobManager.start`)."""
    return JobManager(storage_url)


def start_job_workers() -> None:
    """Import the training code (torch, transformers), so that the Playground's first draw does
    not wait for it, then start the configured storage's job workers and load the first dataset
    into them, so that the first click on Train is as fast as the next. Called once when the
    server starts, before it answers; does nothing for a read-only viewer. A problem with the
    data is left for the pages to show.

    The import comes first and whole: ``datasets`` fails to fingerprint data (the workers' load
    in the background, a page's) while another thread is half-way through importing
    ``transformers``."""
    if is_read_only():
        return
    import core.training  # noqa: F401

    datasets = usable_datasets()
    warm = DataConfig(data=datasets[0].source) if datasets else None
    get_job_manager(get_storage_url()).start(warm=warm)


def stop_job_workers() -> None:
    """Stop the job workers when the server stops. The server's atexit hook does it too, but
    uvicorn ends a SIGTERM (systemd, docker stop) by raising the signal again once the app has
    shut down, and that exit runs no atexit hook: the workers' queues were then reported as
    leaked semaphores."""
    if not is_read_only():
        get_job_manager(get_storage_url()).shutdown(timeout=5)


@st.cache_resource(show_spinner=False)
def get_worker_registry() -> WorkerRegistry:
    """The study worker processes this server launched."""
    return WorkerRegistry()


@st.cache_resource(show_spinner=False, ttl=600)
def get_study_reader(storage_url: str) -> SnapshotReader:
    """The server's reader of this storage, shared by every session and page like a connection
    pool: it keeps each study's last read and, on a rerun, fetches only the trials that changed
    (5 to 25 ms at 2,000 to 50,000 trials, against 0.12 to 3.4 s for a full read). It is
    thread-safe and never changes a snapshot it returned."""
    return SnapshotReader(storage_url)


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def load_cached_model(run_dir: str) -> Any:
    """A stored model, loaded once per server (read-only afterwards: eval mode, no_grad)."""
    from core.training import load_model  # torch: only on the pages that show a model

    return load_model(run_dir)


@st.cache_data(show_spinner=False, ttl=60)
def list_dataset_entries(setting: str) -> list[DatasetEntry]:
    """The datasets ``EXPLORER_DATA`` names (one, a folder of them, or a list), the unusable
    ones with their ``problem``."""
    return list_datasets(setting)


def usable_datasets() -> list[DatasetEntry]:
    """The datasets a session may pick ([] when the data setting names nothing readable)."""
    try:
        return usable(list_dataset_entries(get_data_source()))
    except ExplorerError:
        return []


def current_dataset() -> DatasetEntry:
    """The dataset this session works on: the sidebar's "Dataset" pick (session state
    ``dataset``) among those the data setting names, else the first. When the setting names
    nothing readable, the setting itself: the page that loads it says why."""
    entries = usable_datasets()
    if not entries:
        setting = get_data_source()
        return DatasetEntry(setting, setting)
    chosen = st.session_state.get("dataset")
    return next((e for e in entries if e.name == chosen), entries[0])


def data_nouns() -> tuple[str, str]:
    """What one row of the chosen dataset is, singular and plural (dataset.toml's ``noun``,
    else "text"), for the pages' wording; "text" when its description cannot be read."""
    try:
        desc = describe_data(current_dataset().source)
    except ExplorerError:
        return "text", "texts"
    return desc.noun, desc.nouns


@st.cache_data(show_spinner="Fitting the defaults to the data…", ttl=600)
def fitted_defaults_for(source: str) -> FittedDefaults | None:
    """The Playground's defaults fitted to the data at ``source``; None when it cannot be read
    (the page that trains says why)."""
    from core.training import fitted_defaults  # torch: only on the pages that train

    try:
        return fitted_defaults(DataConfig(data=source))
    except ExplorerError:
        return None


def data_config(**overrides: Any) -> DataConfig:
    """The chosen dataset as an explicit value (so caches key on the actual source)."""
    return DataConfig(data=current_dataset().source, **overrides)


def show_error(err: Exception) -> None:
    """One sentence for a user-caused error; anything else is still one line, not a traceback."""
    if isinstance(err, ExplorerError):
        st.error(str(err))
    else:
        st.error(f"Something went wrong: {type(err).__name__}: {err}")
