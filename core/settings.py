"""Process-wide settings read from the environment, with the defaults a fresh clone uses.

| variable          | meaning                                              | default                     |
|-------------------|------------------------------------------------------|-----------------------------|
| ``EXPLORER_DATA`` | Hub dataset id or local folder with train/test files | ``stanfordnlp/imdb``        |
| ``EXPLORER_CACHE``| tokenizers and tokenized splits                      | ``<project>/.cache``        |
| ``EXPLORER_RUNS`` | saved models and run results                         | ``<project>/runs``          |
| ``EXPLORER_STORAGE`` | Optuna storage URL (studies and playground runs)  | ``sqlite:///<project>/studies/explorer.db`` |
| ``EXPLORER_STUDIES`` | the folder of study files the app may open        | ``<project>/studies``       |
| ``EXPLORER_READ_ONLY`` | ``1``: a read-only viewer (see below)           | off                         |
| ``EXPLORER_JOB_THREADS`` | torch threads per Playground job              | ``min(2, cores)``           |
| ``EXPLORER_JOB_SLOTS`` | Playground jobs that train at once              | ``cores // job threads``    |

Read-only mode is one switch, ``EXPLORER_READ_ONLY=1`` in the environment (the app also copies it
from Streamlit secrets, see ``app_pages/_sidebar.apply_secrets``). In it the default storage is the
committed ``studies/examples.db``, every storage is opened read-only (``core.studies.storage._backend``),
and every function that writes calls :func:`ensure_writable` first, which raises
:class:`~core.errors.ReadOnlyError`.
"""

from __future__ import annotations

import os
from pathlib import Path

from core.errors import ConfigError, ReadOnlyError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = "stanfordnlp/imdb"


def get_data_source() -> str:
    """The dataset setting: ``EXPLORER_DATA`` or the Hub's IMDB."""
    return os.environ.get("EXPLORER_DATA") or DEFAULT_DATA


def get_cache_dir() -> Path:
    """Where tokenizers and tokenized splits are cached."""
    return Path(os.environ.get("EXPLORER_CACHE") or PROJECT_ROOT / ".cache")


def get_runs_dir() -> Path:
    """Where trained models and their results are saved."""
    return Path(os.environ.get("EXPLORER_RUNS") or PROJECT_ROOT / "runs")


WORK_FILE = "explorer"  # studies/explorer.db: where the Playground and new studies write
EXAMPLES_FILE = "examples"  # studies/examples.db: committed studies from real runs
READ_ONLY_VALUES = {"1", "true", "yes", "on"}


def is_read_only() -> bool:
    """Whether this process is a read-only viewer (``EXPLORER_READ_ONLY``)."""
    return os.environ.get("EXPLORER_READ_ONLY", "").strip().lower() in READ_ONLY_VALUES


def ensure_writable(action: str) -> None:
    """Raise :class:`ReadOnlyError` (one sentence naming ``action``) in read-only mode."""
    if is_read_only():
        raise ReadOnlyError(f"This explorer is a read-only viewer, so it cannot {action}.")


def get_studies_dir() -> Path:
    """The folder of study files (``*.db``) that the app lists and may open."""
    return Path(os.environ.get("EXPLORER_STUDIES") or PROJECT_ROOT / "studies")


def get_study_logs_dir() -> Path:
    """Where study workers launched in the background write their logs (CLI and app alike)."""
    return get_studies_dir() / "logs"


def get_storage_url() -> str:
    """The Optuna storage: ``EXPLORER_STORAGE``, or a SQLite file under ``studies/``.

    That file is ``explorer.db``, where runs and studies are written, or in read-only mode the
    committed ``examples.db``, so that a fresh clone's viewer shows real results at once.
    """
    name = EXAMPLES_FILE if is_read_only() else WORK_FILE
    return os.environ.get("EXPLORER_STORAGE") or f"sqlite:///{get_studies_dir() / name}.db"


def available_cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def _int_setting(name: str, least: int = 1) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = least - 1
    if value < least:
        raise ConfigError(f"{name} must be a whole number of at least {least}, got '{raw[:20]}'.")
    return value


def get_job_threads() -> int:
    """torch threads each Playground job trains with: ``EXPLORER_JOB_THREADS``, else
    ``min(2, cores)``. Small models gain little from more than two threads, and fewer threads
    per job leave cores for more jobs at once."""
    return _int_setting("EXPLORER_JOB_THREADS") or min(2, available_cores())


def get_job_slots() -> int:
    """Playground jobs this server trains at once: ``EXPLORER_JOB_SLOTS``, else the cores
    divided by the threads per job (at least 1). Later jobs wait, first in, first out. 0: the
    server trains nothing itself, and workers that share its storage (``python -m core worker``)
    take its jobs."""
    slots = _int_setting("EXPLORER_JOB_SLOTS", least=0)
    return slots if slots is not None else max(1, available_cores() // get_job_threads())


def get_job_stale_s() -> float:
    """Seconds without a heartbeat after which a running job's worker counts as stopped and its
    job fails: ``EXPLORER_JOB_STALE_S``, else 15 (a worker beats every second)."""
    return float(_int_setting("EXPLORER_JOB_STALE_S") or 15)
