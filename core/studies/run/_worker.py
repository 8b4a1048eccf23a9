"""What one worker process does: ``study.optimize`` with heartbeats, a torch thread count that
shares the cores, and a graceful stop. A stop request in the storage
(:func:`~core.studies.storage._stop.request_stop`) makes the worker finish the current
evaluation, record that trial as PRUNED (``status = "stopped"``) and exit. SIGTERM or a first
Ctrl-C stop it at the current step and record the trial as FAIL with the reason (not the
pruner's decision, so never counted as pruned); a second Ctrl-C interrupts at once (Optuna
records the trial as FAIL; nothing is corrupted).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial, TrialState

from core.errors import ExplorerError
from core.settings import ensure_writable
from core.studies._optuna_compat import failed_trials_at_debug, storage_url_of, study_id_of
from core.studies.run._creation import load_study_spec
from core.studies.spec import Budget, build_pruner, build_worker_sampler
from core.studies.storage import is_stop_requested, open_storage, scrub_url

HEARTBEAT_INTERVAL_S = 10
_STORAGE_RETRIES = 5
# A trial that raises is recorded as FAIL (with its error in user attr "message") and the study
# goes on; the objective stops the worker itself on user-caused errors (see objective.py).
_TRIAL_ERRORS = (Exception,)


@dataclass
class WorkerReport:
    """What one worker did: its trials' numbers by state."""

    trials: dict[str, list[int]] = field(default_factory=dict)
    stopped: str | None = None  # "stop request", "interrupted" or None (budget reached)

    def add(self, trial: FrozenTrial) -> None:
        self.trials.setdefault(trial.state.name, []).append(trial.number)

    @property
    def n(self) -> int:
        return sum(len(v) for v in self.trials.values())


class _Interrupt:
    """SIGINT/SIGTERM set a flag (graceful); a second SIGINT raises KeyboardInterrupt."""

    def __init__(self) -> None:
        self.flag = threading.Event()

    def __call__(self) -> bool:
        return self.flag.is_set()

    @contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum: int, frame: Any) -> None:
            if self.flag.is_set() and signum == signal.SIGINT:
                raise KeyboardInterrupt
            self.flag.set()

        old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, h in old.items():
                signal.signal(s, h)


def run_worker(
    study_name: str,
    storage: str | BaseStorage | None = None,
    *,
    n_trials: int | None = None,
    timeout_s: float | None = None,
    budget: Budget | None = None,
    worker_index: int = 0,
    threads: int | None = None,
    heartbeat_interval: int | None = HEARTBEAT_INTERVAL_S,
    grace_period: int | None = None,
    objective: Callable[[optuna.Trial], float] | None = None,
    log: Callable[[str], None] = print,
) -> WorkerReport:
    """Join ``study_name`` and run trials until ``n_trials`` (this worker's share), the
    timeout, the study's compute ``budget`` (default: its spec's), the spec's ``n_trials``, or a
    stop request. Blocks; returns what it did. A ``budget`` given here replaces the spec's
    ``n_trials`` and budget: the study runs until its trials have spent it, whoever ran them.

    ``objective`` replaces the training objective (storage benchmarks and tests use a trivial one).
    """
    from core.studies.run._objective import Objective

    ensure_writable("run a study")
    failed_trials_at_debug()  # each failed trial gets one line of ours, with its reason
    s = open_storage(storage, heartbeat_interval=heartbeat_interval, grace_period=grace_period)
    try:
        study = optuna.load_study(study_name=study_name, storage=s)
    except KeyError:
        raise ExplorerError(f"There is no study named '{study_name}' in this storage.") from None
    spec = load_study_spec(study)
    if budget is not None:
        spec.budget, spec.n_trials = budget, None
    study.sampler = build_worker_sampler(spec)
    study.pruner = build_pruner(spec)
    study_id = study_id_of(study)
    if threads:
        import torch

        torch.set_num_threads(threads)

    interrupt = _Interrupt()
    report = WorkerReport()

    def stop_requested() -> bool:
        return is_stop_requested(s, study_id)

    def budget_spent() -> bool:
        if spec.budget is None:
            return False
        spent = spec.budget.spent(study.get_trials(deepcopy=False))
        if spent < spec.budget.amount:
            return False
        shown = Budget(spent, spec.budget.unit).describe()
        log(f"[w{worker_index}] budget spent: {shown} of {spec.budget.describe()}")
        return True

    def after_trial(study: optuna.Study, trial: FrozenTrial) -> None:
        report.add(trial)
        log(_trial_line(worker_index, study, trial))
        if interrupt():
            report.stopped = "interrupted"
        elif stop_requested():
            report.stopped = "stop request"
        elif n_trials is None and spec.n_trials and _n_started(study) >= spec.n_trials:
            pass  # the study's own budget is spent, by this worker or any other
        elif budget_spent():
            pass
        else:
            return
        study.stop()

    if stop_requested():
        report.stopped = "stop request"
        return report
    if budget_spent():
        return report
    trials_left = n_trials
    if trials_left is None and spec.n_trials:  # the study's, shared with every other worker
        trials_left = max(0, spec.n_trials - _n_started(study))
        if trials_left == 0:
            return report
    objective = objective or Objective(spec, stop_requested=stop_requested, interrupted=interrupt)
    timeout = timeout_s if timeout_s is not None else spec.timeout_s
    deadline = None if timeout is None else time.monotonic() + timeout

    with interrupt.installed():
        for attempt in range(_STORAGE_RETRIES + 1):
            left = None if trials_left is None else trials_left - report.n
            if left == 0 or report.stopped or (deadline and time.monotonic() >= deadline):
                break
            try:
                study.optimize(
                    objective,
                    n_trials=left,
                    timeout=None if deadline is None else deadline - time.monotonic(),
                    catch=_TRIAL_ERRORS,
                    callbacks=[after_trial],
                    gc_after_trial=False,
                )
                break
            except optuna.exceptions.StorageInternalError as err:
                # Should not happen with the SQLite settings in core.studies.storage._backend; if another
                # program holds the file, or a database server restarts, wait and go on rather
                # than lose the worker.
                why = scrub_url(str(err), storage_url_of(s))
                if attempt == _STORAGE_RETRIES:
                    raise ExplorerError(f"The study storage kept failing: {why}") from None
                log(f"[w{worker_index}] storage error, retrying: {why}")
                time.sleep(2**attempt)
    return report


def _n_started(study: optuna.Study) -> int:
    """Trials that count against the study's ``n_trials``: every one begun, whatever its end
    (Optuna's own ``n_trials`` counts failures too); only queued ones do not."""
    states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING)
    return len(study.get_trials(deepcopy=False, states=states))


def _trial_line(worker_index: int, study: optuna.Study, trial: FrozenTrial) -> str:
    value = "-" if trial.value is None else f"{trial.value:.4f}"
    took = trial.duration.total_seconds() if trial.duration else 0.0
    status = trial.user_attrs.get("status", trial.state.name.lower())
    try:
        best = f"{study.best_value:.4f}"
    except ValueError:
        best = "-"
    why = trial.user_attrs.get("message") or ""
    why = f" ({why.splitlines()[0][:120]})" if why and trial.state != TrialState.COMPLETE else ""
    return (
        f"[w{worker_index}] trial {trial.number}: {trial.state.name} {status} val={value} "
        f"best={best} {took:.1f}s{why}"
    )
