"""Background work the app owns: training jobs and the optuna-dashboard server.

:class:`JobManager` runs :func:`core.trainer.train_run` in background threads, one per job, so a
page never trains inside a script rerun. Each job reports its progress (step, ETA, live history)
through a ``TrainerCallback`` and can be cancelled. Jobs are keyed by an *owner* (the app passes
one id per browser session): one owner can neither see nor cancel another's jobs. When a job
finishes, the manager hands its :class:`~core.trainer.RunResult` to a ``record`` function (the
studies' ``record_run``), so the run lands in the Optuna storage like any trial.

Threads rather than processes: the tokenized data stays in this process's memory
(``prepare_data``), so a slider run starts at once instead of re-importing torch and reloading
the data. Jobs train one at a time, in submission order, whoever submitted them: transformers'
``Trainer`` keeps process-wide state (accelerate's ``AcceleratorState``), and a second Trainer
built while another trains resets it under the first (seen as "AcceleratorState object has no
attribute distributed_type"). On a 2-core machine one run already uses both cores, so the queue
costs no throughput. Studies, which run for long, are launched as worker processes by
``core.studies``.

:class:`DashboardServer` starts ``optuna-dashboard`` as a subprocess on a free localhost port.

Neither class keeps module-level state: the app holds one instance (``st.cache_resource``).
"""

from __future__ import annotations

import atexit
import copy
import importlib.util
import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from core.config import RunConfig
from core.errors import ExplorerError
from core.settings import PROJECT_ROOT, ensure_writable, is_read_only
from core.trainer import RunResult, train_run

# queued -> preparing (data, tokenizer) -> training -> recording -> a final state
FINAL_STATES = ("completed", "early_stopped", "cancelled", "diverged", "failed")


@dataclass
class JobSnapshot:
    """A copy of a job's progress, safe to read while the job runs."""

    id: str
    owner: str
    family: str
    state: str  # queued, preparing, training, recording or one of FINAL_STATES
    step: int = 0
    max_steps: int = 0
    started_at: float | None = None  # wall clock when training began
    finished_at: float | None = None
    eta_s: float | None = None
    history: list[dict[str, float]] = field(default_factory=list)
    result: RunResult | None = None
    trial_number: int | None = None  # the trial the run became in the playground study
    message: str = ""  # one sentence for the user: why it failed, or a note
    flat_config: dict[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.max_steps) if self.max_steps else 0.0


class _Job:
    def __init__(self, job_id: str, owner: str, run: RunConfig) -> None:
        self.lock = threading.Lock()
        self.cancel = threading.Event()
        self.run = run
        self.snap = JobSnapshot(
            id=job_id,
            owner=owner,
            family=run.family,
            state="queued",
            max_steps=run.train.max_steps,
            flat_config=run.to_flat(),
        )

    def update(self, **changes: Any) -> None:
        with self.lock:
            for key, value in changes.items():
                setattr(self.snap, key, value)

    def snapshot(self) -> JobSnapshot:
        with self.lock:
            return copy.deepcopy(self.snap)


class _ProgressCallback(TrainerCallback):
    """Feeds a job's snapshot from the trainer's events and stops the run on cancel."""

    def __init__(self, job: _Job) -> None:
        self.job = job
        self.t0 = 0.0

    def on_train_begin(self, args, state, control, **kwargs):
        self.t0 = time.perf_counter()
        self.job.update(state="training", started_at=time.time(), max_steps=state.max_steps)

    def on_step_end(self, args, state, control, **kwargs):
        step, total = state.global_step, state.max_steps
        elapsed = time.perf_counter() - self.t0
        eta = elapsed / step * (total - step) if step else None
        self.job.update(step=step, eta_s=eta)
        if self.job.cancel.is_set():
            control.should_training_stop = True

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        row: dict[str, float] = {"step": state.global_step}
        if "loss" in logs:
            row["train_loss"] = float(logs["loss"])
        if "eval_accuracy" in logs:
            row["val_accuracy"] = float(logs["eval_accuracy"])
            row["val_loss"] = float(logs["eval_loss"])
        if len(row) > 1:
            with self.job.lock:
                history = self.job.snap.history
                if history and history[-1]["step"] == row["step"]:
                    history[-1].update(row)
                else:
                    history.append(row)


