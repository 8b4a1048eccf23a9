"""What a Results visitor waits for on a big study, in chromium against a real `streamlit run`.

    python -m benchmarks.results_browser --trials 10000 [--db PATH] [--visitors 3] [--refreshes 3]
    python -m benchmarks.results_browser --page studies ...  # the Studies page beside it

Builds (or reuses, with --db: the file ``studies_queries.py --db`` builds) a study of
synthetic trials, serves a copy of it with `streamlit run streamlit_app.py`, and prints:

1. **first render**: from opening ``/results?study=bench`` until the first screen (the best
   trial's card and the history figure, static SVG by default, an image above 2,000 trials) is drawn and the script run has
   ended; and until the trials table below it is drawn too. For the first visit of the freshly
   started server (its first read of the study), then for new visitors (each a fresh browser
   context, nothing cached);
2. **refresh**: 5 trials are added to the study, then the page is rerun (the ``r`` key, as a
   person refreshing would) until the table's caption counts them and the run has ended;
3. with ``--floor``, the same new visitor's wait on a page that only has a title and a
   1,000-row ``st.dataframe``: what Streamlit itself costs on this machine (the data grid's code
   is loaded and compiled by each new visitor's browser).

Targets (issue 17): first render <= 2 s at 10,000 trials and <= 5 s at 50,000; a refresh <= 0.3 s.

``--page studies`` times the Studies page instead: its first screen is the monitor following
the study (its counts and its history, the same SVG as Results') with the script run ended, and a refresh ends when
the monitor's "complete" count includes the 5 added trials.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from tests.app.test_browser import launch_chromium, streamlit_server

ROOT = Path(__file__).resolve().parents[1]

RUN_ENDED = "!document.querySelector('[data-testid=\"stStatusWidget\"]')"
HISTORY_DRAWN = """[...document.querySelectorAll(
            '[data-testid="stMarkdown"] svg[role="img"], [data-testid="stMarkdown"] img')]
            .some(e => e.tagName === 'svg' || (e.complete && e.naturalWidth > 0))"""
FIRST_SCREEN = (
    """() => [...document.querySelectorAll('h3')].some(h => h.innerText.startsWith('Best trial #'))
        && """
    + HISTORY_DRAWN
    + " && "
    + RUN_ENDED
)
TABLE = """() => document.querySelector('[data-testid="stDataFrame"] canvas')"""
FLOOR_APP = """import pandas as pd
import streamlit as st

st.title("Results")
st.dataframe(pd.DataFrame({"number": range(1000), "value": [0.5] * 1000}))
"""
COUNTED = (
    """n => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
        .some(e => e.innerText.startsWith('showing') && e.innerText.includes(`of ${n} trials`))
        && """
    + RUN_ENDED
)


def open_results(browser, url: str) -> tuple[object, tuple[float, float]]:
    """A new visitor's page, and its (first screen, table) times in seconds."""
    page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
    page.set_default_timeout(300_000)
    t0 = time.perf_counter()
    page.goto(f"{url}/results?study=bench", wait_until="commit")
    page.wait_for_function(FIRST_SCREEN, polling="raf")  # checked every frame, no backoff
    screen = time.perf_counter() - t0
    page.wait_for_function(TABLE, polling="raf")
    return page, (screen, time.perf_counter() - t0)


STUDIES_SCREEN = (
    """() => [...document.querySelectorAll('[data-testid="stMetric"]')]
            .some(m => m.innerText.split('\\n')[0].trim() === 'complete')
        && """
    + HISTORY_DRAWN
    + " && "
    + RUN_ENDED
)
STUDIES_COUNTED = (
    """n => [...document.querySelectorAll('[data-testid="stMetric"]')]
        .some(m => m.innerText.split('\\n').map(s => s.trim()).filter(s => s).join(' ') === `complete ${n}`)
        && """
    + RUN_ENDED
)


