"""Run a study: create it from its spec, and run worker processes that never block the caller.

- :func:`~core.studies.run._creation.create_study` stores the spec with the study, so a worker needs
  only a name and a URL.
- :func:`launch_workers` starts K ``python -m core study worker`` processes and returns their
  ``Popen`` handles at once (the app's way); :func:`watch_workers` follows them (the CLI's way).
- :func:`~core.studies.run._worker.run_worker` is what one worker process does.

``create_study`` and ``run_worker`` are importable from here too, as the study commands' one
entry point.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import optuna
from optuna.storages import BaseStorage
from optuna.trial import TrialState

from core.data import load_data
from core.errors import EXIT_NO_MODEL, EXIT_OK, ConfigError
from core.settings import PROJECT_ROOT, available_cores, ensure_writable, get_study_logs_dir
from core.studies._optuna_compat import storage_url_of
from core.studies.run._creation import create_study
from core.studies.run._worker import HEARTBEAT_INTERVAL_S
from core.studies.spec import StudySpec, check_study_name, load_spec
from core.studies.storage import clear_stop, open_storage, request_stop


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """torch threads per worker so K workers share the cores: max(1, cores // K)."""
    return max(1, (cores or available_cores()) // max(1, workers))


def split_trials(n_trials: int, workers: int) -> list[int]:
    """Share ``n_trials`` among ``workers`` so that the total is exact (zeros dropped)."""
    base, extra = divmod(n_trials, workers)
    return [c for c in (base + (i < extra) for i in range(workers)) if c > 0]


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
            "core",
            "study",
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
    """Wait for ``handles`` while reading progress from the storage; 0 if every worker ran to
    its end (its trials completed or not), 1 if one crashed, 130 when interrupted.

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
    # A worker whose trials all failed (EXIT_NO_MODEL) ran fine; the study's outcome decides.
    return 0 if all(h.returncode in (EXIT_OK, EXIT_NO_MODEL) for h in handles) else 1
