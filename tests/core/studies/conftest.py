"""Fixtures for the study tests: a tiny study definition on the tiny synthetic data, and the
storages that workers share (a SQLite file, and a PostgreSQL database when the tests have one).

PostgreSQL tests run when ``EXPLORER_TEST_POSTGRES_URL`` names a server (``.ci/postgres.sh start``
prints it) whose user may create databases; each test gets a database of its own, dropped after.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import optuna
import pytest
import torch

from core.studies.spec._parse import parse_spec
from core.studies.spec._study_spec import StudySpec
from core.studies.storage._backend import close_storages

POSTGRES_URL_VAR = "EXPLORER_TEST_POSTGRES_URL"
needs_postgres = pytest.mark.skipif(
    not os.environ.get(POSTGRES_URL_VAR),
    reason=f'{POSTGRES_URL_VAR} is not set (eval "$(.ci/postgres.sh start)" sets it)',
)
# The storages that several worker processes can share, as pytest parameters.
SHARED_BACKENDS = ["sqlite", pytest.param("postgresql", marks=needs_postgres)]

optuna.logging.set_verbosity(optuna.logging.WARNING)
# The machine is shared: two torch threads on a busy 2-core box run 20x slower than one.
torch.set_num_threads(1)

# A trial of this size trains in about a second on one core.
TINY_FIXED = {
    "vocab_size": 1000,
    "val_fraction": 0.2,
    "max_length": 64,
    "embedding_dim": 16,
    "num_filters": 8,
    "eval_steps": 10,
    "max_steps": 30,
    "batch_size": 32,
}


def tiny_spec_dict(data_dir: Path, **over: Any) -> dict[str, Any]:
    """A valid study definition on the tiny data; ``over`` replaces top-level keys."""
    raw: dict[str, Any] = {
        "name": "tiny",
        "model": "cnn",
        "n_trials": 3,
        "seed": 0,
        "sampler": "random",
        "pruner": "none",
        "data": {"data": str(data_dir)},
        "fixed": dict(TINY_FIXED),
        "params": {
            "learning_rate": {"low": 1e-3, "high": 3e-2, "log": True},
            "dropout": {"low": 0.0, "high": 0.5, "step": 0.1},
        },
    }
    return raw | over


@pytest.fixture
def tiny_spec(tiny_data_dir: Path) -> StudySpec:
    return parse_spec(tiny_spec_dict(tiny_data_dir))


@contextmanager
def temporary_postgres_database() -> Iterator[str]:
    """The URL of a fresh database on the test server, dropped (with its connections) after."""
    from sqlalchemy import create_engine, make_url, text
    from sqlalchemy.pool import NullPool

    base = make_url(os.environ[POSTGRES_URL_VAR])
    name = f"explorer_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        close_storages(url)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def temporary_storage(backend: str, folder: Path) -> Iterator[str]:
    """A URL of an empty shared storage: a SQLite file in ``folder``, or a fresh database."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'shared.db'}"
    else:
        with temporary_postgres_database() as url:
            yield url


@pytest.fixture(params=SHARED_BACKENDS)
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty storage that worker processes share: SQLite, then PostgreSQL."""
    with temporary_storage(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """An empty PostgreSQL database (the test is skipped without a server)."""
    if not os.environ.get(POSTGRES_URL_VAR):
        pytest.skip(f"{POSTGRES_URL_VAR} is not set")
    with temporary_postgres_database() as url:
        yield url
