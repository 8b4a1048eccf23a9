"""``python -m core worker``: train the Playground's jobs on any machine that reaches the storage.

The app's servers put every job into the storage as a WAITING trial. A worker takes the oldest
one it can serve (:func:`~core.studies.run._job_queue.claim_job`: one worker per job), trains it
with the code the app's own slots use (:func:`core.jobs._slot.run_job`), and stores the outcome
in the trial, where the server that took the click reads it.

A job names its data by content (``data_fingerprint``), not by the server's path: a worker
serves a job only when one of its own datasets (its ``EXPLORER_DATA`` or ``--data``: a folder,
a folder of datasets, or a Hub id) has that fingerprint under the job's validation split. Any
other job it leaves to another worker, and says why once.

Ctrl-C or SIGTERM stops the worker: the job it trains ends at its next step, failed with the
reason, and nothing stays RUNNING.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from core.data import list_datasets, load_data, loaded_fingerprint, usable
from core.errors import DataError, ExplorerError
from core.jobs._slot import prepare_worker, run_job, stopping
from core.jobs._snapshot import JobTask
from core.knobs import DataConfig
from core.settings import get_job_stale_s
from core.studies.run import STALE_CHECK_S, fail_stale_jobs, waiting_jobs
from core.studies.storage import (
    StorageError,
    mask_url,
    open_storage,
    require_study_file,
)

POLL_S = 0.5  # how often an idle worker looks for a job


class _Outcome:
    """The events sink of a job run here: its progress is in the trial; keep only the end."""

    def __init__(self) -> None:
        self.done: dict[str, Any] = {}

    def put(self, event: tuple[str, str, dict[str, Any]]) -> None:
        if event[0] == "done":
            self.done = event[2]


class DataMatcher:
    """Which of this worker's datasets a job's data is, by content fingerprint."""

    def __init__(self, setting: str) -> None:
        self.setting = setting
        self.sources = [e.source for e in usable(list_datasets(setting))]
        if not self.sources:
            raise DataError(f"The worker's data setting {setting} holds no readable dataset.")
        self._unreadable: set[str] = set()  # data settings that failed to load, by repr

    def find(self, job_data: DataConfig, fingerprint: str) -> DataConfig | None:
        """The job's data as this worker reads it, or None when it has no such data. Each
        setting is loaded once (:func:`~core.data.loaded_fingerprint` remembers it)."""
        for source in self.sources:
            local = dataclasses.replace(job_data, data=source)
            here = loaded_fingerprint(local)
            if here is None and repr(local) not in self._unreadable:
                try:
                    here = load_data(local).fingerprint
                except ExplorerError:
                    self._unreadable.add(repr(local))
            if here == fingerprint:
                return local
        return None


def check_storage(url: str) -> Any:
    """The storage a worker serves, opened, or one sentence why it cannot be."""
    try:
        require_study_file(url)
    except StorageError as err:
        raise StorageError(
            f"{err} A worker serves the jobs of an existing storage; a worker on another machine "
            "needs the app's PostgreSQL URL, not a SQLite path."
        ) from None
    for attempt in range(3):  # workers started together on a new database race to create it
        try:
            storage = open_storage(url)
            break
        except StorageError as err:
            if attempt == 2 or not any(w in str(err) for w in ("duplicate key", "already exists")):
                raise
            time.sleep(1.0)
    try:
        storage.get_all_studies()
    except Exception as err:  # noqa: BLE001 - unreachable, refused, not a study storage
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise StorageError(f"Cannot read the storage {mask_url(url)}: {first}") from None
    return storage


def serve_jobs(
    storage_url: str,
    data_setting: str,
    *,
    threads: int,
    log: Callable[[str], None] = print,
    max_jobs: int | None = None,
) -> int:
    """Take and train jobs until stopped (or ``max_jobs`` have run); return how many ran."""
    storage = check_storage(storage_url)
    matcher = DataMatcher(data_setting)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import torch

    torch.set_num_threads(threads)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    prepare_worker(asdict(DataConfig(data=matcher.sources[0])))  # the first job starts at once
    worker_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    log(
        f"worker {worker_id}: serving Playground jobs from {mask_url(storage_url)} with the data "
        f"in {data_setting} ({len(matcher.sources)} dataset(s)), {threads} torch thread(s)."
    )
    told: set[int] = set()
    ran, last_check = 0, 0.0
    while not stopping.is_set() and (max_jobs is None or ran < max_jobs):
        if time.monotonic() - last_check > STALE_CHECK_S:
            last_check = time.monotonic()
            if n := fail_stale_jobs(storage, get_job_stale_s()):
                log(f"failed {n} job(s) whose worker stopped beating.")
        task = _next_task(storage, storage_url, matcher, told, log)
        if task is None:
            stopping.wait(POLL_S)
            continue
        outcome, t0 = _Outcome(), time.perf_counter()
        state = run_job(task, outcome, lambda: False, worker_id=worker_id)
        if state == "elsewhere":
            continue
        ran += 1
        result = outcome.done.get("result") or {}
        score = (
            f", test accuracy {result['test_accuracy']:.1%}"
            if result.get("test_accuracy") is not None
            else ""
        )
        message = outcome.done.get("message")
        log(
            f"{task.job_id}: {state} in {time.perf_counter() - t0:.1f} s{score}"
            + (f" ({message})" if message else "")
        )
    return ran


def _next_task(
    storage: Any, url: str, matcher: DataMatcher, told: set[int], log: Callable[[str], None]
) -> JobTask | None:
    """The oldest waiting job this worker has the data for, as a task, or None."""
    from core.training import RunConfig  # torch: the worker trains anyway

    for trial_id, trial in waiting_jobs(storage):
        attrs = trial.user_attrs
        run = RunConfig.from_dict(attrs["config"])
        local = matcher.find(run.data, str(attrs.get("data_fingerprint")))
        if local is None:
            if trial_id not in told:
                told.add(trial_id)
                log(
                    f"{attrs.get('job_id', 'a job')} (trial #{trial.number}) is left for "
                    f"another worker: its data ({run.data.data}, "
                    f"fingerprint {attrs.get('data_fingerprint')}) is not among this worker's "
                    f"({matcher.setting})."
                )
            continue
        run.data = local
        job_id = str(attrs.get("job_id", f"trial-{trial_id}"))
        return JobTask(job_id, 0, run.to_dict(), trial_id, url)
    return None
