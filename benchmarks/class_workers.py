"""A class of N sessions clicking Train at once, trained by 1, 2, 3... worker processes that
share one PostgreSQL storage with an app server that trains nothing itself.

    EXPLORER_DATA=../shared/data/imdb python -m benchmarks.class_workers \\
        --storage postgresql+psycopg://user:pass@127.0.0.1:5432/postgres --workers 1,2,3

For each worker count, in a throw-away database on that server:

1. starts the workers (``python -m core worker --threads T``) and waits until each serves;
2. **one run**: one session submits the default CNN alone; the seconds to its result;
3. **the class**: N sessions (the page's own submit path, :meth:`JobManager.submit`, with a
   nickname each) submit N different runs (seeds 1..N) at once; the seconds until the last
   result, against N x one run / workers + 20 %;
4. counts the stored runs (all N, each once, none lost), and the runs the Class page says it
   shows, drawn by AppTest on that storage (N + 1 with the one run).

Prints one line per worker count and a JSON line with every number.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def fresh_database(base_url: str):
    from sqlalchemy import create_engine, make_url, text
    from sqlalchemy.pool import NullPool

    base = make_url(base_url)
    name = f"explorer_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        from core.studies.storage._backend import close_storages

        close_storages()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def start_workers(url: str, n: int, threads: int) -> list[subprocess.Popen]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "core", "worker", "--storage", url, "--threads", str(threads)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(n)
    ]
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "serving Playground jobs" not in line:
            raise SystemExit(f"a worker did not start: {line}")
    return procs


def wait_all(manager, jobs: list[tuple[str, str]], timeout: float = 3600) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snaps = [manager.get(owner, job) for owner, job in jobs]
        if all(s.done for s in snaps):
            return snaps
        time.sleep(0.05)
    raise SystemExit("the class did not finish in time")


def class_view_count(url: str) -> int:
    """The number of runs the Class page says it shows ("**N** runs by ..."), on ``url``."""
    from streamlit.testing.v1 import AppTest

    os.environ["EXPLORER_STORAGE"] = url
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120).run()
    at.switch_page("app_pages/class_view.py").run()
    shown = next((c.value for c in at.caption if " by **" in c.value), "**0** runs")
    return int(re.match(r"\*\*(\d+)\*\*", shown).group(1))


def one_count(url: str, workers: int, sessions: int, threads: int, data) -> dict:
    import optuna

    from core.data import load_data
    from core.jobs import JobManager
    from core.studies.storage import open_storage
    from core.training import build_run_config

    open_storage(url)  # the tables, as the app server creates them when it starts
    load_data(data)  # the server's fingerprint of the data, loaded when it starts
    procs = start_workers(url, workers, threads)
    manager = JobManager(url, slots=0, threads=threads)
    try:
        t0 = time.monotonic()
        job = manager.submit(
            "solo", build_run_config("cnn", data=data), replay=False, tags={"nickname": "solo"}
        )
        solo = wait_all(manager, [("solo", job)])[0]
        one_run_s = time.monotonic() - t0
        assert solo.state == "completed", solo.message
        t0 = time.monotonic()
        jobs = []
        for i in range(1, sessions + 1):
            run = build_run_config("cnn", "default", {"seed": i}, data=data)
            owner = f"session-{i}"
            jobs.append((owner, manager.submit(owner, run, tags={"nickname": f"student {i}"})))
        snaps = wait_all(manager, jobs)
        last_s = time.monotonic() - t0
    finally:
        manager.shutdown()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
    trials = optuna.load_study(study_name="playground-cnn", storage=url).trials
    class_runs = [
        t
        for t in trials
        if t.state.name == "COMPLETE" and str(t.user_attrs.get("nickname")).startswith("student ")
    ]
    shown = class_view_count(url)
    return {
        "workers": workers,
        "one_run_s": round(one_run_s, 1),
        "class_last_result_s": round(last_s, 1),
        "target_s": round(sessions * one_run_s / workers * 1.2, 1),
        "completed": sum(s.state == "completed" for s in snaps),
        "stored": len(class_runs),
        "class_view": shown,
        "trials_per_job": len(trials) / (sessions + 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--storage", required=True, help="a PostgreSQL URL whose user may CREATE DATABASE"
    )
    parser.add_argument("--workers", default="1,2,3", help="worker counts to try")
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per worker")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from core.knobs import DataConfig

    data = DataConfig()
    rows = []
    for n in (int(w) for w in args.workers.split(",")):
        with fresh_database(args.storage) as url:
            row = one_count(url, n, args.sessions, args.threads, data)
        rows.append(row)
        print(
            f"{n} worker(s): one run {row['one_run_s']} s; {args.sessions} sessions' last result "
            f"after {row['class_last_result_s']} s (target {row['target_s']} s); "
            f"{row['completed']} completed, {row['stored']} stored, "
            f"{row['class_view']} on the class view (with the one run), "
            f"{row['trials_per_job']:.2f} trial(s) per job",
            flush=True,
        )
    print(json.dumps({"sessions": args.sessions, "threads": args.threads, "rows": rows}))


if __name__ == "__main__":
    main()
