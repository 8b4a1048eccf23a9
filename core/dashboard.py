"""optuna-dashboard beside the app: :class:`DashboardServer` runs it in a subprocess on a free
localhost port, against the app's storage (or, read-only, a copy of it).

It keeps no module-level state: the app holds one instance (``st.cache_resource``).
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from core.errors import ExplorerError
from core.settings import PROJECT_ROOT, is_read_only


def find_free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


_DASHBOARD_MAIN = """
import os, sys
from optuna_dashboard import run_server
from core.studies.storage import open_storage
run_server(open_storage(os.environ["EXPLORER_DASHBOARD_STORAGE"]), host=sys.argv[1], port=int(sys.argv[2]))
"""


class DashboardServer:
    """``optuna-dashboard`` on a free localhost port, stopped by :meth:`stop` or at exit.

    optuna-dashboard has no read-only mode, and its delete and rename buttons act at once. So in
    read-only mode (or for a read-only URL) it never sees the real storage: it serves a copy made
    when it starts (:func:`~core.studies.storage.snapshot_storage`), in a temporary folder that
    :meth:`stop` removes, and opens even that copy read-only.
    """

    def __init__(self, storage_url: str, host: str = "127.0.0.1") -> None:
        from core.studies.files import is_read_only_url

        self.storage_url = storage_url
        self.host = host
        self.port: int | None = None
        self.serves_copy = is_read_only() or is_read_only_url(storage_url)
        self.served_url: str | None = None  # what the dashboard process opens
        self._copy_dir: tempfile.TemporaryDirectory | None = None
        self._proc: subprocess.Popen | None = None
        self._log: Any = None
        self._lock = threading.Lock()
        atexit.register(self.stop)

    @property
    def url(self) -> str | None:
        return f"http://{self.host}:{self.port}/dashboard/" if self.port else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 30.0) -> str:
        """Start the server (once) and return its URL when it answers."""
        with self._lock:
            if self.running:
                return self.url or ""
            if importlib.util.find_spec("optuna_dashboard") is None:
                raise ExplorerError(
                    "optuna-dashboard is not installed; pip install optuna-dashboard."
                )
            from core.studies.files import read_only_url
            from core.studies.storage import open_storage, snapshot_storage

            if self.serves_copy:
                self._copy_dir = tempfile.TemporaryDirectory(prefix="explorer-dashboard-")
                copy = Path(self._copy_dir.name) / "snapshot.db"
                self.served_url = read_only_url(snapshot_storage(self.storage_url, copy))
            else:
                open_storage(self.storage_url)  # creates the tables: the dashboard will not
                self.served_url = self.storage_url
            self.port = find_free_port(self.host)
            # A file, not a pipe: the server logs every request, and a full pipe would block it.
            self._log = tempfile.TemporaryFile()
            # The URL travels in the environment, not on the command line (visible in `ps`), and
            # the server gets our hardened storage (SQLite WAL + BEGIN IMMEDIATE, psycopg 3).
            env = os.environ | {
                "EXPLORER_DASHBOARD_STORAGE": self.served_url,
                "PYTHONPATH": os.pathsep.join(
                    [str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]
                ),
            }
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _DASHBOARD_MAIN, self.host, str(self.port)],
                env=env,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    self._log.seek(0)
                    err = self._log.read().decode(errors="replace").strip()
                    last = err.splitlines()[-1] if err else f"exit code {self._proc.returncode}"
                    self._proc = None
                    raise ExplorerError(f"optuna-dashboard stopped at once: {last}.")
                try:
                    urllib.request.urlopen(f"http://{self.host}:{self.port}/api/meta", timeout=1)
                    return self.url or ""
                except OSError:
                    time.sleep(0.3)
            self.stop()
            raise ExplorerError(f"optuna-dashboard did not answer within {timeout:.0f} s.")

    def stop(self) -> None:
        """Stop the server and its process group, and drop the copy it served; safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        copy_dir, self._copy_dir = self._copy_dir, None
        if copy_dir is not None:
            copy_dir.cleanup()
