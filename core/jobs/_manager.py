"""The server's side of the Playground's jobs: submit, follow, cancel, replay, recover.

:class:`JobManager` owns a few worker processes (``multiprocessing`` with spawn, one per slot,
see :mod:`core.jobs._slot`) that take jobs from one shared queue, first in, first out. It never
trains and never imports torch: a page only submits and reads.

- Progress arrives over a second queue and is kept in memory (:class:`JobSnapshot`), so a page
  that polls every second reads a copy, not the database.
- Every job is a trial, WAITING from the submit; its worker writes the outcome into it, so no
  finished run is lost when the server restarts, and a new manager fails, with the reason, the
  trials of a server that is gone. Any worker that shares the storage may claim a job
  (``python -m core worker``); a job another worker took, and every job of a server without
  slots (``EXPLORER_JOB_SLOTS=0``), is followed through its trial (:mod:`core.jobs._follow`).
- Cancel sets a flag in shared memory that the trainer checks after every step and evaluation
  batch; a job still running ``CANCEL_GRACE_S`` later has its process replaced.
- A run already in the store (same data, config, seed and threads) is answered from it at once
  (:mod:`core.studies.run._replay`) unless the caller asks for a fresh run.
- Jobs are keyed by an *owner* (one id per browser session), who alone sees and cancels them.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import itertools
import multiprocessing
import queue
import threading
import time
import uuid
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any

from core.data import load_data
from core.errors import ExplorerError
from core.jobs._follow import StorageFollower
from core.jobs._queue import RunTimeModel, place_in_line
from core.jobs._recovery import held_by_live_server, server_attrs, server_started, server_stopped
from core.jobs._slot import CANCEL_RING, slot_main
from core.jobs._snapshot import Job, JobSnapshot, JobTask, answer_from_store, apply_progress
from core.knobs import DataConfig
from core.results import RunResult
from core.settings import ensure_writable, get_job_slots, get_job_threads, is_read_only
from core.studies.run import (
    create_job_trial,
    fail_job_trial,
    find_replay,
    recover_interrupted_jobs,
    replay_key,
)

if TYPE_CHECKING:
    from core.training import RunConfig

CANCEL_GRACE_S = 0.6  # a cancelled job still running after this has its process stopped
MONITOR_S = 0.1
RESTART_BACKOFF_S = 5.0  # a worker that died before it was ready is restarted after this


class JobManager:
    """Runs Playground jobs in ``slots`` worker processes with ``threads`` torch threads each.

    Nothing starts until :meth:`start` (or the first :meth:`submit`); ``warm`` names the data
    the workers load while they wait for their first job. Safe to share between the app's
    sessions (one instance per server and storage).
    """

    def __init__(
        self,
        storage_url: str,
        *,
        slots: int | None = None,
        threads: int | None = None,
        keep_per_owner: int = 10,
        recover: bool = True,
    ) -> None:
        self.storage_url = storage_url
        self.slots = get_job_slots() if slots is None else slots
        self.threads = threads or get_job_threads()
        self.server_id = uuid.uuid4().hex
        self._keep = keep_per_owner
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._seq = itertools.count(1)
        self._times = RunTimeModel()
        self._ctx = multiprocessing.get_context("spawn")
        self._tasks: Any = None
        self._events: Any = None
        self._cancel: Any = None
        self._procs: list[Any] = []
        self._ready: list[bool] = []
        self._slot_job: list[str | None] = []
        self._warm: dict[str, Any] | None = None
        self._started = False
        self._closed = threading.Event()
        self.recovered = 0
        self.follower = StorageFollower(storage_url, self._lock, self._finish, self._closed)
        server_started(self.server_id)
        if recover and not is_read_only():
            with contextlib.suppress(ExplorerError):
                self.recovered = recover_interrupted_jobs(storage_url, held_by_live_server)
        atexit.register(self.shutdown)

    def start(self, warm: DataConfig | None = None) -> None:
        """Start the worker processes (once); they load ``warm``'s data while idle."""
        ensure_writable("train a model")
        with self._lock:
            if self._started or self._closed.is_set():
                return
            self._started = True
            if warm is not None:
                self._warm = dataclasses.asdict(warm)
                threading.Thread(target=_fingerprint_quietly, args=(warm,), daemon=True).start()
            self._tasks = self._ctx.Queue()
            self._events = self._ctx.Queue()
            self._cancel = self._ctx.RawArray("b", CANCEL_RING)
            self._procs = [None] * self.slots
            self._ready = [False] * self.slots
            self._slot_job = [None] * self.slots
            for slot in range(self.slots):
                self._spawn(slot)
        threading.Thread(target=self._read_events, name="explorer-job-events", daemon=True).start()
        threading.Thread(target=self._monitor, name="explorer-job-monitor", daemon=True).start()

    @property
    def ready_slots(self) -> int:
        with self._lock:
            return sum(self._ready)

    def wait_ready(self, timeout: float = 120.0) -> bool:
        """Block until every worker has warmed up (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._started and self.ready_slots == self.slots:
                return True
            time.sleep(0.1)
        return False

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop the workers; jobs still queued or running end as failed (their trials too)."""
        if self._closed.is_set():
            return
        self._closed.set()
        server_stopped(self.server_id)
        with self._lock:
            open_jobs = [j for j in self._jobs.values() if not j.snap.done]
            procs = list(self._procs)
        for job in open_jobs:
            self._finish(job, "failed", "The app's server stopped before this run finished.")
        if self._tasks is not None:
            for _ in procs:
                self._tasks.put(None)
        deadline = time.monotonic() + timeout
        for proc in procs:
            if proc is not None:
                proc.join(max(0.0, deadline - time.monotonic()))
                if proc.is_alive():
                    proc.kill()
                    proc.join(1)
        with self._lock:  # dropped, their semaphores are released now, not reported leaked
            queues, self._tasks, self._events = (self._tasks, self._events), None, None
        for q in filter(None, queues):
            q.close()
            q.join_thread()

    def submit(
        self, owner: str, run: RunConfig, *, replay: bool = True, tags: dict | None = None
    ) -> str:
        """Queue ``run`` for ``owner`` and return the job's id at once; ``tags`` go into its
        trial (who asked, through which exercise link).

        With ``replay``, a run already in the store is answered from it: the job is done at
        once, in state ``replayed``, with the stored numbers and curves.
        """
        ensure_writable("train a model")
        fingerprint = load_data(run.data).fingerprint
        key = replay_key(run, fingerprint, self.threads)
        seq = next(self._seq)
        snap = JobSnapshot(
            id=f"job-{seq}",
            owner=owner,
            family=run.family,
            state="queued",
            max_steps=run.train.max_steps,
            submitted_at=time.time(),
            flat_config=run.to_flat(),
        )
        if replay:
            hit = find_replay(self.storage_url, key)
            if hit is not None:
                answered = answer_from_store(self.storage_url, snap, hit, fingerprint, tags)
                self._add(Job(answered, seq, 0.0))
                return snap.id
        self.start()
        attrs = {"job_id": snap.id, "replay_key": key, "data_fingerprint": fingerprint}
        attrs |= server_attrs(self.server_id) | (tags or {})
        trial_id, number = create_job_trial(self.storage_url, run, attrs)
        snap.study, snap.trial_number = f"playground-{run.family}", number
        job = Job(snap, seq, self._times.expected_s(run.family, run.train.max_steps))
        job.trial_id = trial_id
        with self._lock:
            self._add(job)
            if self._tasks is None:  # the server shut down meanwhile
                self._finish(job, "failed", "The app's server is stopping; train it again.")
                return snap.id
            self._cancel[seq % CANCEL_RING] = 0
            if self.slots:
                self._tasks.put(JobTask(snap.id, seq, run.to_dict(), trial_id, self.storage_url))
            else:
                self.follower.follow(job)
        return snap.id

    def get(self, owner: str, job_id: str) -> JobSnapshot | None:
        """The job's progress, or None when ``owner`` has no such job."""
        with self._lock:
            job = self._own(owner, job_id)
            return self._snapshot(job) if job else None

    def list_jobs(self, owner: str) -> list[JobSnapshot]:
        """``owner``'s jobs, oldest first."""
        with self._lock:
            return [self._snapshot(j) for j in self._jobs.values() if j.snap.owner == owner]

    def cancel(self, owner: str, job_id: str) -> bool:
        """Stop ``owner``'s job: at once if it waits, else within a second; False when there is
        no such job or it has already ended."""
        with self._lock:
            job = self._own(owner, job_id)
            if job is None or job.snap.done:
                return False
            self._cancel[job.seq % CANCEL_RING] = 1
            if job.followed:  # another process trains it: ask through the storage
                self.follower.cancel(job)
            elif job.snap.state == "queued":
                self._finish(job, "cancelled", "Cancelled before it started.")
            else:
                job.cancel_at = time.monotonic()
                job.snap.state = "cancelling"
        return True

    def wait(self, owner: str, job_id: str, timeout: float | None = None) -> JobSnapshot | None:
        """Block until the job ends (for the CLI and tests; pages poll :meth:`get`)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            snap = self.get(owner, job_id)
            if snap is None or snap.done:
                return snap
            if deadline is not None and time.monotonic() >= deadline:
                return snap
            time.sleep(0.05)

    def _spawn(self, slot: int) -> None:
        proc = self._ctx.Process(
            target=slot_main,
            args=(slot, self._tasks, self._events, self._cancel, self.threads, self._warm),
            name=f"explorer-job-slot-{slot}",
            daemon=True,
        )
        proc.start()
        self._procs[slot] = proc
        self._ready[slot] = False
        self._slot_job[slot] = None

    def _add(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.snap.id] = job
            mine = [
                j for j in self._jobs.values() if j.snap.owner == job.snap.owner and j.snap.done
            ]
            for old in mine[: max(0, len(mine) - self._keep)]:
                self._jobs.pop(old.snap.id, None)

    def _own(self, owner: str, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        return job if job is not None and job.snap.owner == owner else None

    def _snapshot(self, job: Job) -> JobSnapshot:
        snap = dataclasses.replace(job.snap, history=list(job.snap.history))
        if snap.state == "queued" and not job.followed:
            running = [self._jobs.get(j) if j else None for j in self._slot_job]
            snap.queue_position, snap.eta_s = place_in_line(
                job, self._jobs.values(), running, self._times
            )
        return snap

    def _finish(self, job: Job, state: str, message: str, result: RunResult | None = None) -> None:
        """Record a job's end. When the worker could not end its trial (the job never started,
        or its process died), end it in the storage first, so that a page that sees the job
        ended finds its trial ended too."""
        with self._lock:
            if job.snap.done or job.finishing:
                return
            job.finishing = True
            trial_id = job.trial_id if result is None else None
        if trial_id is not None:
            with contextlib.suppress(Exception):
                fail_job_trial(self.storage_url, trial_id, message, cancelled=state == "cancelled")
        with self._lock:
            job.snap.state = state
            job.snap.finished_at = time.time()
            job.snap.message = message
            job.snap.eta_s = 0.0 if state != "failed" else None
            if result is not None:
                job.snap.result = result
                job.snap.step = result.steps
                job.snap.history = list(result.history)
                self._times.observe(job.snap.family, result)
            if job.slot is not None and self._slot_job[job.slot] == job.snap.id:
                self._slot_job[job.slot] = None

    def _read_events(self) -> None:
        events = self._events
        while not self._closed.is_set():
            try:
                kind, key, payload = events.get(timeout=0.5)
            except queue.Empty:
                continue
            except (EOFError, OSError, ValueError):  # closed by shutdown
                return
            with self._lock:
                if kind == "ready":
                    self._ready[key] = True
                    continue
                job = self._jobs.get(key)
                if job is None:
                    continue
                if kind == "elsewhere":  # another worker claimed it first
                    if job.slot is not None:
                        self._slot_job[job.slot] = None
                    job.slot = None
                    self.follower.follow(job)
                elif kind == "took":
                    job.slot = payload
                    self._slot_job[payload] = job.snap.id
                    if not job.snap.done and job.snap.state == "queued":
                        job.snap.state = "preparing"
                elif kind in ("state", "log"):
                    apply_progress(job.snap, kind, payload)
                elif kind == "done":
                    result = RunResult.from_dict(payload["result"]) if payload["result"] else None
                    job.trial_id = None  # the worker has ended the trial itself
                    self._finish(job, payload["state"], payload["message"], result)

    def _monitor(self) -> None:
        while not self._closed.is_set():
            sentinels = {p.sentinel: slot for slot, p in enumerate(self._procs) if p is not None}
            died = wait(list(sentinels), timeout=MONITOR_S)  # with no slots, the period itself
            if self._closed.is_set():
                return
            for sentinel in died:
                self._replace_dead(sentinels[sentinel])
            self._enforce_cancels()

    def _replace_dead(self, slot: int) -> None:
        with self._lock:
            proc = self._procs[slot]
            job_id = self._slot_job[slot]
            job = self._jobs.get(job_id) if job_id else None
            crashed_at_start = not self._ready[slot]
            self._procs[slot] = None
            self._ready[slot] = False
        if proc is not None:
            proc.join(1)  # reap it, so that its exit code is known
        if job is not None and not job.snap.done:
            if job.cancel_at is not None:
                self._finish(job, "cancelled", "Cancelled.")
            else:
                code = proc.exitcode if proc is not None else None
                how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                self._finish(job, "failed", f"The job's process stopped unexpectedly ({how}).")
        if crashed_at_start:
            time.sleep(RESTART_BACKOFF_S)  # do not spin on a worker that cannot start
        with self._lock:
            if not self._closed.is_set():
                self._spawn(slot)

    def _enforce_cancels(self) -> None:
        now = time.monotonic()
        with self._lock:
            late = [
                j
                for j in self._jobs.values()
                if j.cancel_at is not None
                and not j.snap.done
                and now - j.cancel_at > CANCEL_GRACE_S
            ]
            procs = [self._procs[j.slot] for j in late if j.slot is not None]
        for proc in procs:
            if proc is not None and proc.is_alive():
                proc.kill()


def _fingerprint_quietly(cfg: DataConfig) -> None:
    """Load the data once in the background, so the first submit finds its fingerprint cached."""
    with contextlib.suppress(ExplorerError):
        load_data(cfg)
