"""Retake the README's and the docs' pictures from the read-only viewer of the committed examples.

    PYTHONPATH=. .venv/bin/python docs/screenshots/take.py

Starts `streamlit run streamlit_app.py` in read-only mode on a copy of studies/ (the committed
files are never touched), opens each page in Debian's chromium and writes PNGs beside this file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.app.test_browser import launch_chromium, streamlit_server

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
WIDTH = 1400


def _settle(page, ready: str) -> None:
    page.get_by_text(ready).first.wait_for(timeout=120_000)
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000
    )
    page.wait_for_timeout(1500)


def _shot_below(page, heading: str, path: Path, height: int) -> None:
    """A picture of the page from ``heading`` down, ``height`` pixels tall."""
    box = page.get_by_text(heading).first.bounding_box()
    page.screenshot(
        path=str(path),
        clip={"x": 0, "y": max(0, box["y"] - 20), "width": WIDTH, "height": height},
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        studies = Path(tmp) / "studies"
        shutil.copytree(ROOT / "studies", studies)
        env = dict(os.environ)
        env.update(
            EXPLORER_READ_ONLY="1",
            EXPLORER_STUDIES=str(studies),
            EXPLORER_STORAGE=f"sqlite:///{studies / 'examples.db'}",
        )
        with streamlit_server(env, Path(tmp) / "server.log") as url, sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
            page.set_default_timeout(120_000)

            page.goto(f"{url}/explore?landscape=landscape-cnn")
            _settle(page, "distinct points trained")
            page.screenshot(path=str(OUT / "explore.png"))

            # A tall window: Streamlit scrolls inside the page, so a picture is of what is shown.
            page.set_viewport_size({"width": WIDTH, "height": 3200})
            page.goto(f"{url}/results?db=examples&study=cnn&plot=slice")
            _settle(page, "Best trial")
            page.wait_for_selector(".main-svg", timeout=120_000)
            page.wait_for_timeout(2000)
            page.locator('[data-testid="stPlotlyChart"]').first.screenshot(
                path=str(OUT / "results-slice.png")
            )

            page.goto(url)
            _settle(page, "Why the report's RNN")
            page.wait_for_timeout(3000)
            _shot_below(page, "Why the report's RNN", OUT / "home-padding-lesson.png", 1150)
            browser.close()
    for name in ("explore.png", "results-slice.png", "home-padding-lesson.png"):
        print(OUT / name)


if __name__ == "__main__":
    main()
