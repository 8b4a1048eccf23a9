"""What an Explore visitor waits for, in a real browser against a real read-only viewer.

    python -m benchmarks.explore [--db studies/examples.db] [--moves 8] [--visitors 5]

Starts `streamlit run streamlit_app.py` in read-only mode on a copy of the study file (so the
committed one is never touched), opens Explore in Debian's chromium through Playwright, and
prints:

1. **first render**: from opening ``/explore`` until the point's validation accuracy, its curves,
   the sweep and the heatmap are all on the page (target: 2 s); the first visit of the server
   (imports, first read of the file) and the next visits, each in a new browser context (no
   cache: what a new visitor waits for);
2. **slider moves**: a slider moved with the keyboard (as a person drags it, one stop), until
   the page shows the new point and the script run has ended (every figure redrawn); each move
   is to a neighbouring grid value, alternating knobs (target: 0.5 s).
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

# Three figures (curves, sweep, heatmap): static SVG by default, plotly with "Interactive charts".
DONE = """() => {
    const svgs = document.querySelectorAll('[data-testid="stMarkdown"] svg[role="img"]');
    const plots = document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot');
    const running = document.querySelector('[data-testid="stStatusWidget"]');
    return (svgs.length >= 3 || plots.length >= 3) && !running;
}"""


# The point's metrics and its three figures are on the page, and the script run has ended.
FIRST_RENDER = (
    """() => [...document.querySelectorAll('[data-testid="stMetric"]')]
        .some(m => m.innerText.includes('validation accuracy')) && ("""
    + DONE
    + ")()"
)


def caption_of(page) -> str:
    faded = page.get_by_text("Faded: the previous point")
    return faded.first.inner_text() if faded.count() else ""


def open_explore(browser, url: str) -> tuple[object, float]:
    page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
    page.set_default_timeout(120_000)
    t0 = time.perf_counter()
    page.goto(f"{url}/explore", wait_until="commit")
    # One in-page check on every animation frame: a locator's wait_for retries on a backoff of
    # up to 500 ms, which would be measured as waiting.
    page.wait_for_function(FIRST_RENDER, polling="raf")
    return page, time.perf_counter() - t0


def time_first_renders(open_page, browser, url: str, visitors: int):
    """(the server's first visit, each new visitor's first render, the last visitor's page,
    left open): ``open_page(browser, url)`` returns (page, seconds), each in a fresh context."""
    first, cold = open_page(browser, url)
    first.context.close()
    warm = []
    for _ in range(visitors):
        page, took = open_page(browser, url)
        warm.append(took)
        if len(warm) < visitors:
            page.context.close()
    return cold, warm, page


def move(page, label: str) -> tuple[str, float]:
    """Move slider ``label`` one stop (right, or left at the end of its range); the key pressed
    and the seconds from the key press until the page has redrawn."""
    before = caption_of(page)
    thumb = page.get_by_role("slider", name=label).first
    thumb.focus()
    value = thumb.get_attribute("aria-valuetext")
    for key in ("ArrowRight", "ArrowLeft"):
        t0 = time.perf_counter()
        thumb.press(key)
        if thumb.get_attribute("aria-valuetext") != value:  # the thumb moved: a rerun follows
            break
    page.wait_for_function(
        """before => {
            const el = [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
                .find(e => e.innerText.startsWith('Faded: the previous point'));
            return el && el.innerText !== before;
        }""",
        arg=before,
        polling="raf",
    )
    page.wait_for_function(DONE, polling="raf")
    return key, time.perf_counter() - t0


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "studies" / "examples.db"))
    parser.add_argument("--moves", type=int, default=8)
    parser.add_argument("--visitors", type=int, default=5, help="new visitors to time")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-explore-"))
    studies = scratch / "studies"
    studies.mkdir()
    shutil.copy(args.db, studies / "examples.db")
    env = {k: v for k, v in os.environ.items() if k != "EXPLORER_STORAGE"} | {
        "EXPLORER_READ_ONLY": "1",
        "EXPLORER_STUDIES": str(studies),
        "EXPLORER_RUNS": str(scratch / "runs"),
    }
    print(f"study file: {args.db} (a copy in {studies}); read-only viewer")
    with streamlit_server(env, scratch / "streamlit.log") as url, sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            cold, warm, page = time_first_renders(open_explore, browser, url, args.visitors)
            print(f"first render, first visit of the server: {cold:.2f} s")
            print(
                f"first render, a new visitor: median {statistics.median(warm):.2f} s, "
                f"range {min(warm):.2f}-{max(warm):.2f} s over {len(warm)} visitors (target 2 s)"
            )
            times = []
            sliders = page.get_by_role("slider")
            labels = [
                sliders.nth(i).get_attribute("aria-label") or "" for i in range(sliders.count())
            ]
            labels = [lab for lab in labels if lab] or ["learning_rate"]
            for i in range(args.moves):
                label = labels[i % len(labels)]
                thumb = page.get_by_role("slider", name=label).first
                if thumb.get_attribute("aria-disabled") == "true":  # e.g. a GRU's nonlinearity
                    continue
                key, took = move(page, label)
                times.append(took)
                print(f"  move {len(times)}: {label} {key}: {took:.2f} s")
            print(
                f"slider move to new figures: median {statistics.median(times):.2f} s, "
                f"max {max(times):.2f} s over {len(times)} moves (target 0.5 s)"
            )
        finally:
            browser.close()
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
