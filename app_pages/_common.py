"""What every page shares: the sidebar, the knob widgets and the app's long-lived resources.

Pages import from here instead of copying: one sidebar, one way to draw a knob. Resources that
live as long as the server (the job manager, the dashboard process) are ``st.cache_resource``
singletons keyed by the storage URL; what belongs to one browser session (its owner id, its job
ids) lives in ``st.session_state``.
"""

from __future__ import annotations

import math
import os
import subprocess
import threading
import uuid
from typing import Any

import pandas as pd
import streamlit as st

from core.config import PRESETS, DataConfig, Knob
from core.errors import ExplorerError
from core.jobs import DashboardServer, JobManager
from core.predict import LoadedModel, load_model
from core.settings import get_data_source, get_storage_url, get_studies_dir, is_read_only
from core.studies.storage import list_study_files, mask_url, sqlite_path, study_file_url
from core.trainer import RunResult

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


# --------------------------------------------------------------------------------------------
# Which storage the viewing pages read
# --------------------------------------------------------------------------------------------


def _configured_file() -> str | None:
    """The name of the configured storage's file when it is a study file in the studies folder."""
    path = sqlite_path(get_storage_url())
    if (
        path is not None
        and path.suffix == ".db"
        and path.resolve().parent == get_studies_dir().resolve()
    ):
        return path.stem
    return None


def storage_choices() -> list[str]:
    """What the viewing pages may read: the configured storage ("" when it is not a study file)
    and every study file in the studies folder, by name. Nothing else, whatever the URL says."""
    files = list_study_files()
    configured = _configured_file()
    if configured is None:
        return ["", *files]
    return [configured] + [f for f in files if f != configured]


def view_storage_url() -> str:
    """The storage the viewing pages (Home, Results, Dashboard, Predict) read.

    The sidebar's "Study file" (query parameter ``db``) picks one of :func:`storage_choices`; the
    configured storage is used as configured, any other file read-only (``mode=ro``).
    """
    chosen = st.session_state.get("db")
    choices = storage_choices()
    if not chosen or chosen not in choices or chosen == choices[0]:
        return get_storage_url()
    return study_file_url(chosen)


def _choice_label(name: str) -> str:
    if name == "":
        return f"configured: {mask_url(get_storage_url())}"
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
        try:
            study_file_url(asked)  # the reason, in one sentence
            reason = f"The study file {asked} is not offered here."
        except ExplorerError as err:
            reason = str(err)
        st.sidebar.warning(f"Ignored the link's study file: {reason}")
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


# --------------------------------------------------------------------------------------------
# Session identity and shared resources
# --------------------------------------------------------------------------------------------


def get_owner_id() -> str:
    """This browser session's id: jobs are keyed by it, so sessions never see each other's."""
    return st.session_state.setdefault("app_owner", uuid.uuid4().hex)


def _record(result: RunResult, storage: str) -> int | None:
    from core.studies.playground import record_run  # the studies package owns the layout

    return record_run(result, storage=storage)


@st.cache_resource(show_spinner=False, on_release=lambda m: m.shutdown(timeout=5))
def get_job_manager(storage_url: str) -> JobManager:
    """The server's one job manager for ``storage_url`` (thread-safe; jobs keyed by owner)."""
    return JobManager(record=lambda result: _record(result, storage_url))


@st.cache_resource(show_spinner=False, on_release=lambda s: s.stop())
def get_dashboard_server(storage_url: str) -> DashboardServer:
    """The server's one optuna-dashboard process for ``storage_url``, started on demand."""
    return DashboardServer(storage_url)


def data_config(**overrides: Any) -> DataConfig:
    """The data setting as an explicit value (so caches key on the actual source)."""
    return DataConfig(data=get_data_source(), **overrides)


def show_error(err: Exception) -> None:
    """One sentence for a user-caused error; anything else is still one line, not a traceback."""
    if isinstance(err, ExplorerError):
        st.error(str(err))
    else:
        st.error(f"Something went wrong: {type(err).__name__}: {err}")


# --------------------------------------------------------------------------------------------
# Sidebar
# --------------------------------------------------------------------------------------------


def render_sidebar() -> None:
    """The one sidebar: read-only notice, where the data and results live, this session's jobs."""
    if is_read_only():
        st.sidebar.info("Read-only viewer: browse the stored studies; nothing can be changed.")
    render_storage_choice()
    with st.sidebar:
        st.caption(f"**Data:** `{get_data_source()}`")
        viewed = view_storage_url()
        st.caption(f"**Storage:** `{mask_url(viewed)}`")
        if is_read_only():
            return
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


# --------------------------------------------------------------------------------------------
# Knob widgets
# --------------------------------------------------------------------------------------------


def _preset_values(name: str) -> set[Any]:
    return {p[name] for fam in PRESETS.values() for p in fam.values() if name in p}


def log_options(knob: Knob) -> list[int]:
    """Slider stops for an integer knob on a log scale, plus its default and preset values.

    Powers of two for narrow ranges (sizes), 1-2-5 steps for wide ones (step counts).
    """
    low, high = int(knob.low or 1), int(knob.high or 1)
    if high / low < 1000:
        stops = {2**i for i in range(int(math.log2(high)) + 1)}
    else:
        stops = {m * 10**e for e in range(int(math.log10(high)) + 1) for m in (1, 2, 5)}
    stops |= {knob.default} | {int(v) for v in _preset_values(knob.name)}
    return sorted(v for v in stops if low <= v <= high)


