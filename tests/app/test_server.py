"""The app's server as `streamlit run` starts it, before any browser opens a page."""

from __future__ import annotations

import os
import signal
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


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs (an exited child not yet waited for is a zombie: not running)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def _job_workers(pid: int) -> list[str]:
    return [c for c in _children(pid) if "multiprocessing.spawn" in c]


def _env(tiny_data_dir: Path, tmp_path: Path) -> dict[str, str]:
    return os.environ | {
        "EXPLORER_DATA": str(tiny_data_dir),
        "EXPLORER_STORAGE": f"sqlite:///{tmp_path / 'explorer.db'}",
        "EXPLORER_RUNS": str(tmp_path / "runs"),
        "EXPLORER_CACHE": str(tmp_path / "cache"),
        "EXPLORER_JOB_SLOTS": "1",
    }


def _clean_stop(log: Path, group: int) -> None:
    """Nothing but Streamlit's own lines once every process of the server's group has ended
    (the resource tracker reports leaks as it ends, after the server): no traceback from a job
    worker, no semaphore of theirs reported leaked."""
    deadline = time.monotonic() + 20
    while subprocess.run(["pgrep", "-g", str(group)], capture_output=True).stdout.strip():
        assert time.monotonic() < deadline, "the server's processes did not end"
        time.sleep(0.2)
    text = log.read_text()
    assert "Traceback" not in text and "leaked semaphore" not in text, text[-3000:]


def test_the_job_workers_start_with_the_server(tiny_data_dir: Path, tmp_path: Path) -> None:
    """The Playground's worker processes start and load the data when the server starts, so the
    first click on Train is as fast as the next; a read-only viewer starts none. Stopped with
    SIGTERM (systemd, docker stop), the server stops them cleanly."""
    env = _env(tiny_data_dir, tmp_path)
    with streamlit_server(env, tmp_path / "streamlit.log") as url:
        pid = _server_pid(url.rsplit(":", 1)[1])
        deadline = time.monotonic() + 60
        while not _job_workers(pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(_job_workers(pid)) == 1, _children(pid)  # no page was opened
        time.sleep(3)  # the worker warms up
    _clean_stop(tmp_path / "streamlit.log", pid)
    viewer = env | {"EXPLORER_READ_ONLY": "1"}
    with streamlit_server(viewer, tmp_path / "viewer.log") as url:
        time.sleep(5)
        assert _job_workers(_server_pid(url.rsplit(":", 1)[1])) == []


def test_ctrl_c_stops_the_server_and_its_workers_cleanly(
    tiny_data_dir: Path, tmp_path: Path
) -> None:
    """Ctrl-C in the terminal of `make app` reaches every process of its group: the job worker
    leaves its stopping to the server, which stops it, and nothing prints a traceback."""
    with streamlit_server(_env(tiny_data_dir, tmp_path), tmp_path / "streamlit.log") as url:
        pid = _server_pid(url.rsplit(":", 1)[1])
        deadline = time.monotonic() + 60
        while not _job_workers(pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(3)
        os.killpg(os.getpgid(pid), signal.SIGINT)
        deadline = time.monotonic() + 30
        while _running(pid):
            assert time.monotonic() < deadline, "the server did not stop"
            time.sleep(0.5)
    _clean_stop(tmp_path / "streamlit.log", pid)
