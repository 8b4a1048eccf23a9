"""optuna-dashboard inside the app's own web server, on the app's own port.

:class:`DashboardApp` is an ASGI app; ``streamlit_app.py`` hands its :meth:`~DashboardApp.routes`
to ``st.App``, so ``streamlit run`` serves it beside the pages (no second process or port), and
the Dashboard page embeds it with a same-origin path (:meth:`~DashboardApp.path_for`).

Routes: ``<server.baseUrlPath>/optuna/<name>/...`` is optuna-dashboard's WSGI app
(``optuna_dashboard.wsgi``, run through a2wsgi's thread pool) on one storage, made on first use:

- ``<name>`` is a study file's bare name (``examples`` is ``studies/examples.db``), checked by
  :func:`~core.studies.storage._files.study_file_url` (never a path), or the configured storage's name
  (:func:`route_name`; ``_configured`` when that is no study file, e.g. PostgreSQL);
- the rest is optuna-dashboard's own path: ``dashboard/...``, ``api/...``, ``static/...``,
  ``csv/...``.

Prefix: optuna-dashboard 0.21 has no URL prefix setting. Its page loads ``/static/bundle.js``,
and the bundle fetches ``/api/...``, links ``/csv/...`` and routes ``/dashboard/...``, all from
the root, where the app has a page of its own at ``/dashboard``. So requests reach it with
``/optuna/<name>`` stripped (WSGI ``SCRIPT_NAME``), and the prefix is written back into the two
files that name root paths: the page's script tag, and the bundle's API base URL, router prefix
and CSV and artifact links (:data:`BUNDLE_EDITS`; rewritten once per prefix, kept in memory). A
bundle without them (another optuna-dashboard version) is refused with one sentence, not served
half-working.

Read-only: optuna-dashboard has no read-only mode, and its delete and rename buttons act at once.
In read-only mode, and for a read-only URL (every study file the sidebar picks by name), it never
sees the real storage: it serves a copy (:func:`~core.studies.storage._backend.snapshot_storage`) in a
temporary folder, itself opened read-only. :meth:`~DashboardApp.refresh` drops the copy; the
next request takes a new one. The writable app's own storage is served as it is.

There is one instance per process (:func:`mount_dashboard`), since the routes are built when the
server starts and the Dashboard page must reach the same copies.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from core.errors import ExplorerError
from core.settings import get_storage_url, get_studies_dir, is_read_only

MOUNT = "/optuna"
CONFIGURED = "_configured"  # never a study file's name (those start with a letter or digit)
# What a prefix may hold: it is written into JavaScript strings and template literals.
_SAFE_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)*")
# What a visitor may ask of a read-only copy: reads only. optuna-dashboard writes with the rest.
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ONLY_REFUSAL = "This dashboard shows a read-only copy of the studies, so it changes nothing."
_log = logging.getLogger(__name__)
# A study file's bare name, as core.studies.storage.study_file_url accepts it.
_STUDY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
# (literal in optuna-dashboard 0.21.0's public/bundle.js, the same under the prefix P, count)
BUNDLE_EDITS = (
    ('(null!=e?e:"")}handleResponse', '(null!=e?e:"{P}")}handleResponse', 1),  # API base URL
    ('url_prefix:"/dashboard"}', 'url_prefix:"{P}/dashboard"}', 1),  # the router's pages
    ("`/csv/", "`{P}/csv/", 2),  # "Download CSV File"
    ("`/artifacts/", "`{P}/artifacts/", 2),
)
PAGE_EDIT = (b'src="/static/bundle.js"', 'src="{P}/static/bundle.js"')
_MAX_BUNDLES = 8  # rewritten bundles kept, gzipped (one per study file shown; 1.9 MB each)

StartResponse = Callable[..., Any]


def serves_copy(storage_url: str) -> bool:
    """Whether the dashboard shows a read-only copy of ``storage_url`` (else the storage itself)."""
    from core.studies.storage import is_read_only_url

    return is_read_only() or is_read_only_url(storage_url)


def route_name(storage_url: str) -> str:
    """The ``<name>`` under ``/optuna/`` for a storage the viewing pages read: the configured
    storage, or a study file by name (:func:`~core.studies.storage._files.study_file_url`)."""
    from core.studies.storage import sqlite_path, study_file_url

    if storage_url == get_storage_url():
        return _configured_name()
    path = sqlite_path(storage_url)
    if path is not None and study_file_url(path.stem) == storage_url:
        return path.stem
    raise ExplorerError("The dashboard shows the configured storage and the study files only.")


def storage_url_for(name: str) -> str:
    """The storage behind ``/optuna/<name>/``: only a study file's bare name is accepted, as
    :func:`route_name` writes it (``examples``, not ``examples.db``)."""
    from core.studies.storage import StorageError, study_file_url

    if name == _configured_name():
        return get_storage_url()
    url = study_file_url(name)  # StorageError (one sentence) for anything but a bare name
    if route_name(url) != name:
        raise StorageError(f"There is no study file named '{name}'; try '{route_name(url)}'.")
    return url


def _configured_name() -> str:
    from core.studies.storage import sqlite_path

    path = sqlite_path(get_storage_url())
    if (
        path is not None
        and path.suffix == ".db"
        and _STUDY_NAME.fullmatch(path.stem)
        and path.resolve().parent == get_studies_dir().resolve()
    ):
        return path.stem
    return CONFIGURED


class _Served:
    """optuna-dashboard's WSGI app on one storage, or on a read-only copy of it."""

    def __init__(self, storage_url: str) -> None:
        from optuna_dashboard import wsgi

        from core.studies.storage import open_storage, rdb_of, read_only_url, snapshot_storage

        self.storage_url = storage_url
        self.copy_dir: tempfile.TemporaryDirectory | None = None
        self._engine: Any = None
        if serves_copy(storage_url):
            self.copy_dir = tempfile.TemporaryDirectory(prefix="explorer-dashboard-")
            try:
                copy = snapshot_storage(storage_url, Path(self.copy_dir.name) / "snapshot.db")
                storage = open_storage(read_only_url(copy))
            except BaseException:
                self.copy_dir.cleanup()
                raise
            rdb = rdb_of(storage)
            self._engine = rdb.engine if rdb is not None else None
        else:
            storage = open_storage(storage_url)  # creates the tables: the dashboard will not
        self.app = wsgi(storage)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        if self.copy_dir is not None:
            self.copy_dir.cleanup()


