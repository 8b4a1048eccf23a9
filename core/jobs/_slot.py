"""What a job's worker does: take jobs and train them, the app's own slots and
``python -m core worker`` alike.

A slot is a fresh interpreter (``multiprocessing`` with spawn), started by the
:class:`~core.jobs.JobManager` with its own torch thread count. It keeps the prepared data in
memory between jobs, so a run starts at once. For each job, :func:`run_job`:

- claims the job's trial in the storage (:func:`~core.studies.run._job_queue.claim_job`):
  exactly one worker of all that share the storage takes it; a job cancelled while it waited is
  skipped, and one another worker took is left to it;
- while it trains, records a heartbeat and the step in the trial every second
  (:class:`JobWatch`), and reads back whether a stop was asked for there;
- trains with :func:`core.training._trainer.train_run`, sending progress over ``events`` (steps
  at most every 0.2 s, each logged row) and each validation to the trial as an intermediate
  value;
- stores the outcome in the trial itself, so no finished run depends on the server living on.

A slot's cancel flags live in shared memory: the trainer's callback checks the job's flag after
every step and every evaluation batch. If the server goes away, the job stops at the next check
and its trial is marked FAIL with the reason.

Nothing here imports torch at module level: the server imports this module only to name the
process's entry point.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from core.jobs._snapshot import JobTask

CANCEL_RING = 4096  # cancel flags: job seq modulo this
STEP_EVENT_S = 0.2  # the most often a worker reports its step
PARENT_CHECK_S = 0.5
SERVER_GONE = "The app's server stopped while this run was training; train it again."
WORKER_STOPPED = "Its worker was stopped while this run was training; train it again."
# Set when this process is asked to stop (``python -m core worker`` on Ctrl-C or SIGTERM): the
# running job ends at its next check, failed with WORKER_STOPPED.
stopping = threading.Event()


def slot_main(
    slot: int,
    tasks: Any,
    events: Any,
    cancel: Any,
    threads: int,
    warm: dict[str, Any] | None,
) -> None:
    """The worker process: warm up, then run jobs from ``tasks`` until ``None`` or the server
    goes away. Ctrl-C in the server's terminal reaches every process of its group: the server
    stops its slots itself (:meth:`~core.jobs._manager.JobManager.shutdown`), so a slot ignores
    it rather than die with a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import torch

    torch.set_num_threads(threads)
    parent = multiprocessing.parent_process()
    if warm is not None:
        prepare_worker(warm)
    events.put(("ready", slot, os.getpid()))
    while True:
        try:
            task = tasks.get(timeout=0.5)
        except queue.Empty:
            if parent is not None and not parent.is_alive():
                return
            continue
        if task is None:
            return
        events.put(("took", task.job_id, slot))
        run_job(task, events, functools.partial(_flag_set, cancel, task.seq % CANCEL_RING), parent)


def _flag_set(flags: Any, index: int) -> bool:
    return bool(flags[index])


def prepare_worker(data: dict[str, Any]) -> None:
    """Load and tokenize the default data, and rehearse the default run on it, before the first
    job, so that the first job takes as long as the next."""
    from core.knobs import DataConfig
    from core.training import build_run_config, prepare_data, rehearse

    try:
        prepared = prepare_data(DataConfig(**data))
        rehearse(build_run_config("cnn", data=DataConfig(**data)), prepared)
    except Exception:  # noqa: BLE001, S110 - the first job that needs this data reports it
        pass


class JobWatch:
    """While a job runs: its heartbeat and step into the trial every ``HEARTBEAT_S``, and
    whether the storage asks it to stop (a cancel from any server, or its trial ended)."""

    def __init__(self, storage: Any, trial_id: int) -> None:
        from core.studies.run import HEARTBEAT_S

        self.storage, self.trial_id, self.interval = storage, trial_id, HEARTBEAT_S
        self.step = 0
        self.stop_requested = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="explorer-job-watch", daemon=True)

    def __enter__(self) -> JobWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(5)

    def _run(self) -> None:
        from core.studies.run import beat, cancel_requested

        while not self._done.wait(self.interval):
            try:
                beat(self.storage, self.trial_id, self.step)
                self.stop_requested = cancel_requested(self.storage.get_trial(self.trial_id))
            except Exception:  # noqa: BLE001, S112 - a storage hiccup: beat again next time
                continue