Recorder = Callable[[RunResult], int | None]


class JobManager:
    """Runs training jobs in background threads, keyed by owner.

    ``record`` receives every finished, non-cancelled result and returns its trial number; it
    runs in the job's thread. One job trains at a time (see the module docstring); the others
    wait, in state ``queued``.
    """

    def __init__(self, record: Recorder | None = None, *, keep_per_owner: int = 10) -> None:
        self._record = record
        self._training = threading.Lock()  # one Trainer per process at a time
        self._keep = keep_per_owner
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._ids = itertools.count(1)

    def submit(self, owner: str, run: RunConfig) -> str:
        """Queue ``run`` for ``owner`` and return the job's id at once."""
        ensure_writable("train a model")
        with self._lock:
            job_id = f"job-{next(self._ids)}"
            job = _Job(job_id, owner, run)
            self._jobs[job_id] = job
            self._forget_old(owner)
        thread = threading.Thread(
            target=self._work, args=(job,), name=f"explorer-{job_id}", daemon=True
        )
        self._threads[job_id] = thread
        thread.start()
        return job_id

    def get(self, owner: str, job_id: str) -> JobSnapshot | None:
        """The job's progress, or None when ``owner`` has no such job."""
        job = self._own(owner, job_id)
        return job.snapshot() if job else None

    def list_jobs(self, owner: str) -> list[JobSnapshot]:
        """``owner``'s jobs, oldest first."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.snap.owner == owner]
        return [j.snapshot() for j in jobs]

    def cancel(self, owner: str, job_id: str) -> bool:
        """Ask ``owner``'s job to stop after its current step; False when there is no such job."""
        job = self._own(owner, job_id)
        if job is None:
            return False
        job.cancel.set()
        return True

    def wait(self, owner: str, job_id: str, timeout: float | None = None) -> JobSnapshot | None:
        """Block until the job ends (for the CLI and tests; pages poll :meth:`get`)."""
        if self._own(owner, job_id) is None:
            return None
        thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)
        return self.get(owner, job_id)

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel every job and wait for their threads."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel.set()
        deadline = time.monotonic() + timeout
        for thread in list(self._threads.values()):
            thread.join(max(0.0, deadline - time.monotonic()))

    # ----------------------------------------------------------------------------------------

    def _own(self, owner: str, job_id: str) -> _Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.snap.owner == owner else None

    def _forget_old(self, owner: str) -> None:
        mine = [j for j in self._jobs.values() if j.snap.owner == owner and j.snap.done]
        for job in mine[: max(0, len(mine) - self._keep)]:
            self._jobs.pop(job.snap.id, None)
            self._threads.pop(job.snap.id, None)

    def _work(self, job: _Job) -> None:
        with self._training:
            if job.cancel.is_set():
                job.update(state="cancelled", finished_at=time.time(), message="Cancelled.")
                return
            job.update(state="preparing")
            try:
                result = train_run(job.run, callbacks=[_ProgressCallback(job)])
            except ExplorerError as err:
                job.update(state="failed", finished_at=time.time(), message=str(err))
                return
            except Exception as err:  # noqa: BLE001 - a job must never die silently
                job.update(
                    state="failed",
                    finished_at=time.time(),
                    message=f"Training failed: {type(err).__name__}: {err}".rstrip(".") + ".",
                )
                return
        trial_number, note = None, result.message
        if result.status != "cancelled" and self._record is not None:
            job.update(state="recording", step=result.steps)
            try:
                trial_number = self._record(result)
            except Exception as err:  # noqa: BLE001 - the run is kept even if storing fails
                note = f"The run finished but could not be stored: {err}".rstrip(".") + "."
        job.update(
            state=result.status,
            step=result.steps,
            result=result,
            trial_number=trial_number,
            history=list(result.history),
            finished_at=time.time(),
            eta_s=0.0,
            message=note,
        )


# --------------------------------------------------------------------------------------------
# optuna-dashboard
# --------------------------------------------------------------------------------------------


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
        from core.studies.storage import is_read_only_url

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
            from core.studies.storage import open_storage, read_only_url, snapshot_storage

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
