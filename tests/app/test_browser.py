"""The app in a real browser: Debian's chromium driven by Playwright against `streamlit run`.

Opens the app, moves sliders, trains a tiny job, waits for its result chart, opens Results, the
embedded dashboard and Predict, and saves a screenshot of each page under test-artifacts/.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)"),
]


def find_free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(
    env: dict[str, str], log_path: Path, script: str = "streamlit_app.py"
) -> Iterator[str]:
    """`streamlit run script` on a free localhost port with ``env``; stopped after (SIGTERM)."""
    port = find_free_port()
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            script,
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log_path.read_text()[-2000:]) from None
                time.sleep(0.5)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)  # as when the app stops
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.fixture
def server(tiny_data_dir: Path, tmp_path: Path) -> Iterator[str]:
    """The app on the tiny data and a storage of its own."""
    env = os.environ | {
        "EXPLORER_DATA": str(tiny_data_dir),
        "EXPLORER_STORAGE": f"sqlite:///{tmp_path / 'explorer.db'}",
        "EXPLORER_RUNS": str(tmp_path / "runs"),
        "EXPLORER_CACHE": str(tmp_path / "cache"),
    }
    with streamlit_server(env, tmp_path / "streamlit.log") as url:
        yield url


def launch_chromium(p):
    """Debian's chromium, headless, never a downloaded browser."""
    return p.chromium.launch(
        executable_path=str(CHROMIUM),
        args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"],
    )


def _set_slider_to_min(page, label: str) -> None:
    thumb = page.get_by_role("slider", name=label).first
    thumb.focus()
    thumb.press("Home")
    page.wait_for_timeout(300)


def test_app_in_a_browser(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    expect.set_options(timeout=60_000)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(server)
            expect(page.get_by_text("Hyperparameter Explorer").first).to_be_visible()
            expect(page.get_by_text("train texts")).to_be_visible()
            page.wait_for_timeout(1500)  # let the histogram draw
            page.screenshot(path=ARTIFACTS / "home.png", full_page=True)

            nav = page.get_by_test_id("stSidebarNav")
            nav.get_by_text("Playground").click()
            expect(page.get_by_role("heading", name="Playground")).to_be_visible()
            for label in ("max_length", "vocab_size", "embedding_dim", "batch_size", "max_steps"):
                _set_slider_to_min(page, label)
            expect(page.get_by_role("slider", name="max_steps").first).to_have_attribute(
                "aria-valuetext", "10"
            )
            page.get_by_role("button", name="Train", exact=True).click()
            expect(page.get_by_text("Run completed")).to_be_visible(timeout=120_000)
            expect(page.locator(".js-plotly-plot").first).to_be_visible()
            expect(page.get_by_text("Where it lands")).to_be_visible()
            page.wait_for_timeout(1500)
            page.screenshot(path=ARTIFACTS / "playground.png", full_page=True)
            page.get_by_text("Where it lands").scroll_into_view_if_needed()
            page.wait_for_timeout(1000)
            page.screenshot(path=ARTIFACTS / "playground-result.png")

            nav.get_by_text("Results").click()
            expect(page.get_by_text("Best trial #0")).to_be_visible()
            page.wait_for_timeout(1500)
            page.screenshot(path=ARTIFACTS / "results.png", full_page=True)

            nav.get_by_text("Studies").click()
            expect(page.get_by_text("Estimated cost")).to_be_visible()
            page.screenshot(path=ARTIFACTS / "studies.png", full_page=True)

            nav.get_by_text("Predict").click()
            expect(page.get_by_text("probability")).to_be_visible()
            expect(page.locator("[data-testid=stMarkdown] span[title]").first).to_be_visible()
            page.wait_for_timeout(1000)
            page.screenshot(path=ARTIFACTS / "predict.png", full_page=True)

            nav.get_by_text("Dashboard").click()
            frame = page.frame_locator("iframe").first
            expect(frame.get_by_text("playground-cnn").first).to_be_visible(timeout=60_000)
            # served by the app's own server, on its port: a same-origin path, no host or port
            src = page.locator("iframe").first.get_attribute("src")
            assert src.startswith("/optuna/") and src.split("?")[0].endswith("/dashboard/"), src
            page.wait_for_timeout(1000)
            page.screenshot(path=ARTIFACTS / "dashboard.png", full_page=True)
        finally:
            browser.close()


def test_two_sessions_train_at_once(server: str, tmp_path: Path) -> None:
    """Two browser sessions click Train together: each sees only its own job and result, and
    both runs land in the shared store."""
    import optuna
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=120_000)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            pages = []
            for dropout_steps in (1, 2):  # another dropout each: two different runs
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                page.goto(f"{server}/playground")
                expect(page.get_by_text("Training slots:").first).to_be_visible()
                for label in ("max_length", "vocab_size", "embedding_dim", "max_steps"):
                    _set_slider_to_min(page, label)
                thumb = page.get_by_role("slider", name="dropout").first
                thumb.focus()
                for _ in range(dropout_steps):
                    thumb.press("ArrowRight")
                expect(thumb).to_have_attribute("aria-valuetext", f"{0.05 * dropout_steps:.2f}")
                pages.append(page)
            for page in pages:
                page.get_by_role("button", name="Train", exact=True).click()
            trials = []
            for page in pages:
                done = page.get_by_text("Run completed: stored as trial #")
                expect(done).to_be_visible()
                trials.append(int(done.inner_text().rsplit("#", 1)[1].rstrip(".")))
                jobs = page.get_by_test_id("stSidebar").get_by_text("CNN · completed")
                expect(jobs).to_have_count(1)  # its own job only
        finally:
            browser.close()
    assert sorted(trials) == [0, 1]
    study = optuna.load_study(
        study_name="playground-cnn", storage=f"sqlite:///{tmp_path / 'explorer.db'}"
    )
    by_number = {t.number: t for t in study.trials}
    assert {t.state for t in by_number.values()} == {optuna.trial.TrialState.COMPLETE}
    assert [by_number[n].params["dropout"] for n in trials] == [0.05, 0.1]


