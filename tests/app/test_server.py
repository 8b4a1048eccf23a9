"""The app's server as `streamlit run` starts it, before any browser opens a page."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from tests.app.test_browser import streamlit_server


def _children(pid: int) -> list[str]:
    out = subprocess.run(
        ["ps", "--ppid", str(pid), "-o", "args="], capture_output=True, text=True, check=False
    )
    return out.stdout.splitlines()


def _server_pid(port: str) -> int:
    out = subprocess.run(
        ["pgrep", "-f", "--", f"--server.port {port}"], capture_output=True, text=True, check=False
    )
    return int(out.stdout.split()[0])


def _job_workers(pid: int) -> list[str]:
    return [c for c in _children(pid) if "multiprocessing.spawn" in c]


def test_the_job_workers_start_with_the_server(tiny_data_dir: Path, tmp_path: Path) -> None:
    """The Playground's worker processes start and load the data when the server starts, so the
    first click on Train is as fast as the next; a read-only viewer starts none."""
    env = os.environ | {
        "EXPLORER_DATA": str(tiny_data_dir),
        "EXPLORER_STORAGE": f"sqlite:///{tmp_path / 'explorer.db'}",
        "EXPLORER_RUNS": str(tmp_path / "runs"),
        "EXPLORER_CACHE": str(tmp_path / "cache"),
        "EXPLORER_JOB_SLOTS": "1",
    }
    with streamlit_server(env, tmp_path / "streamlit.log") as url:
        pid = _server_pid(url.rsplit(":", 1)[1])
        deadline = time.monotonic() + 60
        while not _job_workers(pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(_job_workers(pid)) == 1, _children(pid)  # no page was opened
    viewer = env | {"EXPLORER_READ_ONLY": "1"}
    with streamlit_server(viewer, tmp_path / "viewer.log") as url:
        time.sleep(5)
        assert _job_workers(_server_pid(url.rsplit(":", 1)[1])) == []
