"""Dashboard: optuna-dashboard served by the app's own server at /optuna/<name>/ (core.dashboard),
embedded with a same-origin path; without that server (AppTest) the page says so."""

from __future__ import annotations

import asyncio
from pathlib import Path

import optuna
import pytest

from core.dashboard import DashboardApp, mount_dashboard, rewrite_bundle, unmount_dashboard
from core.errors import ExplorerError
from tests.app.conftest import new_app, open_app, serve_read_only
from tests.app.test_results import make_study


def fetch(app: DashboardApp, path: str, method: str = "GET", headers=()) -> tuple[int, dict, bytes]:
    """One request through the routes ``st.App`` gets (Starlette's Mount, a2wsgi, the WSGI app),
    behind GZip middleware as in st.App's stack."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.gzip import GZipMiddleware

    server = Starlette(
        routes=app.routes(), middleware=[Middleware(GZipMiddleware, minimum_size=1000)]
    )
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
        "server": ("127.0.0.1", 8501),
        "client": ("127.0.0.1", 50000),
    }
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(server(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    head = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], head, body


@pytest.fixture
def mounted():
    """The process's dashboard, as `streamlit run streamlit_app.py` mounts it."""
    yield mount_dashboard()
    unmount_dashboard()


def iframe_src(at) -> str | None:
    frames = [el for el in at.main if type(el).__name__ == "UnknownElement" and el.type == "iframe"]
    return frames[0].proto.src if frames else None


def test_without_the_apps_server_the_page_says_so(app_env: str) -> None:
    at = new_app("app_pages/dashboard.py")
    assert not at.error, [e.value for e in at.error]
    assert any("app's own server" in i.value for i in at.info)
    assert iframe_src(at) is None


def test_the_page_embeds_the_dashboard_served_on_the_apps_port(app_env: str, mounted) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    make_study(app_env, "alpha", 4)
    at = new_app("app_pages/dashboard.py")
    assert not at.error, [e.value for e in at.error]
    src = iframe_src(at)
    assert src == "/optuna/_configured/dashboard/"  # same origin, no host or port
    assert mounted.serving() == {"_configured": app_env}  # the writable storage itself
    status, head, body = fetch(mounted, src)
    assert status == 200 and b'src="/optuna/_configured/static/bundle.js"' in body
    assert "script-src 'self'" in head["content-security-policy"]
    status, _, body = fetch(mounted, "/optuna/_configured/api/studies")
    assert status == 200 and b'"alpha"' in body
    status, head, _ = fetch(mounted, "/optuna/_configured/")
    assert status == 302 and head["location"] == "/optuna/_configured/dashboard/"
    status, head, body = fetch(mounted, "/optuna/_configured/static/bundle.js")
    assert status == 200 and head["content-type"].startswith("application/javascript")
    assert b'url_prefix:"/optuna/_configured/dashboard"' in body
    assert b'(null!=e?e:"/optuna/_configured")' in body  # the API's base URL
    assert body.count(b"`/optuna/_configured/csv/") == 2 and b"`/csv/" not in body
    status, head, packed = fetch(
        mounted, "/optuna/_configured/static/bundle.js", headers=[("Accept-Encoding", "gzip")]
    )
    assert head["content-encoding"] == "gzip" and len(packed) < len(body) / 2
    status, head, empty = fetch(  # the browser's revalidation: a 304 with no body at all
        mounted,
        "/optuna/_configured/static/bundle.js",
        headers=[("Accept-Encoding", "gzip"), ("If-None-Match", head["etag"])],
    )
    assert status == 304 and empty == b"" and "content-encoding" not in head
    at.button(key="dashboard_restart").click().run()
    assert not at.exception
    assert iframe_src(at) == "/optuna/_configured/dashboard/?v=1"  # the frame reloads


