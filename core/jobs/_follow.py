"""A job that another process trains, followed through the storage alone.

When a server has no training slots of its own (``EXPLORER_JOB_SLOTS=0``), or another worker
took a job before this server's slot did, the job's trial is all there is to read. Every
:data:`FOLLOW_S` seconds :class:`StorageFollower` reads each such trial and folds it into the
job's snapshot:

- WAITING: queued, with its place in the queue that every server and worker shares;
- RUNNING: training, with the step and heartbeat its worker records, the host it runs on and
  each validation (the trial's intermediate values) as the live curve;
- finished: the outcome its worker stored, as a local job's would be.

It also fails the jobs whose workers stopped beating
(:func:`~core.studies.run._job_queue.fail_stale_jobs`), so no job stays RUNNING for ever.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from optuna.trial import FrozenTrial, TrialState

from core.jobs._snapshot import Job
from core.results import RunResult
from core.settings import get_job_stale_s
from core.studies.run import (
    STALE_CHECK_S,
    fail_stale_jobs,
    request_cancel,
    stored_result,
    waiting_jobs,
)
from core.studies.storage import open_storage

FOLLOW_S = 0.5  # how often a followed job's trial is read


def finished_outcome(trial: FrozenTrial) -> tuple[str, str, RunResult | None]:
    """A finished job trial as the job's final state, message and result."""
    attrs = trial.user_attrs
    message = str(attrs.get("message") or "")
    if attrs.get("status") == "cancelled" or trial.state == TrialState.PRUNED:
        return "cancelled", message or "Cancelled.", None
    result = stored_result(trial)
    if result is None:
        return "failed", message or "The run failed.", None
    return result.status, result.message, result


def fold_running(job: Job, trial: FrozenTrial) -> None:
    """A running trial's progress into its job's snapshot."""
    snap, attrs = job.snap, trial.user_attrs
    if snap.state != "cancelling":
        snap.state = "training"
    snap.queue_position = None
    snap.worker = attrs.get("job_worker_host")
    snap.step = int(attrs.get("job_step") or 0)
    if trial.datetime_start is not None:
        snap.started_at = trial.datetime_start.timestamp()
    if snap.started_at and snap.step:
        elapsed = max(0.0, time.time() - snap.started_at)
        snap.eta_s = elapsed / snap.step * max(0, snap.max_steps - snap.step)
    known = {row["step"] for row in snap.history}
    for step, value in sorted(trial.intermediate_values.items()):
        if int(step) not in known:
            snap.history.append({"step": int(step), "val_accuracy": float(value)})


class StorageFollower:
    """Follows jobs through their trials; ``finish(job, state, message, result)`` ends one."""

    def __init__(
        self,
        storage_url: str,
        lock: threading.RLock,
        finish: Callable[[Job, str, str, RunResult | None], None],
        closed: threading.Event,
    ) -> None:
        self.storage_url = storage_url
        self._storage: Any = None
        self._lock = lock
        self._finish = finish
        self._closed = closed
        self._jobs: list[Job] = []
        self._thread: threading.Thread | None = None
        self._last_stale_check = 0.0

    @property
    def storage(self) -> Any:
        """The storage, opened at the first job followed."""
        with self._lock:
            if self._storage is None:
                self._storage = open_storage(self.storage_url)
            return self._storage

    def follow(self, job: Job) -> None:
        with self._lock:
            job.followed = True
            self._jobs.append(job)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="explorer-job-follower", daemon=True
                )
                self._thread.start()

    def cancel(self, job: Job) -> None:
        """Ask the job's worker to stop, through the storage; a job no worker took ends now."""
        assert job.trial_id is not None
        if request_cancel(self.storage, job.trial_id):
            job.trial_id = None
            self._finish(job, "cancelled", "Cancelled before it started.", None)
        else:
            job.snap.state = "cancelling"

    def _run(self) -> None:
        while not self._closed.wait(FOLLOW_S):
            with contextlib.suppress(Exception):  # a storage hiccup: read again next time
                self.poll()

    def poll(self) -> None:
        """Read every followed job's trial once (the thread calls this; tests may too)."""
        now = time.monotonic()
        if now - self._last_stale_check >= STALE_CHECK_S:
            self._last_stale_check = now
            fail_stale_jobs(self.storage, get_job_stale_s())
        with self._lock:
            jobs = [j for j in self._jobs if not j.snap.done]
            self._jobs = jobs
        places: dict[int, int] | None = None  # the shared queue, read once per poll
        for job in jobs:
            assert job.trial_id is not None
            trial = self.storage.get_trial(job.trial_id)
            if trial.state.is_finished():
                state, message, result = finished_outcome(trial)
                job.trial_id = None  # its worker, or the stale check, has ended the trial
                self._finish(job, state, message, result)
            elif trial.state == TrialState.RUNNING:
                with self._lock:
                    fold_running(job, trial)
            else:
                if places is None:
                    places = {i: n + 1 for n, (i, _) in enumerate(waiting_jobs(self.storage))}
                with self._lock:
                    job.snap.queue_position = places.get(job.trial_id)