def open_studies(browser, url: str) -> tuple[object, tuple[float, float]]:
    """A new visitor's Studies page, and its first-screen time in seconds (twice: the shape of
    :func:`open_results`, whose second time is the table's)."""
    page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
    page.set_default_timeout(300_000)
    t0 = time.perf_counter()
    page.goto(f"{url}/studies", wait_until="commit")
    page.wait_for_function(STUDIES_SCREEN, polling="raf")
    took = time.perf_counter() - t0
    return page, (took, took)


def open_floor(browser, url: str) -> tuple[object, float]:
    page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_function(f"() => ({TABLE})() && {RUN_ENDED}", polling="raf")
    return page, time.perf_counter() - t0


def _median(times: list[float]) -> str:
    return f"median {statistics.median(times):.2f} s (range {min(times):.2f}-{max(times):.2f})"


def main() -> None:
    from playwright.sync_api import sync_playwright

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=10000)
    p.add_argument("--db", help="SQLite file to build once and reuse (default: a temporary one).")
    p.add_argument("--visitors", type=int, default=3)
    p.add_argument("--refreshes", type=int, default=3)
    p.add_argument("--floor", action="store_true", help="also time a page with one dataframe")
    p.add_argument("--page", choices=["results", "studies"], default="results")
    args = p.parse_args()
    studies_page = args.page == "studies"

    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from benchmarks.explore import time_first_renders
    from benchmarks.studies_queries import build_study, synthetic_trials

    scratch = Path(tempfile.mkdtemp(prefix="bench-results-"))
    source = Path(args.db) if args.db else scratch / "bench.db"
    build_study(f"sqlite:///{source}", args.trials)
    served = scratch / "page.db"
    shutil.copy(source, served)
    url_db = f"sqlite:///{served}"
    n = len(optuna.load_study(study_name="bench", storage=url_db).get_trials(deepcopy=False))
    env = os.environ | {"EXPLORER_STORAGE": url_db, "EXPLORER_RUNS": str(scratch / "runs")}
    print(f"{args.page.title()} page, study of {n} trials (a copy of {source}), chromium")
    try:
        with streamlit_server(env, scratch / "streamlit.log") as url, sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                opener = open_studies if studies_page else open_results
                cold, warm, page = time_first_renders(opener, browser, url, args.visitors)
                table = "" if studies_page else f", table {cold[1]:.2f} s"
                print(f"  first visit of the server: first screen {cold[0]:.2f} s{table}")
                print(
                    f"  a new visitor ({len(warm)}), first screen: {_median([w[0] for w in warm])}"
                )
                if not studies_page:
                    print(
                        f"  a new visitor ({len(warm)}), table drawn:  "
                        f"{_median([w[1] for w in warm])}"
                    )
                study = optuna.load_study(study_name="bench", storage=url_db)
                times = []
                for i in range(args.refreshes):
                    study.add_trials(synthetic_trials(5, seed=100 + i))
                    n += 5
                    complete = len(study.get_trials(deepcopy=False, states=[TrialState.COMPLETE]))
                    if studies_page:  # its editable table reaches the margin: just unfocus
                        page.evaluate("() => document.activeElement?.blur()")
                    else:
                        page.mouse.click(1390, 600)  # blank margin: focus the page, not a widget
                    t0 = time.perf_counter()
                    page.keyboard.press("r")
                    if studies_page:
                        page.wait_for_function(STUDIES_COUNTED, arg=complete, polling="raf")
                    else:
                        page.wait_for_function(COUNTED, arg=n, polling="raf")
                    times.append(time.perf_counter() - t0)
                print(f"  refresh after 5 trials were added: {_median(times)}")
            finally:
                browser.close()
        if args.floor:
            app = scratch / "floor_app.py"
            app.write_text(FLOOR_APP)
            with (
                streamlit_server(env, scratch / "floor.log", str(app)) as url,
                sync_playwright() as pw,
            ):
                browser = launch_chromium(pw)
                try:
                    _, warm, _ = time_first_renders(open_floor, browser, url, args.visitors)
                    print(
                        f"  floor: a title and a 1,000-row dataframe, new visitor: {_median(warm)}"
                    )
                finally:
                    browser.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