def test_the_viewer_serves_a_copy_per_study_file(
    app_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mounted
) -> None:
    folder = tmp_path / "studies"
    folder.mkdir()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    make_study(f"sqlite:///{folder / 'examples.db'}", "alpha", 4)
    make_study(f"sqlite:///{folder / 'other.db'}", "gamma", 3)
    serve_read_only(folder, monkeypatch)
    before = {p.name: p.read_bytes() for p in folder.glob("*.db")}
    at = new_app("app_pages/dashboard.py")
    assert iframe_src(at) == "/optuna/examples/dashboard/"
    assert any("read-only copy" in c.value for c in at.caption)
    (copy_dir,) = mounted.copy_dirs()
    assert copy_dir.is_dir() and folder not in copy_dir.parents
    # another study file, by name, straight from a link to the frame: its own copy
    status, _, body = fetch(mounted, "/optuna/other/api/studies")
    assert status == 200 and b'"gamma"' in body and b'"alpha"' not in body
    assert len(mounted.copy_dirs()) == 2
    study = optuna.load_study(study_name="alpha", storage=f"sqlite:///{folder / 'examples.db'}")
    status, _, _ = fetch(mounted, f"/optuna/examples/api/studies/{study._study_id}", "DELETE")
    assert status >= 400  # the copy is read-only too
    at.button(key="dashboard_restart").click().run()  # Refresh: a new copy, the old one gone
    assert iframe_src(at) == "/optuna/examples/dashboard/?v=1"
    assert not copy_dir.exists() and len(mounted.copy_dirs()) == 2
    mounted.close()
    assert mounted.copy_dirs() == []
    assert {p.name: p.read_bytes() for p in folder.glob("*.db")} == before


def test_a_file_that_is_not_a_study_file_gets_one_sentence(
    app_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mounted
) -> None:
    folder = tmp_path / "studies"
    folder.mkdir()
    make_study(f"sqlite:///{folder / 'examples.db'}", "alpha", 2)
    (folder / "garbage.db").write_bytes(b"not a database")
    serve_read_only(folder, monkeypatch)
    at = open_app(db="garbage")
    at.switch_page("app_pages/dashboard.py").run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "`garbage.db` is not a study file (not a SQLite database)."
    ]
    assert iframe_src(at) is None and mounted.copy_dirs() == []


@pytest.mark.parametrize(
    "name", ["nope", "..", "..%2F..%2Fetc", "examples.db", "a.b", "_x", "%2Ftmp%2Fx"]
)
def test_only_study_files_by_bare_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_env: str, name: str
) -> None:
    folder = tmp_path / "studies"
    folder.mkdir()
    make_study(f"sqlite:///{folder / 'examples.db'}", "alpha", 2)
    monkeypatch.setenv("EXPLORER_STUDIES", str(folder))  # configured: a file elsewhere
    app = DashboardApp()
    status, _, body = fetch(app, f"/optuna/{name}/api/studies")
    assert status == 404 and b"alpha" not in body
    assert app.serving() == {}
    status, _, body = fetch(app, "/optuna/examples/api/studies")
    assert status == 200 and b'"alpha"' in body


def test_a_base_url_path_and_another_bundle() -> None:
    app = DashboardApp("/explorer/")
    assert app.mount_path == "/explorer/optuna"
    with pytest.raises(ExplorerError, match="odd characters"):
        DashboardApp('x"; alert(1); "')
    with pytest.raises(ExplorerError, match="0.21.0"):
        rewrite_bundle("a bundle without the literals", "/optuna/examples")


def test_the_read_only_dashboard_refuses_writes_with_403_and_one_line(
    app_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mounted,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Delete, rename and create through optuna-dashboard's API: each a 403 with one sentence,
    one log line and no traceback; the copy still holds the study."""
    folder = tmp_path / "studies"
    folder.mkdir()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    make_study(f"sqlite:///{folder / 'examples.db'}", "alpha", 4)
    serve_read_only(folder, monkeypatch)
    study_id = optuna.load_study(
        study_name="alpha", storage=f"sqlite:///{folder / 'examples.db'}"
    )._study_id
    capfd.readouterr()
    caplog.clear()
    with caplog.at_level("INFO", logger="core.dashboard"):
        for method, path in (
            ("DELETE", f"/optuna/examples/api/studies/{study_id}"),
            ("POST", f"/optuna/examples/api/studies/{study_id}/rename"),
            ("POST", "/optuna/examples/api/studies"),
        ):
            status, head, body = fetch(mounted, path, method)
            assert status == 403, (method, path, status, body[:300])
            assert head["content-type"].startswith("text/plain")
            text = body.decode()
            assert text.count(".") == 1 and "read-only" in text, text
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    assert len([r for r in caplog.records if r.name == "core.dashboard"]) == 3
    status, _, body = fetch(mounted, "/optuna/examples/api/studies")
    assert status == 200 and b'"alpha"' in body