def knob_key(prefix: str, knob: Knob) -> str:
    """Session-state key of a knob's widget (learning rates slide over log10 values)."""
    suffix = "_log10" if knob.name == "learning_rate" else ""
    return f"{prefix}_{knob.name}{suffix}"


def widget_value(knob: Knob, value: Any) -> Any:
    """A knob value as its widget holds it."""
    if knob.name == "learning_rate":
        return round(math.log10(float(value)), 4)  # 3e-3 stays 3e-3, not 10^-2.5
    if knob.type is int and knob.log:
        return int(value)
    return value


def set_knob_values(prefix: str, knobs: list[Knob], values: dict[str, Any]) -> None:
    """Put knob values into the widgets' session state (for a preset button's callback)."""
    for k in knobs:
        st.session_state[knob_key(prefix, k)] = widget_value(k, values.get(k.name, k.default))


def render_knob(
    knob: Knob, prefix: str, *, disabled: bool = False, note: str = "", on_change: Any = None
) -> Any:
    """Draw the widget for ``knob`` (its help from the config) and return the knob's value."""
    key = knob_key(prefix, knob)
    st.session_state.setdefault(key, widget_value(knob, knob.default))
    help_text = knob.help + (f" {note}" if note else "")
    common = {
        "key": key,
        "help": help_text,
        "disabled": disabled,
        "on_change": on_change,
        "args": (knob.name,) if on_change else None,
    }
    if knob.name == "learning_rate":
        exponent = st.slider(
            "learning_rate (log10)",
            math.log10(knob.low),
            math.log10(knob.high),
            step=0.1,
            format="10^%.1f",
            **common,
        )
        value = float(f"{10**exponent:.3g}")
        st.caption(f"learning_rate = {value:g}")
        return value
    if knob.type is bool:
        return st.toggle(knob.name, **common)
    if knob.choices is not None:
        if all(isinstance(c, int | float) for c in knob.choices):
            return st.select_slider(knob.name, options=list(knob.choices), **common)
        return st.selectbox(knob.name, options=list(knob.choices), **common)
    if knob.type is int and knob.log:
        return st.select_slider(knob.name, options=log_options(knob), **common)
    if knob.type is int:
        if knob.step is None and knob.high - knob.low > 10000:  # a seed, not a size
            return int(st.number_input(knob.name, int(knob.low), int(knob.high), step=1, **common))
        return st.slider(
            knob.name, int(knob.low), int(knob.high), step=int(knob.step or 1), **common
        )
    step = knob.step or round((knob.high - knob.low) / 100, 6)
    return st.slider(knob.name, float(knob.low), float(knob.high), step=float(step), **common)


# --------------------------------------------------------------------------------------------
# Stored models and the storage
# --------------------------------------------------------------------------------------------


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def load_cached_model(run_dir: str) -> LoadedModel:
    """A stored model, loaded once per server (read-only afterwards: eval mode, no_grad)."""
    return load_model(run_dir)


def list_study_names(kind: str | None = None) -> list[str]:
    """Names of the studies in the storage (``kind``: "search" or "playground"), newest first."""
    from core.studies.queries import list_studies

    studies = list_studies(view_storage_url())
    if kind is not None:
        studies = studies[studies["kind"] == kind]
    return studies["study"].tolist()


@st.cache_data(show_spinner=False, max_entries=32, ttl=600)
def _load_trials(name: str, storage_url: str, version: str) -> pd.DataFrame:
    """One study's trial table; ``version`` (trial count, last change) refreshes it."""
    from core.studies.queries import load_trials

    return load_trials(name, storage_url)


def load_family_trials(family: str) -> pd.DataFrame | None:
    """Every trial of every study of ``family`` (playground runs included), knobs as columns.

    Columns: ``study``, ``number``, ``state``, ``value``, ``test_accuracy`` ... and one column
    per knob. None (with the reason on screen) when the storage cannot be read.
    """
    from core.studies.queries import list_studies

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
    from core.studies.queries import list_studies

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
        col.metric(
            f"best {str(row.model).upper()} (validation)",
            f"{row.best_value:.1%}",
            help=f"study {row.study}, {row.complete} completed trials",
        )
        col.caption(f"from `{row.study}`")
    st.page_link("app_pages/results.py", label="Open Results", icon=":material/bar_chart:")


class WorkerRegistry:
    """Study worker processes this server launched, so they are reaped and counted.

    The storage is the source of truth for progress; this only knows which processes live.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handles: dict[str, list[subprocess.Popen]] = {}

    def add(self, study: str, handles: list[subprocess.Popen]) -> None:
        with self._lock:
            self._handles.setdefault(study, []).extend(handles)

    def alive(self) -> dict[str, int]:
        """Live worker processes per study (finished ones are reaped and forgotten)."""
        with self._lock:
            for study in list(self._handles):
                self._handles[study] = [h for h in self._handles[study] if h.poll() is None]
                if not self._handles[study]:
                    del self._handles[study]
            return {s: len(h) for s, h in self._handles.items()}


@st.cache_resource(show_spinner=False)
def get_worker_registry() -> WorkerRegistry:
    return WorkerRegistry()