def test_the_class_view_shows_a_run_stored_elsewhere_without_a_reload(
    server: str, tiny_data_dir: Path, tmp_path: Path
) -> None:
    """A run another server or worker stores appears on an open class view, by its nickname,
    through the page's own refresh: nobody reloads it. How soon is timed by
    ``python -m benchmarks.class_view``."""
    from playwright.sync_api import expect, sync_playwright

    from core.data import load_data
    from core.knobs import DataConfig
    from core.studies.run import record_run
    from core.training import build_run_config, train_run

    data = DataConfig(data=str(tiny_data_dir))
    tiny = {"max_steps": 20, "eval_steps": 10, "embedding_dim": 16, "max_length": 64}
    result = train_run(build_run_config("cnn", "default", tiny, data=data), save=False)
    attrs = {"nickname": "Zoe", "data_fingerprint": load_data(data).fingerprint}
    expect.set_options(timeout=120_000)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.goto(f"{server}/class")
            expect(page.get_by_text("No Playground runs of the CNN").first).to_be_visible()
            record_run(result, f"sqlite:///{tmp_path / 'explorer.db'}", attrs=attrs)
            stored = time.monotonic()
            expect(page.get_by_text("1 run by 1 person").first).to_be_visible(timeout=30_000)
            waited = time.monotonic() - stored
            expect(page.get_by_text("Zoe").first).to_be_visible()
        finally:
            browser.close()
    print(f"class view: a stored run appeared after {waited:.2f} s")


def test_two_servers_on_one_storage_replay_each_others_runs_and_keep_sessions_apart(
    tiny_data_dir: Path, tmp_path: Path
) -> None:
    """Two `streamlit run` servers, each with its own port, runs folder and cache, share one
    storage (PostgreSQL when the tests have one, as in CI, else a SQLite file): a run clicked in
    one is replayed in the other, and each session sees only its own jobs."""
    from playwright.sync_api import expect, sync_playwright

    from tests.core.studies.conftest import POSTGRES_URL_VAR, temporary_storage

    backend = "postgresql" if os.environ.get(POSTGRES_URL_VAR) else "sqlite"
    expect.set_options(timeout=120_000)
    with contextlib.ExitStack() as stack:
        storage = stack.enter_context(temporary_storage(backend, tmp_path))
        urls = []
        for name in ("a", "b"):
            env = os.environ | {
                "EXPLORER_DATA": str(tiny_data_dir),
                "EXPLORER_STORAGE": storage,
                "EXPLORER_RUNS": str(tmp_path / name / "runs"),
                "EXPLORER_CACHE": str(tmp_path / name / "cache"),
            }
            (tmp_path / name).mkdir()
            urls.append(stack.enter_context(streamlit_server(env, tmp_path / name / "log")))
        assert urls[0] != urls[1]
        p = stack.enter_context(sync_playwright())
        browser = launch_chromium(p)
        stack.callback(browser.close)
        pages = []
        for url in urls:
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.goto(f"{url}/playground")
            expect(page.get_by_text("Training slots:").first).to_be_visible()
            for label in ("max_length", "vocab_size", "embedding_dim", "max_steps"):
                _set_slider_to_min(page, label)
            pages.append(page)
        first, second = pages
        first.get_by_role("button", name="Train", exact=True).click()
        expect(first.get_by_text("Run completed: stored as trial #0")).to_be_visible()

        second.get_by_role("button", name="Train", exact=True).click()
        expect(second.get_by_text("Replayed: trial #0 of playground-cnn")).to_be_visible()
        for page, own in ((first, "CNN · completed"), (second, "CNN · replayed")):
            sidebar = page.get_by_test_id("stSidebar")
            expect(sidebar.get_by_text(own)).to_have_count(1)
            expect(sidebar.get_by_text("CNN · ")).to_have_count(1)  # its own job only
    for name in ("a", "b"):  # and neither server's background work failed on the way
        assert "Traceback" not in (tmp_path / name / "log").read_text()
