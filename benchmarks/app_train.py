"""What a Playground user waits for, measured in a real browser against a real server.

    EXPLORER_DATA=../shared/data/imdb python -m benchmarks.app_train [--sessions 4]

Starts `streamlit run streamlit_app.py` (a fresh storage and runs folder; the data cache as it
is, so warm after any earlier run), opens the Playground in Debian's chromium through
Playwright, waits until the training workers are ready (the page says so), then prints:

0. with ``--first-click SECONDS`` only: the first Train click, as soon as the Playground opens,
   the page opened SECONDS after the server started, until the result is on the page;
1. **click to result**: click Train with the default CNN, until its result is on the page;
   the page's test accuracy and training wall time;
2. **CLI**: the same config with ``python -m core train --no-save``, its ``wall_s`` (the page's
   wall time should be within 10 % of it);
3. **replay**: click Train again with the same knobs, until "Replayed" is on the page;
4. **concurrent sessions**: N browser sessions, each with another dropout, click Train at
   once; the wall time until all N show their result, against (N / slots) x one run + 20 %.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.app.test_browser import launch_chromium, streamlit_server

ROOT = Path(__file__).resolve().parents[1]

RESULT = re.compile(r"Run (completed|early_stopped): stored as trial #\d+")


def open_playground(browser, url: str):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(600_000)
    page.goto(f"{url}/playground")
    page.get_by_text("Training slots:").first.wait_for()  # the workers are ready
    return page


def metric(page, label: str) -> str:
    box = page.get_by_test_id("stMetric").filter(has_text=label).first
    return box.get_by_test_id("stMetricValue").inner_text()


def click_and_wait(page, button: str, done) -> float:
    t0 = time.perf_counter()
    page.get_by_role("button", name=button, exact=True).click()
    done.wait_for()
    return time.perf_counter() - t0


def cli_wall() -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "core", "train", "--no-save"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument(
        "--first-click",
        type=float,
        metavar="SECONDS",
        help="Only time the first Train click, made as soon as the Playground opens, the page "
        "opened SECONDS after the server answered (0: at once), and exit.",
    )
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-app-"))
    env = os.environ | {
        "EXPLORER_STORAGE": f"sqlite:///{scratch / 'explorer.db'}",
        "EXPLORER_RUNS": str(scratch / "runs"),
    }
    print(f"data: {env.get('EXPLORER_DATA', '(default)')}; scratch: {scratch}")
    with streamlit_server(env, scratch / "streamlit.log") as url, sync_playwright() as p:
        browser = launch_chromium(p)
        if args.first_click is not None:
            time.sleep(args.first_click)  # a visitor arriving a while after the server started
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.set_default_timeout(600_000)
            opened = time.perf_counter()
            page.goto(f"{url}/playground")
            page.get_by_role("button", name="Train", exact=True).wait_for()
            page.wait_for_function(  # the page has finished drawing, as a user sees it
                "!document.querySelector('[data-testid=\"stStatusWidget\"]')"
            )
            print(f"the Playground drew in {time.perf_counter() - opened:.1f} s")
            took = click_and_wait(page, "Train", page.get_by_text(RESULT).first)
            print(
                f"0. first click, page opened {args.first_click:g} s after the server started: "
                f"{took:.1f} s to the result"
            )
            browser.close()
            return
        page = open_playground(browser, url)
        slots = page.get_by_text("Training slots:").first.inner_text()
        print(slots)
        n_slots = int(re.search(r"Training slots: (\d+)", slots).group(1))

        took = click_and_wait(page, "Train", page.get_by_text(RESULT).first)
        test, wall = metric(page, "test accuracy"), metric(page, "wall time")
        print(f"1. click to result: {took:.1f} s; test accuracy {test}; page wall time {wall}")

        cli = cli_wall()
        page_wall = float(wall.removesuffix(" s"))
        print(
            f"2. CLI (python -m core train --no-save): wall_s {cli['wall_s']:.1f} s, test "
            f"{cli['test_accuracy']:.2%}; page / CLI = {page_wall / cli['wall_s']:.2f}"
        )

        replay = click_and_wait(page, "Train", page.get_by_text("Replayed:").first)
        print(f"3. Train again, same knobs (replay): {replay:.2f} s")

        pages = [open_playground(browser, url) for _ in range(args.sessions)]
        for i, other in enumerate(pages):
            thumb = other.get_by_role("slider", name="dropout").first
            thumb.focus()
            for _ in range(i + 1):
                thumb.press("ArrowRight")
            other.get_by_text(f"{0.05 * (i + 1):.2f}").first.wait_for()
        t0 = time.perf_counter()
        for other in pages:
            other.get_by_role("button", name="Train", exact=True).click()
        for other in pages:
            other.get_by_text(RESULT).first.wait_for()
        total = time.perf_counter() - t0
        bound = args.sessions / n_slots * took * 1.2
        tests = [metric(other, "test accuracy") for other in pages]
        print(
            f"4. {args.sessions} sessions at once: all done in {total:.1f} s "
            f"(target <= {args.sessions}/{n_slots} x {took:.1f} s + 20 % = {bound:.1f} s); "
            f"test accuracies {', '.join(tests)}"
        )
        browser.close()


if __name__ == "__main__":
    main()
