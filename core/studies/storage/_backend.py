"""Open the Optuna storage that studies, workers and the app share.

Stop requests live in :mod:`core.studies.storage._stop`; the read-only wrapper in ``_read_only``; naming,
checking and masking study files and URLs in :mod:`core.studies.storage._files`.

Accepted storage settings (``core.settings.get_storage_url`` gives the default, a SQLite file
under ``studies/``):

- ``sqlite:///path.db``: see below;
- ``postgresql://user:password@host:5432/db`` (or ``postgresql+psycopg://...``): a PostgreSQL
  server that workers on many machines share, through psycopg 3 (see below);
- any other SQLAlchemy URL Optuna accepts (``mysql+pymysql://...``);
- ``journal:path.log`` (or ``journal:///abs/path.log``): Optuna's journal file backend;
- ``memory``: a fresh in-memory storage (tests, one process only).

SQLite with several worker processes fails with "database is locked" under Optuna's defaults
(optuna#820). Two things cause it, and each gets its own fix here:

1. A writer waits at most 5 s for the lock. We set a 60 s busy timeout and WAL journaling, so
   readers (the app) never block writers and a writer waits its turn instead of failing.
2. A transaction that starts as a read and then writes cannot wait at all: SQLite returns BUSY at
   once when another process wrote in between, whatever the timeout. We open every transaction
   with ``BEGIN IMMEDIATE`` so the write lock is taken up front, where the busy timeout applies.
   Optuna's transactions last milliseconds, so serialising them costs nothing measurable next to
   a training trial (``benchmarks/studies_storage.py`` measures it).

Server databases (PostgreSQL, MySQL) differ from SQLite in three ways that matter here:

- Each process keeps one storage, and so one small connection pool, per URL
  (:func:`open_storage` caches it): the app refreshes its pages every few seconds, and a new engine
  per refresh would open a new connection each time, until the server refuses more. Connections
  are checked before use (``pool_pre_ping``) and renewed every half hour, so a worker survives a
  server restart or a firewall that drops idle connections.
- A connection attempt gives up after ``SERVER_CONNECT_TIMEOUT_S``, and a wrong password, a closed
  port or a silent host becomes one sentence (:class:`StorageError`).
- The URL carries a password. :func:`mask_url` is the only form shown anywhere (messages, logs,
  the UI); the real URL is used only to connect, and reaches worker processes through their
  environment (``EXPLORER_STORAGE``), not their command line, which every user of the machine
  can read with ``ps``.

Read-only (``EXPLORER_READ_ONLY=1``, or a SQLite URL with ``mode=ro``): the storage is opened so
that nothing can write, in two layers. The driver refuses: SQLite files are opened with SQLite's
``mode=ro`` URI flag, PostgreSQL sessions with ``default_transaction_read_only``. And Optuna
cannot ask: the storage comes wrapped in :class:`ReadOnlyStorage`, whose every write method
raises :class:`~core.errors.ReadOnlyError` before reaching the database. The app's viewing pages
open SQLite files this way in any mode (:func:`read_only_url`). The app lets a visitor choose only
study files inside the studies folder, by name (:func:`study_file_url`).

Heartbeats (RDB storages only): a worker records one every ``heartbeat_interval`` seconds; a
trial without one for ``grace_period`` seconds is marked FAIL by the next worker that asks for a
trial, and :class:`optuna.storages.RetryHeartbeatStaleTrialCallback` queues a copy to run again.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import warnings
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import BaseStorage, RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock, JournalStorage
from sqlalchemy import event
from sqlalchemy.engine import make_url

from core.settings import get_storage_url, is_read_only
from core.studies.storage._files import (
    StorageError,
    check_scheme,
    check_sqlite_file,
    is_read_only_url,
    mask_url,
    normalize_url,
    read_only_url,
    read_uri,
    scrub_url,
    sqlite_path,
)
from core.studies.storage._read_only import ReadOnlyStorage

SQLITE_BUSY_TIMEOUT_S = 60
# How SQLite transactions begin. A module setting only so that benchmarks/studies_storage.py
# can show what plain "BEGIN" does with 4 workers (most of the trials lost to "database is locked").
SQLITE_BEGIN = "BEGIN IMMEDIATE"
SERVER_CONNECT_TIMEOUT_S = 5
# A worker holds two connections (its trial loop and its heartbeat thread); the app a few more
# while pages refresh. Two kept open, and more only while needed, lets a default PostgreSQL
# (max_connections=100) serve dozens of workers.
SERVER_ENGINE_KWARGS: dict[str, Any] = {
    "pool_size": 2,
    "max_overflow": 8,
    "pool_pre_ping": True,
    "pool_recycle": 1800,
}
_PSYCOPG_CONNECT_ARGS = {
    "connect_timeout": SERVER_CONNECT_TIMEOUT_S,
    "application_name": "hyperparameter-explorer",
    # TCP keepalives: a connection to a server that vanished (a laptop closed, a network cut)
    # is noticed within a couple of minutes instead of hanging for hours.
    "keepalives": 1,
    "keepalives_idle": 60,
    "keepalives_interval": 10,
    "keepalives_count": 6,
}
# One storage (one connection pool) per process and URL; see open_storage. It holds connections,
# not anybody's data, so sharing it between the app's sessions is what we want.
_server_storages: dict[tuple[Any, ...], RDBStorage] = {}
_server_storages_lock = threading.Lock()


def _forget_storages_in_child() -> None:
    """A forked child must not use its parent's connections (SQLAlchemy's advice)."""
    global _server_storages_lock
    _server_storages_lock = threading.Lock()
    for storage in _server_storages.values():
        storage.engine.dispose(close=False)
    _server_storages.clear()


os.register_at_fork(after_in_child=_forget_storages_in_child)


def open_storage(
    url: str | BaseStorage | None = None,
    *,
    heartbeat_interval: int | None = None,
    grace_period: int | None = None,
    max_retry: int = 3,
) -> BaseStorage:
    """An Optuna storage for ``url`` (default: the ``EXPLORER_STORAGE`` setting).

    With ``heartbeat_interval`` (seconds), a worker that dies mid-trial leaves a trial that is
    failed after ``grace_period`` (default twice the interval) and retried up to ``max_retry``
    times. A storage object is returned as is. Storages on a database server are opened once per
    process and URL, and shared (they are thread-safe); :func:`close_storages` lets them go.
    """
    if isinstance(url, BaseStorage):
        if is_read_only() and not isinstance(url, ReadOnlyStorage):
            return ReadOnlyStorage(url)
        return url
    url = url or get_storage_url()
    if is_read_only() or is_read_only_url(url):
        return _open_read_only(url)
    if url in ("memory", ":memory:"):
        return optuna.storages.InMemoryStorage()
    if url.startswith("journal:"):
        return _open_journal(url)
    check_scheme(url)
    given, url = url, normalize_url(url)
    if url.startswith("sqlite:"):
        path = sqlite_path(url)
        if path is not None:
            check_sqlite_file(path, empty_ok=True)
        storage = _open_rdb(url, given, heartbeat_interval, grace_period, max_retry)
        _harden_sqlite(storage)
        return storage
    return _server_storage(url, given, heartbeat_interval, grace_period, max_retry)


def _server_storage(
    url: str,
    given: str,
    heartbeat_interval: int | None,
    grace_period: int | None,
    max_retry: int,
    read_only: bool = False,
) -> RDBStorage:
    key = (url, heartbeat_interval, grace_period, max_retry, read_only)
    with _server_storages_lock:
        if key not in _server_storages:
            _server_storages[key] = _open_rdb(
                url, given, heartbeat_interval, grace_period, max_retry, read_only=read_only
            )
        return _server_storages[key]


def _open_read_only(url: str) -> ReadOnlyStorage:
    """``url`` opened so that neither Optuna nor the driver can write (module docstring)."""
    if url in ("memory", ":memory:"):
        return ReadOnlyStorage(optuna.storages.InMemoryStorage())
    if url.startswith("journal:"):
        path = url.removeprefix("journal:").removeprefix("//")
        if not Path(path).is_file():
            raise StorageError(f"There is no journal file {path} to read.")
        return ReadOnlyStorage(_open_journal(url))
    given, url = url, normalize_url(url)
    if url.startswith("sqlite:"):
        url = read_only_url(url)
        path = sqlite_path(url)
        if path is not None and not path.exists():
            raise StorageError(f"There is no study file {path.name} to read.")
        if path is not None:
            check_sqlite_file(path)
        storage = _open_rdb(url, given, None, None, 0, read_only=True)
        _harden_sqlite(storage, read_only=True)
        return ReadOnlyStorage(storage)
    return ReadOnlyStorage(_server_storage(url, given, None, None, 0, read_only=True))


def snapshot_storage(url: str, dest: str | Path) -> str:
    """Copy the studies at ``url`` into a new SQLite file ``dest``; return the copy's URL.

    A SQLite file is copied with SQLite's backup API, read-only, so the copy is consistent even
    while workers write; any other storage study by study (``optuna.copy_study``).
    """
    dest = Path(dest)
    path = sqlite_path(normalize_url(url))
    if path is not None:
        check_sqlite_file(path)
        source = sqlite3.connect(read_uri(path), uri=True)
        target = sqlite3.connect(dest)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        src = _open_read_only(url)
        copy = f"sqlite:///{dest}"
        for study in src.get_all_studies():
            optuna.copy_study(
                from_study_name=study.study_name,
                from_storage=src,
                to_storage=copy,
                to_study_name=study.study_name,
            )
    return f"sqlite:///{dest}"


def close_storages(url: str | None = None) -> None:
    """Close the connections of the cached server storages (of ``url`` only, if given)."""
    url = url and normalize_url(url)
    with _server_storages_lock:
        for key in [k for k in _server_storages if url is None or k[0] == url]:
            _server_storages.pop(key).engine.dispose()


def _open_rdb(
    url: str,
    given: str,
    heartbeat_interval: int | None,
    grace_period: int | None,
    max_retry: int,
    *,
    read_only: bool = False,
) -> RDBStorage:
    """``RDBStorage(url)``; a failure names ``given``, the URL as the user wrote it, masked."""
    # Optuna's schema check reads its migration scripts at every open; _check_schema, once
    kwargs: dict[str, Any] = {"skip_compatibility_check": True}
    if read_only:
        kwargs["skip_table_creation"] = True
    if heartbeat_interval is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            retry = RetryHeartbeatStaleTrialCallback(max_retry=max_retry)
        kwargs |= {
            "heartbeat_interval": heartbeat_interval,
            "grace_period": grace_period or 2 * heartbeat_interval,
            "heartbeat_stale_trial_callback": retry,
        }
    if url.startswith("sqlite:"):
        if not read_only:
            _make_parent_dir(url)
        kwargs["engine_kwargs"] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
    else:
        engine_kwargs = dict(SERVER_ENGINE_KWARGS)
        if url.startswith(("postgresql+psycopg:", "postgresql+psycopg2:")):
            given_in_url = make_url(url).query  # e.g. ?connect_timeout=30 wins over ours
            engine_kwargs["connect_args"] = {
                k: v for k, v in _PSYCOPG_CONNECT_ARGS.items() if k not in given_in_url
            }
            if read_only:  # the server itself refuses writes in these sessions
                engine_kwargs["connect_args"]["options"] = "-c default_transaction_read_only=on"
        kwargs["engine_kwargs"] = engine_kwargs
    try:
        # heartbeats are "experimental" in optuna 5; we rely on them
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            storage = RDBStorage(url, **kwargs)
        _check_schema(storage)
        return storage
    except Exception as err:  # a broken file, a bad URL, a missing driver, a refused connection
        reason = scrub_url(scrub_url(_connect_problem(err), url), given)
        raise StorageError(f"Cannot open the study storage {mask_url(given)}: {reason}") from None


_head_schema: list[str] = []  # the newest table schema this Optuna writes, once read


def _check_schema(storage: RDBStorage) -> None:
    """Optuna's check that the tables are of the schema this Optuna writes, with the newest
    schema read from Optuna's migration scripts once per process, not at every open (where it
    takes most of the time of opening a SQLite file)."""
    if not _head_schema:
        _head_schema.append(storage.get_head_version())
    current = storage.get_current_version()
    if current != _head_schema[0]:
        action = (
            "upgrade it with `optuna storage upgrade --storage URL`"
            if current in storage.get_all_versions()
            else "it was written by a newer Optuna; update Optuna"
        )
        raise RuntimeError(
            f"its tables are of Optuna's schema {current}, not {_head_schema[0]} ({action})"
        )


def rdb_of(storage: BaseStorage) -> RDBStorage | None:
    """The RDB storage under ``storage`` (read-only ones included), for the fast SQL reads in
    ``core.studies.storage._queries``; None for other storages."""
    if isinstance(storage, ReadOnlyStorage):
        storage = storage._inner
    return storage if isinstance(storage, RDBStorage) else None


def _open_journal(url: str) -> BaseStorage:
    path = url.removeprefix("journal:").removeprefix("//")
    if not path:
        raise StorageError("A journal storage needs a file path, such as journal:studies/x.log.")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        # The open-lock works on every file system; the default symlink lock does not on all.
        return JournalStorage(JournalFileBackend(path, lock_obj=JournalFileOpenLock(path)))
    except Exception as err:
        raise StorageError(f"Cannot open the journal file {path}: {_first_line(err)}") from None


def _make_parent_dir(url: str) -> None:
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def _harden_sqlite(storage: RDBStorage, read_only: bool = False) -> None:
    """WAL journaling and ``BEGIN IMMEDIATE`` transactions (see the module docstring).

    Read-only: only the busy timeout, and plain ``BEGIN`` (a reader takes no write lock).
    """
    engine = storage.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
        if read_only:
            cursor.execute("PRAGMA query_only = ON")
        elif "memory" not in storage.url:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; fewer fsyncs
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN" if read_only else SQLITE_BEGIN)

    engine.dispose()  # connections opened during RDBStorage.__init__ lack the hooks


def _connect_problem(err: BaseException) -> str:
    """The reason a database refused us, in the words a user can act on."""
    cause = getattr(err, "orig", None) or err  # SQLAlchemy wraps the driver's error
    text = " ".join(str(cause).split()).lower()
    if "password authentication failed" in text or "no password supplied" in text:
        return "the server refused the user name or password."
    if "connection refused" in text:
        return "nothing answers at that host and port (is the server running and listening there?)."
    if "timeout expired" in text or "timed out" in text:
        return "the server did not answer in time (is the host reachable and the port open?)."
    if "could not translate host name" in text or "name or service not known" in text:
        return "the host name is unknown."
    missing = re.search(r'database "([^"]+)" does not exist', str(cause))
    if missing:
        return f"the server has no database {missing.group(1)} (create it with createdb)."
    return _first_line(cause).removeprefix("connection failed: ")


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return (text[0] if text else type(err).__name__).rstrip(".") + "."
