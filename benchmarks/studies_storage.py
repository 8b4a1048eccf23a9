"""Storage throughput: trials/s for K worker processes on one study, trivial objective, on
SQLite and on PostgreSQL in the same run.

    eval "$(.ci/postgres.sh start)"   # optional: a throw-away PostgreSQL server
    .venv/bin/python -m benchmarks.studies_storage [--workers 1 2 4] [--trials 200]
        [--backends sqlite postgresql] [--postgres URL]

PostgreSQL runs against ``--postgres`` (default: ``$EXPLORER_TEST_POSTGRES_URL``), each
measurement in a study of its own that is deleted afterwards; without a URL only SQLite runs.
Each worker runs the real worker loop (``core.studies.run._worker.run_worker``, with heartbeats)
around an objective that only suggests, reports and stores one user attribute. Throughput is
counted from the trials' own timestamps (first start to last completion), so process start-up
(importing torch) is left out. It also checks that no trial was lost or failed.
``--plain-begin`` runs the same with SQLite's deferred BEGIN, Optuna's default, for comparison.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKER = textwrap.dedent(
    """
    import os, sys
    import core.studies.storage._backend
    from core.studies.run import run_worker

    core.studies.storage._backend.SQLITE_BEGIN = sys.argv[4]

    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.report(x, 1)
        trial.set_user_attr("note", "trivial")
        return x

    # the storage URL comes from $EXPLORER_STORAGE (it may hold a password: not on the command line)
    run_worker(sys.argv[1], None, n_trials=int(sys.argv[2]), worker_index=int(sys.argv[3]),
               heartbeat_interval=10, objective=objective, log=lambda line: None)
    """
)


def measure(workers: int, trials: int, folder: Path, begin: str, url: str) -> dict[str, float]:
    """Run ``workers`` processes for ``trials`` trials in a new study in ``url``."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from core.studies.run import create_study, split_trials
    from core.studies.spec import parse_spec
    from core.studies.storage import open_storage

    name = f"bench-{workers}-{uuid.uuid4().hex[:8]}"
    spec = parse_spec(
        {
            "name": name,
            "model": "cnn",
            "n_trials": trials,
            "sampler": "random",
            "pruner": "none",
            "params": {"learning_rate": {"low": 1e-4, "high": 1e-2, "log": True}},
        }
    )
    create_study(spec, url)
    script = folder / "worker.py"
    script.write_text(WORKER)
    env = os.environ | {"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "EXPLORER_STORAGE": url}
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), name, str(n), str(i), begin],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, n in enumerate(split_trials(trials, workers))
    ]
    errors = [p.communicate()[1] for p in procs]
    wall = time.perf_counter() - t0
    bad = [e for p, e in zip(procs, errors, strict=True) if p.returncode or "locked" in e]
    storage = open_storage(url)
    done = optuna.load_study(study_name=name, storage=storage).trials
    optuna.delete_study(study_name=name, storage=storage)
    complete = [t for t in done if t.state == optuna.trial.TrialState.COMPLETE]
    first = min(t.datetime_start for t in done)
    last = max(t.datetime_complete for t in complete)
    span = (last - first).total_seconds()
    return {
        "workers": workers,
        "trials": len(complete),
        "lost_or_failed": trials - len(complete),
        "worker_errors": len(bad),
        "span_s": span,
        "trials_per_s": len(complete) / span,
        "wall_s_with_startup": wall,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--trials", type=int, default=200)
    p.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    p.add_argument(
        "--postgres",
        default=os.environ.get("EXPLORER_TEST_POSTGRES_URL"),
        help="PostgreSQL URL (default: $EXPLORER_TEST_POSTGRES_URL).",
    )
    p.add_argument(
        "--plain-begin",
        action="store_true",
        help="Use SQLite's deferred BEGIN (Optuna's default) to see the lock errors.",
    )
    args = p.parse_args()
    from core.studies.storage import mask_url

    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    begin = "BEGIN" if args.plain_begin else "BEGIN IMMEDIATE"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends:
            if backend == "postgresql" and not args.postgres:
                print("postgresql: skipped (no --postgres URL and no $EXPLORER_TEST_POSTGRES_URL)")
                continue
            for k in args.workers:
                url = args.postgres if backend == "postgresql" else f"sqlite:///{tmp}/bench-{k}.db"
                r = measure(k, args.trials, Path(tmp), begin, url)
                rows.append((backend, r))
                print(f"  {backend} {k} worker(s) done ({mask_url(url)})", file=sys.stderr)
    print(
        f"{'storage':<11} {'workers':>7} {'trials':>6} {'lost/failed':>11} {'errors':>6} "
        f"{'span s':>7} {'trials/s':>8} {'wall s':>7}"
    )
    for backend, r in rows:
        print(
            f"{backend:<11} {r['workers']:>7} {r['trials']:>6} {r['lost_or_failed']:>11} "
            f"{r['worker_errors']:>6} {r['span_s']:>7.1f} {r['trials_per_s']:>8.1f} "
            f"{r['wall_s_with_startup']:>7.1f}"
        )
    print("span: first trial start to last completion; wall: including process start-up.")


if __name__ == "__main__":
    main()