class DashboardApp:
    """optuna-dashboard for every storage the viewing pages read, at ``<base>/optuna/<name>/``.

    ``base_url_path`` is Streamlit's ``server.baseUrlPath``: routes added to ``st.App`` do not
    get it, so they carry it themselves.
    """

    def __init__(self, base_url_path: str = "") -> None:
        base = base_url_path.strip("/")
        self.mount_path = (f"/{base}" if base else "") + MOUNT
        if not _SAFE_PREFIX.fullmatch(self.mount_path):
            raise ExplorerError(f"server.baseUrlPath '{base_url_path}' has odd characters.")
        self._served: dict[str, _Served] = {}
        self._generation: dict[str, int] = {}
        self._bundles: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()
        self._asgi: Any = None

    # -- for the Dashboard page -------------------------------------------------------------

    def path_for(self, storage_url: str) -> str:
        """The root-relative path of the dashboard on ``storage_url`` (for a same-origin iframe);
        ``?v=`` changes with each :meth:`refresh`, so an embedding frame reloads."""
        name = route_name(storage_url)
        generation = self._generation.get(name, 0)
        return f"{self.mount_path}/{name}/dashboard/" + (f"?v={generation}" if generation else "")

    def prepare(self, storage_url: str) -> str:
        """Open (or copy) ``storage_url`` now, so a problem is one sentence on the page rather
        than an error inside the frame; returns :meth:`path_for`."""
        self._serve(route_name(storage_url))
        return self.path_for(storage_url)

    def refresh(self, storage_url: str) -> None:
        """Drop what is served for ``storage_url`` (its copy too): the next request takes a new
        copy, or reopens the storage with an empty optuna-dashboard cache."""
        name = route_name(storage_url)
        with self._lock:
            served = self._served.pop(name, None)
            self._generation[name] = self._generation.get(name, 0) + 1
        if served is not None:
            served.close()

    def serving(self) -> dict[str, str]:
        """``<name>``: storage URL, for what is served now."""
        with self._lock:
            return {name: s.storage_url for name, s in self._served.items()}

    def copy_dirs(self) -> list[Path]:
        """The temporary folders of the copies served now."""
        with self._lock:
            return [Path(s.copy_dir.name) for s in self._served.values() if s.copy_dir]

    def close(self) -> None:
        """Drop everything served and remove the copies (the server stops); safe to call twice."""
        with self._lock:
            served, self._served = list(self._served.values()), {}
        for s in served:
            s.close()

    # -- for the server ---------------------------------------------------------------------

    def routes(self) -> list[Any]:
        """The Starlette routes to add to ``st.App(routes=...)``."""
        from starlette.routing import Mount

        return [Mount(self.mount_path, app=self)]

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if self._asgi is None:
            from a2wsgi import WSGIMiddleware

            self._asgi = WSGIMiddleware(self.wsgi, workers=8)
        chunks: list[bytes] = []

        async def send_whole(message: dict) -> None:
            # a2wsgi sends a body in pieces. Starlette's GZip middleware (in st.App's stack)
            # compresses a piecewise body even when it is empty, and a 304 or 204 with a body
            # breaks the HTTP connection. Whole bodies (all of them fit in memory: the largest is
            # the 2 MB bundle) are compressed only when large, with a Content-Length.
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"".join(chunks)}
            await send(message)

        await self._asgi(scope, receive, send_whole if scope["type"] == "http" else send)

    def wsgi(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI side: ``PATH_INFO`` is ``/<name>/<optuna-dashboard's path>``."""
        name, _, rest = environ.get("PATH_INFO", "").lstrip("/").partition("/")
        prefix = f"{environ.get('SCRIPT_NAME', '').rstrip('/')}/{name}"
        try:
            served = self._serve(name)
        except ExplorerError as err:
            return _text(start_response, "404 Not Found", str(err))
        if not _SAFE_PREFIX.fullmatch(prefix):
            return _text(start_response, "404 Not Found", "Not found.")
        path = "/" + rest
        if path == "/":
            start_response("302 Found", [("Location", f"{prefix}/dashboard/")])
            return [b""]
        if path == "/static/bundle.js":
            return self._send_bundle(prefix, environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if served.copy_dir is not None and method not in _READS:
            _log.warning("refused %s %s%s: the dashboard is read-only", method, prefix, path)
            return _text(start_response, "403 Forbidden", READ_ONLY_REFUSAL)
        inner = dict(environ, SCRIPT_NAME=prefix, PATH_INFO=path)
        if path == "/dashboard" or path.startswith("/dashboard/"):
            for header in ("HTTP_IF_MODIFIED_SINCE", "HTTP_IF_NONE_MATCH"):
                inner.pop(header, None)  # the page is rewritten: never a 304 of bottle's
            return self._send_page(served.app, prefix, inner, start_response)
        return served.app(inner, start_response)

    def _serve(self, name: str) -> _Served:
        with self._lock:
            served = self._served.get(name)
            if served is None:
                served = self._served[name] = _Served(storage_url_for(name))
            return served

    def _send_page(
        self, app: Callable, prefix: str, environ: dict, start_response: StartResponse
    ) -> Iterable[bytes]:
        got: dict[str, Any] = {}

        def capture(status: str, headers: list, exc_info: Any = None) -> Callable:
            got.update(status=status, headers=headers)
            return lambda data: None

        result = app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        if got["status"].startswith("200"):
            old, new = PAGE_EDIT
            if body.count(old) != 1:
                return _text(start_response, "500 Internal Server Error", _changed_message())
            body = body.replace(old, new.replace("{P}", prefix).encode())
        drop = {"content-length", "last-modified", "etag"}
        headers = [(k, v) for k, v in got["headers"] if k.lower() not in drop]
        start_response(
            got["status"],
            headers + [("Content-Length", str(len(body))), ("Cache-Control", "no-cache")],
        )
        return [body]

    def _send_bundle(
        self, prefix: str, environ: dict, start_response: StartResponse
    ) -> Iterable[bytes]:
        try:
            packed, etag = self._bundle(prefix)
        except ExplorerError as err:
            return _text(start_response, "500 Internal Server Error", str(err))
        headers = [("ETag", etag), ("Cache-Control", "no-cache"), ("Vary", "Accept-Encoding")]
        if environ.get("HTTP_IF_NONE_MATCH") == etag:
            start_response("304 Not Modified", headers)
            return [b""]
        headers.append(("Content-Type", "application/javascript; charset=utf-8"))
        if "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
            body = packed
            headers.append(("Content-Encoding", "gzip"))
        else:  # every browser asks for gzip: the plain bundle is not kept
            body = gzip.decompress(packed)
        start_response("200 OK", headers + [("Content-Length", str(len(body)))])
        return [body]

    def _bundle(self, prefix: str) -> tuple[bytes, str]:
        """optuna-dashboard's bundle with ``prefix`` written in, gzipped, and its ETag."""
        with self._lock:
            if prefix in self._bundles:
                return self._bundles[prefix]
        text = rewrite_bundle(_bundle_source(), prefix)
        plain = text.encode()
        entry = (gzip.compress(plain, 6), f'"{hashlib.sha256(plain).hexdigest()[:32]}"')
        with self._lock:
            while len(self._bundles) >= _MAX_BUNDLES:
                self._bundles.pop(next(iter(self._bundles)))
            self._bundles[prefix] = entry
        return entry


def rewrite_bundle(source: str, prefix: str) -> str:
    """optuna-dashboard's bundle with its root paths under ``prefix`` (:data:`BUNDLE_EDITS`)."""
    if not _SAFE_PREFIX.fullmatch(prefix):
        raise ExplorerError(f"'{prefix}' cannot be a dashboard prefix.")
    for old, new, count in BUNDLE_EDITS:
        if source.count(old) != count:
            raise ExplorerError(_changed_message())
        source = source.replace(old, new.replace("{P}", prefix))
    return source


def _bundle_source() -> str:
    import optuna_dashboard

    return (Path(optuna_dashboard.__file__).parent / "public" / "bundle.js").read_text("utf-8")


def _changed_message() -> str:
    import optuna_dashboard

    return (
        f"optuna-dashboard {optuna_dashboard.__version__} cannot be served under a prefix: its "
        "front end differs from 0.21.0's (requirements.txt pins it)."
    )


def _text(start_response: StartResponse, status: str, message: str) -> list[bytes]:
    body = message.encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]


_mounted: DashboardApp | None = None
_mounted_lock = threading.Lock()


def mount_dashboard(base_url_path: str = "") -> DashboardApp:
    """The process's one :class:`DashboardApp` (made on the first call); the server's entry
    point calls it to build its routes."""
    global _mounted
    with _mounted_lock:
        if _mounted is None:
            _mounted = DashboardApp(base_url_path)
        return _mounted


def mounted_dashboard() -> DashboardApp | None:
    """The dashboard this process's server serves, or None when there is no such server (AppTest,
    or a server that was not started from ``streamlit_app.py``'s ``st.App``)."""
    return _mounted


def unmount_dashboard() -> None:
    """Forget the process's dashboard and remove its copies (tests; the server stopping)."""
    global _mounted
    with _mounted_lock:
        mounted, _mounted = _mounted, None
    if mounted is not None:
        mounted.close()