def run_job(
    task: JobTask,
    events: Any,
    cancelled: Callable[[], bool],
    parent: Any = None,
    worker_id: str = "",
) -> str:
    """Train one job and store its outcome in its trial. Returns how it ended: a final state,
    or ``"elsewhere"`` when another worker had taken it. Every outcome but that one ends with a
    "done" event."""
    from core.errors import ExplorerError
    from core.studies.run import claim_job, fail_job_trial, finish_job_trial
    from core.studies.storage import open_storage
    from core.training import RunConfig, prepare_data, train_run

    def done(state: str, message: str = "", result: Any = None) -> str:
        events.put(("done", task.job_id, {"state": state, "message": message, "result": result}))
        return state

    if cancelled():
        return done("cancelled", "Cancelled before it started.")
    try:
        storage = open_storage(task.storage_url)
        if not claim_job(storage, task.trial_id, worker_id or f"slot-{os.getpid()}"):
            if storage.get_trial(task.trial_id).state.name == "RUNNING":
                events.put(("elsewhere", task.job_id, {}))
                return "elsewhere"
            return done("cancelled", "Cancelled before it started.")
    except Exception as err:  # noqa: BLE001 - the storage is unreachable: say so
        return done("failed", f"The run could not be started: {err}".rstrip(".") + ".")
    with JobWatch(storage, task.trial_id) as watch:
        try:
            events.put(("state", task.job_id, {"state": "preparing"}))
            run = RunConfig.from_dict(task.config)
            prepared = prepare_data(run.data)
            progress = _progress_callback(
                task, events, lambda: cancelled() or watch.stop_requested, parent, watch
            )
            result = train_run(run, [progress], prepared=prepared)
        except ExplorerError as err:
            _quietly(fail_job_trial, storage, task.trial_id, str(err))
            return done("failed", str(err))
        except Exception as err:  # noqa: BLE001 - a job must never die silently
            message = f"Training failed: {type(err).__name__}: {err}".rstrip(".") + "."
            _quietly(fail_job_trial, storage, task.trial_id, message)
            return done("failed", message)
    if progress.stop_reason:
        _quietly(fail_job_trial, storage, task.trial_id, progress.stop_reason)
        return done("failed", progress.stop_reason)
    note = result.message
    try:
        finish_job_trial(storage, task.trial_id, result)
    except Exception as err:  # noqa: BLE001 - the run is still shown even if storing fails
        note = f"The run finished but could not be stored: {err}".rstrip(".") + "."
    return done(result.status, note, result.to_dict())


def _quietly(fn: Any, *args: Any, **kwargs: Any) -> None:
    try:
        fn(*args, **kwargs)
    except Exception:  # noqa: BLE001 - the job's own error is the one to report
        pass


def _progress_callback(
    task: JobTask, events: Any, cancelled: Any, parent: Any, watch: JobWatch
) -> Any:
    """A ``TrainerCallback`` that reports progress and stops the run on cancel (defined here so
    that transformers is imported only in the worker process)."""
    from transformers import TrainerCallback

    from core.studies.run import report_job_trial
    from core.training import RunStopped

    class JobProgress(TrainerCallback):
        def __init__(self) -> None:
            self.t0 = 0.0
            self.last_event = 0.0
            self.last_parent_check = 0.0
            self.stop_reason = ""  # the run was stopped for this reason, not by a cancel

        def _check(self) -> None:
            if cancelled():
                raise RunStopped("cancelled")
            now = time.monotonic()
            if parent is not None and now - self.last_parent_check > PARENT_CHECK_S:
                self.last_parent_check = now
                if not parent.is_alive():
                    self.stop_reason = SERVER_GONE
                    raise RunStopped("server gone")
            if stopping.is_set():
                self.stop_reason = WORKER_STOPPED
                raise RunStopped("worker stopped")

        def on_train_begin(self, args, state, control, **kwargs):
            self.t0 = time.perf_counter()
            events.put(
                (
                    "state",
                    task.job_id,
                    {"state": "training", "started_at": time.time(), "max_steps": state.max_steps},
                )
            )

        def on_step_end(self, args, state, control, **kwargs):
            watch.step = state.global_step
            self._check()
            now = time.monotonic()
            if now - self.last_event >= STEP_EVENT_S or state.global_step >= state.max_steps:
                self.last_event = now
                step, total = state.global_step, state.max_steps
                elapsed = time.perf_counter() - self.t0
                eta = elapsed / step * (total - step) if step else None
                events.put(("state", task.job_id, {"step": step, "eta_s": eta}))

        def on_prediction_step(self, args, state, control, **kwargs):
            self._check()

        def on_log(self, args, state, control, logs=None, **kwargs):
            logs = logs or {}
            row: dict[str, float] = {"step": state.global_step}
            if "loss" in logs:
                row["train_loss"] = float(logs["loss"])
            if "eval_accuracy" in logs:
                row["val_accuracy"] = float(logs["eval_accuracy"])
                row["val_loss"] = float(logs["eval_loss"])
            if len(row) > 1:
                events.put(("log", task.job_id, row))

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            report_job_trial(
                task.storage_url, task.trial_id, state.global_step, metrics["eval_accuracy"]
            )

    return JobProgress()
