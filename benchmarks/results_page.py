"""Results page speed (AppTest) on a synthetic study of many trials in SQLite.

    .venv/bin/python -m benchmarks.results_page [--trials 10000] [--db PATH] [--repeat 3]
    .venv/bin/python -m benchmarks.results_page --page studies ...  # the Studies monitor

Builds (or reuses, with --db: the same file ``studies_queries.py --db`` builds) a study
of synthetic trials, copies it (the refreshes add trials to the copy), then times what a user
sees: the Results page's first render in a fresh session, a rerun with nothing new, a refresh
after a few trials were added and one after a running trial reported a new intermediate value,
and the first render of a second session (the server's reader and caches already warm).
Targets (issue 17): first render <= 2 s at 10,000 trials and <= 5 s at 50,000; a refresh <= 0.3 s.
``--page studies`` times the same on the Studies page, whose monitor follows the study (its
counts, failures and history) every 2 s while a study runs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

# Before anything imports huggingface_hub: the app's Home page (where AppTest opens) reads the
# data, and without these a machine with no network retries the Hub for half a minute.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]

APP = str(ROOT / "streamlit_app.py")
PAGES = {"results": "app_pages/results.py", "studies": "app_pages/studies.py"}


def timed_run(label: str, at, times: dict[str, list[float]]) -> None:
    t0 = time.perf_counter()
    at.run()
    dt = time.perf_counter() - t0
    assert not at.exception, [e.value for e in at.exception]
    times.setdefault(label, []).append(dt)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=10000)
    p.add_argument("--db", help="SQLite file to build once and reuse (default: a temporary one).")
    p.add_argument("--repeat", type=int, default=3, help="refreshes to time (the median is shown)")
    p.add_argument("--page", choices=sorted(PAGES), default="results")
    args = p.parse_args()
    page = PAGES[args.page]

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from benchmarks.studies_queries import build_study, synthetic_trials
    from core.studies.storage import snapshot_storage

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(args.db) if args.db else Path(tmp) / "bench.db"
        build_study(f"sqlite:///{source}", args.trials)
        url = snapshot_storage(f"sqlite:///{source}", Path(tmp) / "page.db")
        os.environ["EXPLORER_STORAGE"] = url
        os.environ.setdefault("EXPLORER_RUNS", str(Path(tmp) / "runs"))
        from streamlit.testing.v1 import AppTest

        times: dict[str, list[float]] = {}
        at = AppTest.from_file(APP, default_timeout=600).run()  # the app, on its Home page
        at.switch_page(page)
        timed_run("first render (fresh server)", at, times)
        if args.page == "results":
            assert at.subheader[0].value.startswith("Best trial #")
        else:
            assert any(m.label == "complete" for m in at.metric), "the monitor did not draw"
        for _ in range(args.repeat):
            timed_run("rerun, nothing new", at, times)
        study = optuna.load_study(study_name="bench", storage=url)
        for i in range(args.repeat):
            study.add_trials(synthetic_trials(5, seed=100 + i))
            timed_run("refresh: 5 trials added", at, times)
        running = study.ask()
        for step in range(args.repeat):
            running.report(0.5 + step / 100, step=step)
            timed_run("refresh: running trial reported", at, times)
        study.tell(running, 0.5)
        if args.page == "results":
            caption = next(c.value for c in at.caption if c.value.startswith("showing"))
            n = len(study.trials)
            assert f"of {n} trials" in caption, caption
        other = AppTest.from_file(APP, default_timeout=600).run()
        other.switch_page(page)
        timed_run("first render (2nd session)", other, times)

        what = "history figure and trial table" if args.page == "results" else "the monitor"
        print(f"{args.page.title()} page, {args.trials} trials ({what}):")
        for label, ts in times.items():
            ts = sorted(ts)
            median = ts[len(ts) // 2]
            spread = f"  (min {ts[0] * 1000:.0f}, max {ts[-1] * 1000:.0f})" if len(ts) > 1 else ""
            print(f"  {label:<34} {median * 1000:8.0f} ms{spread}")


if __name__ == "__main__":
    main()
