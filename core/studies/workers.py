"""Run a study: create it from its spec, and run worker processes that never block the caller.

- :func:`create_study` stores the spec with the study, so a worker needs only a name and a URL.
- :func:`launch_workers` starts K ``python -m core study worker`` processes and returns their
  ``Popen`` handles at once (the app's way); :func:`watch_workers` follows them (the CLI's way).
- :func:`run_worker` is what one worker process does: ``study.optimize`` with heartbeats, a
  torch thread count that shares the cores, and a graceful stop. A stop request in the storage
  (:func:`~core.studies.storage.request_stop`), SIGTERM or a first Ctrl-C make the worker finish
  the current evaluation (Ctrl-C: the current step), record that trial as PRUNED and exit; a
  second Ctrl-C interrupts at once (Optuna records the trial as FAIL; nothing is corrupted).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial, TrialState

from core.data import load_data
from core.errors import ConfigError, ExplorerError
from core.settings import PROJECT_ROOT, available_cores, ensure_writable, get_study_logs_dir
from core.studies._optuna_compat import study_id_of
from core.studies.files import scrub_url
from core.studies.names import check_study_name
from core.studies.samplers import build_pruner, build_sampler
from core.studies.spec import StudySpec, load_spec, parse_spec
from core.studies.stop import clear_stop, is_stop_requested, request_stop
from core.studies.storage import open_storage, storage_url_of

HEARTBEAT_INTERVAL_S = 10
SPEC_ATTR = "spec"
_STORAGE_RETRIES = 5
# A trial that raises is recorded as FAIL (with its error in user attr "message") and the study
# goes on; the objective stops the worker itself on user-caused errors (see objective.py).
_TRIAL_ERRORS = (Exception,)


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """torch threads per worker so K workers share the cores: max(1, cores // K)."""
    return max(1, (cores or available_cores()) // max(1, workers))


def split_trials(n_trials: int, workers: int) -> list[int]:
    """Share ``n_trials`` among ``workers`` so that the total is exact (zeros dropped)."""
    base, extra = divmod(n_trials, workers)
    return [c for c in (base + (i < extra) for i in range(workers)) if c > 0]


def create_study(spec: StudySpec, storage: str | BaseStorage | None = None) -> optuna.Study:
    """Create the study (or reuse one of the same name and model) and store its spec with it.

    The spec's ``[[enqueue]]`` points are queued once: a point already queued or tried (by an
    earlier run of the same file) is not queued again."""
    ensure_writable("create a study")
    s = open_storage(storage)
    study = optuna.create_study(
        study_name=spec.name,
        storage=s,
        direction="maximize",
        load_if_exists=True,
        sampler=build_sampler(spec),
        pruner=build_pruner(spec),
    )
    old = study.user_attrs.get(SPEC_ATTR)
    if old and old.get("model") != spec.model:
        raise ConfigError(
            f"Study '{spec.name}' already exists for {old.get('model')} models; "
            f"give the {spec.model} study another name."
        )
    if study.user_attrs.get("kind") == "playground":
        raise ConfigError(f"'{spec.name}' is the playground study; give the study another name.")
    study.set_user_attr(SPEC_ATTR, spec.to_dict())
    study.set_user_attr("kind", "search")
    for point in spec.enqueue:
        study.enqueue_trial(point, skip_if_exists=True)
    return study


def load_study_spec(study: optuna.Study) -> StudySpec:
    """The spec stored with a study by :func:`create_study`."""
    raw = study.user_attrs.get(SPEC_ATTR)
    if not raw:
        raise ConfigError(
            f"Study '{study.study_name}' has no stored spec; create it with 'study run' first."
        )
    return parse_spec(raw)


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
    worker_index: int = 0,
    threads: int | None = None,
    heartbeat_interval: int | None = HEARTBEAT_INTERVAL_S,
    grace_period: int | None = None,
    objective: Callable[[optuna.Trial], float] | None = None,
    log: Callable[[str], None] = print,
) -> WorkerReport:
    """Join ``study_name`` and run trials until ``n_trials`` (this worker's share), the
    timeout, the spec's total budget, or a stop request. Blocks; returns what it did.

    ``objective`` replaces the training objective (storage benchmarks and tests use a trivial one).
    """
    from core.studies.objective import Objective

    ensure_writable("run a study")
    s = open_storage(storage, heartbeat_interval=heartbeat_interval, grace_period=grace_period)
    try:
        study = optuna.load_study(study_name=study_name, storage=s)
    except KeyError:
        raise ExplorerError(f"There is no study named '{study_name}' in this storage.") from None
    spec = load_study_spec(study)
    study.sampler = build_sampler(spec, worker_index)
    study.pruner = build_pruner(spec)
    study_id = study_id_of(study)
    if threads:
        import torch

        torch.set_num_threads(threads)

    interrupt = _Interrupt()
    report = WorkerReport()

    def stop_requested() -> bool:
        return is_stop_requested(s, study_id)

    def after_trial(study: optuna.Study, trial: FrozenTrial) -> None:
        report.add(trial)
        log(_trial_line(worker_index, study, trial))
        if interrupt():
            report.stopped = "interrupted"
        elif stop_requested():
            report.stopped = "stop request"
        elif n_trials is None and spec.n_trials and _n_started(study) >= spec.n_trials:
            pass  # the study's own budget is spent, by this worker or any other
        else:
            return
        study.stop()

    if stop_requested():
        report.stopped = "stop request"
        return report
    budget = n_trials
    if budget is None and spec.n_trials:  # the study's budget, shared with every other worker
        budget = max(0, spec.n_trials - _n_started(study))
        if budget == 0:
            return report
    objective = objective or Objective(spec, stop_requested=stop_requested, interrupted=interrupt)
    timeout = timeout_s if timeout_s is not None else spec.timeout_s
    deadline = None if timeout is None else time.monotonic() + timeout

    with interrupt.installed():
        for attempt in range(_STORAGE_RETRIES + 1):
            left = None if budget is None else budget - report.n
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
                # Should not happen with the SQLite settings in core.studies.storage; if another
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


# --------------------------------------------------------------------------------------------
# Background processes
# --------------------------------------------------------------------------------------------


def launch_workers(
    spec: StudySpec | str | Path,
    n_trials: int | None = None,
    workers: int = 1,
    storage: str | None = None,
    *,
    log_dir: str | Path | None = None,
    detach: bool = True,
    heartbeat_interval: int = HEARTBEAT_INTERVAL_S,
    grace_period: int | None = None,
    data: str | None = None,
    threads: int | None = None,
) -> list[subprocess.Popen]:
    """Create the study and start ``workers`` worker processes; return their handles at once.

    ``n_trials``, when given, is shared among them so the total is exact; by default they spend
    the study's own ``n_trials`` together with any other worker of the study. Each process gets
    ``threads_per_worker(workers)`` torch threads. With ``detach`` (the app), the workers run in
    their own session, so a page rerun or a closed terminal does not kill them, and write to
    ``<log_dir>/<study>-w<i>.log`` (default ``studies/logs``); without it (the CLI) they share
    the caller's terminal and Ctrl-C. ``data`` overrides the spec's data source; ``threads``
    the computed thread count. The storage URL reaches the workers as ``EXPLORER_STORAGE``.
    """
    ensure_writable("run a study")
    if not isinstance(spec, StudySpec):
        spec = load_spec(spec)
    if data:
        spec.data = spec.data | {"data": data}
    if workers < 1:
        raise ConfigError(f"workers must be at least 1, got {workers}.")
    # The data once, here: a missing path or an offline Hub is one sentence before any worker
    # starts, not a failed trial in every worker (the result is cached for the workers).
    load_data(spec.data_config())
    s = open_storage(storage)
    url = storage_url_of(s)
    if url is None:
        raise ConfigError("Workers need a storage they can share, not an in-memory one.")
    create_study(spec, s)
    clear_stop(spec.name, s)
    # An explicit n_trials is this launch's own, shared exactly among its workers. Without it the
    # workers spend the study's n_trials together, counting every trial in the storage, so a
    # second `study run` of the same study (or workers on other machines) does not add to it.
    shares: list[int | None] = (
        list(split_trials(n_trials, workers)) if n_trials else [None] * workers
    )
    threads = threads or threads_per_worker(len(shares))
    if detach or log_dir is not None:
        log_dir = Path(log_dir or get_study_logs_dir())
        log_dir.mkdir(parents=True, exist_ok=True)
    env = os.environ | {
        # The URL may carry a password: the environment is readable by its owner only, while
        # the command line is readable by everyone on the machine (ps).
        "EXPLORER_STORAGE": url,
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])
        ),
    }
    handles = []
    for i, share in enumerate(shares):
        cmd = [
            sys.executable,
            "-m",
            "core.studies",
            "worker",
            spec.name,
            "--worker-index",
            str(i),
            "--threads",
            str(threads),
            "--heartbeat",
            str(heartbeat_interval),
        ]
        if share is not None:
            cmd += ["--n-trials", str(share)]
        if grace_period:
            cmd += ["--grace-period", str(grace_period)]
        out = None
        if log_dir is not None:
            out = open(Path(log_dir) / f"{check_study_name(spec.name)}-w{i}.log", "ab")  # noqa: SIM115
        handles.append(
            subprocess.Popen(
                cmd,
                cwd=PROJECT_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT if out else None,
                stdin=subprocess.DEVNULL,
                start_new_session=detach,
            )
        )
        if out is not None:
            out.close()  # the child holds its own descriptor
    return handles


