"""Process-wide settings read from the environment, with the defaults a fresh clone uses.

| variable          | meaning                                              | default                     |
|-------------------|------------------------------------------------------|-----------------------------|
| ``EXPLORER_DATA`` | Hub dataset id or local folder with train/test files | ``stanfordnlp/imdb``        |
| ``EXPLORER_CACHE``| tokenizers and tokenized splits                      | ``<project>/.cache``        |
| ``EXPLORER_RUNS`` | saved models and run results                         | ``<project>/runs``          |
| ``EXPLORER_STORAGE`` | Optuna storage URL (studies and playground runs)  | ``sqlite:///<project>/studies/explorer.db`` |
"""

from __future__ import annotations

import os
from pathlib import Path

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


def get_storage_url() -> str:
    """The Optuna storage: ``EXPLORER_STORAGE`` or a SQLite file under ``studies/``."""
    return (
        os.environ.get("EXPLORER_STORAGE")
        or f"sqlite:///{PROJECT_ROOT / 'studies' / 'explorer.db'}"
    )
