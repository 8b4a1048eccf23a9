"""The Playground's jobs as a queue in the storage, shared by every worker that can reach it.

A job is a WAITING trial of ``playground-<family>`` from the moment it is submitted
(:func:`~core.studies.run._playground.create_job_trial`). Any worker, the app's own slots or
``python -m core worker`` on another machine, serves the queue through these calls:

- :func:`waiting_jobs`: the WAITING job trials, oldest first (jobs start in submission order;
  a job's place in that list is its place in the queue every server shows);
- :func:`claim_job`: WAITING to RUNNING through the storage's guarded state change (a row lock
  on PostgreSQL, one writer at a time on SQLite), so exactly one worker takes a job; the worker
  then records its host and process;
- :func:`beat`: while it runs, the worker's heartbeat and the job's step, every
  :data:`HEARTBEAT_S` seconds, which any server reads as progress;
- :func:`request_cancel` and :func:`cancel_requested`: a stop request that crosses machines;
- :func:`fail_stale_jobs`: a RUNNING job whose worker stopped beating fails with the reason;
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial, TrialState
from sqlalchemy.exc import OperationalError

from core.studies._optuna_compat import study_id_of, trial_id_of
from core.studies.run._playground import PLAYGROUND_PREFIX, fail_job_trial

HEARTBEAT_S = 1.0  # how often a running job's worker records its heartbeat and step
STALE_CHECK_S = 2.0  # how often a server or an idle worker looks for jobs whose worker stopped
CANCEL_ATTR = "job_cancel"


def _job_trials(s: BaseStorage, states: tuple[TrialState, ...]) -> list[FrozenTrial]:
    out = []
    for summary in s.get_all_studies():
        if summary.study_name.startswith(PLAYGROUND_PREFIX):
            trials = s.get_all_trials(study_id_of(summary), deepcopy=False, states=states)
            out += [t for t in trials if t.user_attrs.get("source") == "playground"]
    return sorted(out, key=trial_id_of)


def waiting_jobs(s: BaseStorage) -> list[tuple[int, FrozenTrial]]:
    """Every job trial still waiting for a worker, with its trial id, in submission order."""
    return [(trial_id_of(t), t) for t in _job_trials(s, (TrialState.WAITING,))]


def worker_attrs(worker_id: str) -> dict[str, Any]:
    """What a job's trial records about the worker that runs it."""
    return {"job_worker": worker_id, "job_worker_host": socket.gethostname(),
            "job_worker_pid": os.getpid()}  # fmt: skip


def claim_job(s: BaseStorage, trial_id: int, worker_id: str) -> bool:
    """Take a waiting job for this worker: True for exactly one of the workers that try."""
    try:
        if not s.set_trial_state_values(trial_id, TrialState.RUNNING):
            return False
    except (UpdateFinishedTrialError, OperationalError):  # cancelled, or another writer won
        return False
    for key, value in (worker_attrs(worker_id) | {"job_heartbeat": time.time()}).items():
        s.set_trial_user_attr(trial_id, key, value)
    return True


def beat(s: BaseStorage, trial_id: int, step: int) -> None:
    """The running job's heartbeat and its step."""
    s.set_trial_user_attr(trial_id, "job_heartbeat", time.time())
    s.set_trial_user_attr(trial_id, "job_step", int(step))


def request_cancel(s: BaseStorage, trial_id: int) -> bool:
    """Ask whoever runs the job to stop. A job no worker has taken ends at once (True); a
    running one stops at its worker's next check."""
    trial = s.get_trial(trial_id)
    if trial.state.is_finished():
        return False
    try:
        s.set_trial_user_attr(trial_id, CANCEL_ATTR, True)
    except UpdateFinishedTrialError:
        return False
    if trial.state == TrialState.WAITING:
        fail_job_trial(s, trial_id, "Cancelled before it started.", cancelled=True)
        return True
    return False


def cancel_requested(trial: FrozenTrial) -> bool:
    """Whether the job's run should stop: a cancel was asked for, or its trial has ended."""
    return bool(trial.user_attrs.get(CANCEL_ATTR)) or trial.state.is_finished()


def fail_stale_jobs(s: BaseStorage, stale_s: float, now: float | None = None) -> int:
    """Fail every running job whose worker has not beaten for ``stale_s`` seconds, naming the
    worker's host; return how many."""
    now = time.time() if now is None else now
    n = 0
    for trial in _job_trials(s, (TrialState.RUNNING,)):
        last = trial.user_attrs.get("job_heartbeat")
        if not isinstance(last, int | float) or now - last < stale_s:
            continue
        host = trial.user_attrs.get("job_worker_host", "another machine")
        pid = trial.user_attrs.get("job_worker_pid")
        fail_job_trial(
            s,
            trial_id_of(trial),
            f"The worker on {host}" + (f" (process {pid})" if pid else "") + " stopped: no "
            f"heartbeat for {now - last:.0f} s while this run was training; train it again.",
        )
        n += 1
    return n
