"""App tests: the tiny data, a storage of their own, and a helper to follow a background job."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")

# Keeps a Playground run to a few seconds on the tiny data.
TINY_KNOBS = {
    "max_steps": 20,
    "eval_steps": 10,
    "embedding_dim": 16,
    "max_length": 64,
    "vocab_size": 1000,
    "batch_size": 16,
}


@pytest.fixture
def app_env(tiny_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The app reads the tiny data and a fresh SQLite storage; returns the storage URL."""
    url = f"sqlite:///{tmp_path / 'explorer.db'}"
    monkeypatch.setenv("EXPLORER_DATA", str(tiny_data_dir))
    monkeypatch.setenv("EXPLORER_STORAGE", url)
    monkeypatch.setenv("EXPLORER_RUNS", str(tmp_path / "runs"))
    return url


def serve_read_only(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Read-only mode on the studies folder ``folder`` (its examples.db is the default file)."""
    monkeypatch.setenv("EXPLORER_STUDIES", str(folder))
    monkeypatch.delenv("EXPLORER_STORAGE")
    monkeypatch.setenv("EXPLORER_READ_ONLY", "1")
    return folder


def new_app(page: str | None = None, timeout: float = 30) -> AppTest:
    """A fresh session of the app, run once, on ``page`` (e.g. "app_pages/playground.py")."""
    at = AppTest.from_file(APP, default_timeout=timeout).run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_app(**query: str) -> AppTest:
    """A fresh session of the app opened with ``query`` as the link's parameters, run once."""
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def wait_for(at: AppTest, done: Callable[[AppTest], bool], timeout: float = 150) -> AppTest:
    """Rerun ``at`` (as the page's fragment would) until ``done(at)`` or the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        if done(at):
            return at
        time.sleep(0.5)
    raise AssertionError("timed out waiting for the app")


@pytest.fixture(autouse=True)
def release_app_resources():
    """After each test, release the app's server-wide resources (the job manager, caches)."""
    yield
    import streamlit as st

    st.cache_resource.clear()  # on_release: JobManager.shutdown
    st.cache_data.clear()


@pytest.fixture(scope="session")
def trained_runs(tiny_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A runs folder with three tiny saved models: a CNN, a seed-preset RNN and a packed GRU."""
    from core.knobs._fields import DataConfig
    from core.training._config import build_run_config
    from core.training._trainer import train_run

    root = tmp_path_factory.mktemp("trained-runs")
    data = DataConfig(data=str(tiny_data_dir), vocab_size=1000)
    tiny = {k: v for k, v in TINY_KNOBS.items() if k != "vocab_size"} | {"max_steps": 40}
    for name, family, preset, extra in (
        ("a-cnn", "cnn", "default", {}),
        ("b-seed-rnn", "rnn", "seed", {"batch_size": 16}),
        ("c-packed-rnn", "rnn", "default", {"learning_rate": 1e-2}),
    ):
        run = build_run_config(family, preset, tiny | extra, data=data)
        train_run(run, run_dir=root / name)
    return root
