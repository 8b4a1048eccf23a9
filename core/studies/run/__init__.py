"""Running studies and recording runs: study workers (:func:`launch_workers` starts them,
:func:`run_worker` is one), study creation from a spec, the Playground's trials, and replay of a
run the store already holds.

The study objective (:mod:`core.studies.run._objective`) imports torch; a study worker loads it
when it starts training.
"""

from __future__ import annotations

from core.studies.run._creation import create_study
from core.studies.run._job_queue import (
    HEARTBEAT_S,
    STALE_CHECK_S,
    beat,
    cancel_requested,
    claim_job,
    fail_stale_jobs,
    request_cancel,
    waiting_jobs,
)
from core.studies.run._launch import launch_workers, split_trials, watch_workers
from core.studies.run._playground import (
    create_job_trial,
    fail_job_trial,
    finish_job_trial,
    record_replay,
    record_run,
    recover_interrupted_jobs,
    replay_records,
    report_job_trial,
)
from core.studies.run._registry import WorkerRegistry
from core.studies.run._replay import find_replay, replay_key, stored_result
from core.studies.run._worker import run_worker

__all__ = [
    "beat",
    "cancel_requested",
    "claim_job",
    "fail_stale_jobs",
    "HEARTBEAT_S",
    "STALE_CHECK_S",
    "request_cancel",
    "waiting_jobs",
    "create_job_trial",
    "create_study",
    "fail_job_trial",
    "find_replay",
    "finish_job_trial",
    "launch_workers",
    "record_replay",
    "record_run",
    "replay_records",
    "recover_interrupted_jobs",
    "replay_key",
    "report_job_trial",
    "run_worker",
    "split_trials",
    "stored_result",
    "watch_workers",
    "WorkerRegistry",
]