def watch_workers(
    study_name: str,
    handles: list[subprocess.Popen],
    storage: str | BaseStorage | None = None,
    *,
    poll_s: float = 2.0,
    on_progress: Callable[[dict[str, int], float | None], None] | None = None,
) -> int:
    """Wait for ``handles`` while reading progress from the storage; 0 if every worker exited 0.

    On Ctrl-C it writes a stop request, so workers finish their current evaluation, and waits.
    """

    s = open_storage(storage)

    def poll() -> None:
        if on_progress is None:
            return
        study = optuna.load_study(study_name=study_name, storage=s)
        trials = study.get_trials(deepcopy=False)
        counts: dict[str, int] = {}
        for t in trials:
            counts[t.state.name] = counts.get(t.state.name, 0) + 1
        best = max((t.value for t in trials if t.state == TrialState.COMPLETE), default=None)
        on_progress(counts, best)

    try:
        while any(h.poll() is None for h in handles):
            poll()
            time.sleep(poll_s)
    except KeyboardInterrupt:
        request_stop(study_name, s)
        for h in handles:
            try:
                h.wait(timeout=120)
            except (subprocess.TimeoutExpired, KeyboardInterrupt):
                h.terminate()
                h.wait()
        poll()
        return 130
    poll()
    return 0 if all(h.returncode == 0 for h in handles) else 1
