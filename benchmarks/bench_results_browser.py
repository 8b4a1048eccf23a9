"""What a Results visitor waits for on a big study, in chromium against a real `streamlit run`.

    python benchmarks/bench_results_browser.py --trials 10000 [--db PATH] [--visitors 3] [--refreshes 3]

Builds (or reuses, with --db: the file ``bench_studies_queries.py --db`` builds) a study of
synthetic trials, serves a copy of it with `streamlit run streamlit_app.py`, and prints:

1. **first render**: from opening ``/results?study=bench`` until the best trial's card, the
   history figure (static SVG, the default) and the trials table are on the page and the script run
   has ended; for the first visit of the freshly started server (its first read of the study),
   then for new visitors (each a fresh browser context, nothing cached);
2. **refresh**: 5 trials are added to the study, then the page is rerun (the ``r`` key, as a
   person refreshing would) until the table's caption counts them and the run has ended.

Targets (issue 17): first render <= 2 s at 10,000 trials and <= 5 s at 50,000; a refresh <= 0.3 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from tests.app.test_browser import launch_chromium, streamlit_server  # noqa: E402

RUN_ENDED = "!document.querySelector('[data-testid=\"stStatusWidget\"]')"
FIRST_RENDER = (
    """() => [...document.querySelectorAll('h3')].some(h => h.innerText.startsWith('Best trial #'))
        && document.querySelector('[data-testid="stMarkdown"] svg[role="img"]')
        && document.querySelector('[data-testid="stDataFrame"] canvas')
        && """
    + RUN_ENDED
)
COUNTED = (
    """n => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
        .some(e => e.innerText.startsWith('showing') && e.innerText.includes(`of ${n} trials`))
        && """
    + RUN_ENDED
)


def open_results(browser, url: str) -> tuple[object, float]:
    page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
    page.set_default_timeout(300_000)
    t0 = time.perf_counter()
    page.goto(f"{url}/results?study=bench", wait_until="commit")
    page.wait_for_function(FIRST_RENDER, polling="raf")  # checked every frame, no backoff
    return page, time.perf_counter() - t0


def main() -> None:
    from playwright.sync_api import sync_playwright

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=10000)
    p.add_argument("--db", help="SQLite file to build once and reuse (default: a temporary one).")
    p.add_argument("--visitors", type=int, default=3)
    p.add_argument("--refreshes", type=int, default=3)
    args = p.parse_args()

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from bench_explore import time_first_renders
    from bench_studies_queries import build_study, synthetic_trials

    scratch = Path(tempfile.mkdtemp(prefix="bench-results-"))
    source = Path(args.db) if args.db else scratch / "bench.db"
    build_study(f"sqlite:///{source}", args.trials)
    served = scratch / "page.db"
    shutil.copy(source, served)
    url_db = f"sqlite:///{served}"
    n = len(optuna.load_study(study_name="bench", storage=url_db).get_trials(deepcopy=False))
    env = os.environ | {"EXPLORER_STORAGE": url_db, "EXPLORER_RUNS": str(scratch / "runs")}
    print(f"Results page, study of {n} trials (a copy of {source}), chromium")
    try:
        with streamlit_server(env, scratch / "streamlit.log") as url, sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                cold, warm, page = time_first_renders(open_results, browser, url, args.visitors)
                print(f"  first render, first visit of the server: {cold:.2f} s")
                print(
                    f"  first render, a new visitor: median {statistics.median(warm):.2f} s "
                    f"(range {min(warm):.2f}-{max(warm):.2f}, {len(warm)} visitors)"
                )
                study = optuna.load_study(study_name="bench", storage=url_db)
                times = []
                for i in range(args.refreshes):
                    study.add_trials(synthetic_trials(5, seed=100 + i))
                    n += 5
                    page.mouse.click(1390, 600)  # blank margin: focus the page, not a widget
                    t0 = time.perf_counter()
                    page.keyboard.press("r")
                    page.wait_for_function(COUNTED, arg=n, polling="raf")
                    times.append(time.perf_counter() - t0)
                print(
                    f"  refresh after 5 trials were added: median {statistics.median(times):.2f} s "
                    f"(range {min(times):.2f}-{max(times):.2f})"
                )
            finally:
                browser.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
