"""The read-only viewer in a real browser: every page visited and everything clickable clicked,
inside the embedded optuna-dashboard too (its delete and rename dialogs confirmed; it is served on
the app's own port and nowhere else), and the study file is byte-for-byte what it was."""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path
from urllib.parse import urlparse

import optuna
import pytest

from tests.app.test_browser import ARTIFACTS, CHROMIUM, launch_chromium, streamlit_server
from tests.app.test_results import make_study

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)"),
]

CLICKABLE = ", ".join(
    [
        "button",
        "a[href]",
        "summary",
        "input[type=checkbox]",
        "input[type=radio]",
        "[role=button]",
        "[role=tab]",
        "[role=menuitem]",
        "[role=option]",
        "[role=checkbox]",
        "[role=switch]",
    ]
)


def folder_state(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


DISMISS = ("cancel", "close", "no")
_DESCRIBE = """els => els.map(e => {
    const r = e.getBoundingClientRect();
    const shown = r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== "hidden";
    return [shown, e.outerHTML.slice(0, 400), e.getAttribute("href") || "",
            (e.getAttribute("aria-label") || e.textContent || "").trim().slice(0, 60)];
})"""


def click_everything(
    page, scope, budget_s: float, allowed_hosts: set[str], follow_links: bool = True
) -> list[str]:
    """Click each visible clickable element of ``scope`` once (re-reading the page after each
    click, as clicks open menus, dialogs and other pages). In a dialog, type into its text fields
    and click its buttons too, confirmations before Cancel. Links to other hosts are not followed
    (nor any link, without ``follow_links``). Returns the labels of what was clicked."""
    seen: set[str] = set()
    clicks: list[str] = []
    deadline = time.monotonic() + budget_s
    while time.monotonic() < deadline:
        items = scope.locator(CLICKABLE)
        try:
            described = items.evaluate_all(_DESCRIBE)
        except Exception:  # noqa: BLE001 - the page is navigating: look again
            page.wait_for_timeout(300)
            continue
        target = None
        # buttons before links, so a page is clicked through before a link leaves it
        order = sorted(range(len(described)), key=lambda i: bool(described[i][2]))
        for i in order:
            shown, html, href, label = described[i]
            if not shown or html in seen:
                continue
            seen.add(html)
            if not follow_links and href:
                continue
            if href.startswith("http") and urlparse(href).hostname not in allowed_hosts:
                continue
            target = (i, label or html[:60])
            break
        if target is None:
            break
        try:
            items.nth(target[0]).click(timeout=2000)
            clicks.append(target[1])
        except Exception:  # noqa: BLE001 - disabled, covered or gone: that is an answer too
            pass
        page.wait_for_timeout(200)
        clicks += _confirm_dialogs(page, scope)
        page.keyboard.press("Escape")
    return clicks


def _confirm_dialogs(page, scope) -> list[str]:
    """Fill and confirm whatever dialog is open (rename, delete, create...)."""
    done = []
    for dialog in scope.locator("[role=dialog]").all():
        try:
            if not dialog.is_visible():
                continue
            for field in dialog.locator("input[type=text], input:not([type])").all():
                if field.is_visible() and field.is_enabled():
                    field.fill("renamed-by-a-visitor", timeout=1000)
            for box in dialog.locator("input[type=checkbox]").all():
                if box.is_visible():
                    box.check(timeout=1000)
            buttons = [b for b in dialog.locator("button").all() if b.is_visible()]
            buttons.sort(key=lambda b: (b.text_content() or "").strip().lower() in DISMISS)
            for button in buttons:
                if button.is_visible() and button.is_enabled():
                    label = (button.text_content() or "").strip()
                    button.click(timeout=2000)
                    done.append(f"dialog: {label}")
                    page.wait_for_timeout(300)
        except Exception as err:  # noqa: BLE001 - the dialog closed under us
            done.append(f"dialog error: {str(err)[:200]}")
    return done


def crawl_dashboard(page, frame, budget_s: float) -> list[str]:
    """Visit every dashboard page reachable by its links and click everything on each."""
    base = urlparse(frame.url)
    home = frame.url.split("?")[0].split("/dashboard/")[0] + "/dashboard/"  # under its prefix
    queue, visited, clicks = [home], set(), []
    deadline = time.monotonic() + budget_s
    while queue and time.monotonic() < deadline:
        url = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        frame.goto(url)
        page.wait_for_timeout(1500)
        for href in frame.locator("a[href]").evaluate_all("els => els.map(e => e.href)"):
            if href.startswith(home) and href not in visited and len(visited) + len(queue) < 12:
                queue.append(href.split("#")[0])
        clicks.append(f"page: {url.removeprefix(home)}")
        clicks += click_everything(
            page, frame, min(20, deadline - time.monotonic()), {base.hostname}, False
        )
    return clicks


def listening_ports(port: int) -> tuple[set[int], list[str]]:
    """The TCP ports that the server listening on ``port`` and its child processes listen on,
    and the command lines of those children."""
    import psutil

    (pid,) = {
        c.pid
        for c in psutil.net_connections("tcp")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port and c.pid
    }
    server = psutil.Process(pid)
    procs = [server, *server.children(recursive=True)]
    ports = {
        c.laddr.port
        for proc in procs
        for c in proc.net_connections("tcp")
        if c.status == psutil.CONN_LISTEN
    }
    return ports, [" ".join(proc.cmdline()) for proc in procs[1:]]


@pytest.fixture
def viewer_folder(tmp_path: Path) -> Path:
    """A studies folder as a fresh clone has it: examples.db only (two studies)."""
    folder = tmp_path / "studies"
    folder.mkdir()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    make_study(f"sqlite:///{folder / 'examples.db'}", "alpha", 30)
    make_study(f"sqlite:///{folder / 'examples.db'}", "beta", 10)
    return folder


def test_a_visitor_cannot_change_anything(
    viewer_folder: Path, tiny_data_dir: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    before = folder_state(viewer_folder)
    env = {k: v for k, v in os.environ.items() if k != "EXPLORER_STORAGE"} | {
        "EXPLORER_READ_ONLY": "1",
        "EXPLORER_STUDIES": str(viewer_folder),
        "EXPLORER_DATA": str(tiny_data_dir),
        "EXPLORER_RUNS": str(tmp_path / "runs"),
        "EXPLORER_CACHE": str(tmp_path / "cache"),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    expect.set_options(timeout=60_000)
    with streamlit_server(env, tmp_path / "streamlit.log") as url, sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.context.on("page", lambda popup: popup.close())  # "Open in a new tab"
            page.goto(f"{url}/results?study=beta&plot=importances")
            expect(page.get_by_text("Best trial #").first).to_be_visible()
            nav = page.get_by_test_id("stSidebarNav")
            expect(nav.get_by_text("Playground")).to_have_count(0)
            expect(nav.get_by_text("Studies")).to_have_count(0)
            page.screenshot(path=ARTIFACTS / "viewer-results.png", full_page=True)
            clicks: list[str] = []
            for name in ("Home", "Results", "Predict"):
                nav.get_by_text(name, exact=True).click()
                page.wait_for_timeout(1500)
                main = page.get_by_test_id("stMain")
                clicks += click_everything(page, main, 20, {"127.0.0.1"})
                assert "Playground" not in page.url
            nav.get_by_text("Dashboard", exact=True).click()
            requested: set[str] = set()
            page.on("request", lambda r: requested.add(urlparse(r.url).netloc))
            frame_el = page.locator("iframe").first
            expect(frame_el).to_be_visible()
            assert frame_el.get_attribute("src") == "/optuna/examples/dashboard/"  # same origin
            frame = page.frame_locator("iframe").first
            expect(frame.get_by_text("alpha").first).to_be_visible(timeout=60_000)
            dashboard = next(
                f for f in page.frames if f != page.main_frame and re.search(r"/dashboard/", f.url)
            )
            in_dashboard = crawl_dashboard(page, dashboard, budget_s=100)
            clicks += in_dashboard
            # it came through the app's port alone: nothing else serves it
            port = urlparse(url).port
            assert {n for n in requested if n.startswith(("127.0.0.1", "localhost"))} == {
                f"127.0.0.1:{port}"
            }, requested
            ports, children = listening_ports(port)
            assert ports == {port}, ports
            assert not [c for c in children if "optuna" in c], children
            page.screenshot(path=ARTIFACTS / "viewer-dashboard.png", full_page=True)
            (ARTIFACTS / "viewer-clicks.txt").write_text("\n".join(clicks))
            assert len(clicks) > 30, f"only {len(clicks)} clicks: the pages did not render"
            assert {"delete study", "rename study"} <= set(in_dashboard)
            assert any(c.startswith("page: studies/") for c in in_dashboard), in_dashboard
            confirmed = [
                c
                for c in in_dashboard
                if c.startswith("dialog:") and c.removeprefix("dialog: ").lower() not in DISMISS
            ]
            assert len(confirmed) >= 2, confirmed  # the rename and the delete went through
        finally:
            browser.close()
    assert folder_state(viewer_folder) == before


def test_explore_in_the_viewer(tmp_path: Path, tiny_data_dir: Path) -> None:
    """A visitor opens a link to a point of a landscape, moves a slider, and sees the new point's
    accuracy; the study file is unchanged."""
    from playwright.sync_api import expect, sync_playwright

    from tests.core.studies.test_landscape import make_landscape, synthetic_accuracy

    folder = tmp_path / "studies"
    folder.mkdir()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    make_landscape(f"sqlite:///{folder / 'examples.db'}")
    before = folder_state(folder)
    env = {k: v for k, v in os.environ.items() if k != "EXPLORER_STORAGE"} | {
        "EXPLORER_READ_ONLY": "1",
        "EXPLORER_STUDIES": str(folder),
        "EXPLORER_DATA": str(tiny_data_dir),
        "EXPLORER_RUNS": str(tmp_path / "runs"),
    }
    point = {"cell": "gru", "hidden_size": 64, "learning_rate": 0.01}
    expect.set_options(timeout=60_000)
    with streamlit_server(env, tmp_path / "streamlit.log") as url, sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(f"{url}/explore?cell=gru&hidden_size=64&learning_rate=0.01")
            value = page.get_by_test_id("stMetric").filter(has_text="validation accuracy")
            expect(value.get_by_test_id("stMetricValue")).to_have_text(
                f"{synthetic_accuracy(point):.1%}"
            )
            nav = page.get_by_test_id("stSidebarNav")
            expect(nav.get_by_text("Explore", exact=True)).to_have_count(1)
            expect(nav.get_by_text("Playground")).to_have_count(0)
            thumb = page.get_by_role("slider", name="hidden_size").first
            thumb.focus()
            thumb.press("ArrowRight")  # 64 -> 128
            expect(value.get_by_test_id("stMetricValue")).to_have_text(
                f"{synthetic_accuracy(point | {'hidden_size': 128}):.1%}"
            )
            expect(page.get_by_text("Faded: the previous point")).to_be_visible()
            # static charts by default (no plotly.js to load), each mark named on hover
            charts = page.locator('[data-testid="stMarkdown"] svg[role="img"]')
            expect(charts).to_have_count(3)
            expect(page.locator(".js-plotly-plot")).to_have_count(0)
            assert "hidden_size=128" in page.url
            page.screenshot(path=ARTIFACTS / "viewer-explore.png", full_page=True)
            page.get_by_text("Interactive charts").click()  # the same figures in plotly
            expect(page.locator(".js-plotly-plot")).to_have_count(3)
            expect(charts).to_have_count(0)
        finally:
            browser.close()
    assert folder_state(folder) == before
