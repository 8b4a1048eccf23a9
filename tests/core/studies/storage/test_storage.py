"""Storage: several processes on one study (SQLite file, PostgreSQL), journal files, broken
files and unreachable servers as one sentence, masked passwords, stop requests."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from core.cli import main
from core.settings import PROJECT_ROOT
from core.studies._optuna_compat import storage_url_of
from core.studies.run._creation import create_study
from core.studies.run._launch import split_trials, threads_per_worker
from core.studies.run._worker import run_worker
from core.studies.spec._parse import parse_spec
from core.studies.storage._backend import SERVER_CONNECT_TIMEOUT_S, open_storage
from core.studies.storage._files import StorageError, mask_url, read_only_url
from core.studies.storage._queries import list_studies
from core.studies.storage._stop import clear_stop, request_stop, stop_requested
from tests.core.studies.conftest import POSTGRES_URL_VAR, needs_postgres, tiny_spec_dict

TRIVIAL_WORKER = textwrap.dedent(
    """
    import os, sys
    from core.studies.run._worker import run_worker

    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.report(x, 1)
        trial.set_user_attr("pid", os.getpid())
        return x

    name, url, n, index = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    report = run_worker(name, url, n_trials=n, worker_index=index, heartbeat_interval=1,
                        objective=objective, log=lambda line: None)
    print(report.n)
    """
)


def test_three_processes_share_one_study(
    tiny_data_dir: Path, tmp_path: Path, shared_url: str
) -> None:
    url = shared_url
    create_study(parse_spec(tiny_spec_dict(tiny_data_dir)), url)
    script = tmp_path / "trivial_worker.py"
    script.write_text(TRIVIAL_WORKER)
    per_worker = 25
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), "tiny", url, str(per_worker), str(i)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ | {"PYTHONPATH": str(PROJECT_ROOT)},
        )
        for i in range(3)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
        assert out.strip() == str(per_worker)
        assert "locked" not in err and "Traceback" not in err and "Error" not in err, err

    trials = optuna.load_study(study_name="tiny", storage=open_storage(url)).trials
    assert len(trials) == 3 * per_worker
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert sorted(t.number for t in trials) == list(range(3 * per_worker))
    assert len({t.user_attrs["pid"] for t in trials}) == 3  # every process added trials


def test_journal_storage(tiny_data_dir: Path, tmp_path: Path) -> None:
    url = f"journal:{tmp_path / 'studies.log'}"
    storage = open_storage(url)
    assert storage_url_of(storage) == url
    create_study(parse_spec(tiny_spec_dict(tiny_data_dir)), storage)
    run_worker(
        "tiny", url, n_trials=4, objective=lambda t: t.suggest_float("x", 0, 1), log=lambda _: None
    )
    assert len(optuna.load_study(study_name="tiny", storage=open_storage(url)).trials) == 4


def test_a_broken_file_is_one_sentence(tmp_path: Path) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError) as err:
        open_storage(f"sqlite:///{broken}")
    assert str(err.value) == "`broken.db` is not a study file (not a SQLite database)."
    assert broken.read_bytes() == b"this is not a database" * 100  # untouched
    with pytest.raises(StorageError, match=r"^There is no study named 'nope' in this storage\.$"):
        request_stop("nope", open_storage("memory"))


def test_a_file_of_an_older_optuna_schema_is_one_sentence_that_says_how_to_upgrade(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    head = open_storage(url).get_current_version()  # type: ignore[attr-defined]
    older = open_storage(url).get_all_versions()[1]  # type: ignore[attr-defined]
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (older,))
    for _ in range(2):  # the newest schema is read once per process, and still checked after
        with pytest.raises(StorageError) as err:
            open_storage(url)
        assert str(err.value) == (
            f"Cannot open the study storage {url}: its tables are of Optuna's schema {older}, "
            f"not {head} (upgrade it with `optuna storage upgrade --storage URL`)."
        )
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (head,))
    assert list_studies(url).empty


def test_stop_request_round_trip(tiny_data_dir: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    create_study(parse_spec(tiny_spec_dict(tiny_data_dir)), url)
    assert not stop_requested("tiny", url)
    request_stop("tiny", url)
    assert stop_requested("tiny", url)
    report = run_worker("tiny", url, objective=lambda t: 1.0, log=lambda _: None)
    assert report.n == 0 and report.stopped == "stop request"  # a stopped study starts nothing
    clear_stop("tiny", url)
    assert not stop_requested("tiny", url)


def test_workers_share_cores_and_trials() -> None:
    assert threads_per_worker(4, cores=2) == 1
    assert threads_per_worker(1, cores=2) == 2
    assert threads_per_worker(3, cores=16) == 5
    assert split_trials(10, 3) == [4, 3, 3]
    assert split_trials(2, 4) == [1, 1]


def test_mask_url_hides_every_password() -> None:
    assert mask_url("postgresql://ann:s3cret@db.lab:5432/studies") == (
        "postgresql://ann:***@db.lab:5432/studies"
    )
    assert mask_url("postgresql+psycopg://ann@db/s?password=s3cret&sslmode=require") == (
        "postgresql+psycopg://ann@db/s?password=***&sslmode=require"
    )
    for plain in ("sqlite:////tmp/x.db", "journal:studies/x.log", "memory", "postgresql://db/s"):
        assert mask_url(plain) == plain


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts TCP connections and never answers: a hung server."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def _assert_one_masked_sentence(
    url: str, reason: str, capsys: pytest.CaptureFixture, cli: bool = True
) -> None:
    """``open_storage`` (and ``study list``) fail within seconds with one masked sentence."""
    password = "not-the-Password-42"
    start = time.monotonic()
    with pytest.raises(StorageError) as err:
        open_storage(url)
    assert time.monotonic() - start < SERVER_CONNECT_TIMEOUT_S + 3
    message = str(err.value)
    assert message.startswith(f"Cannot open the study storage {mask_url(url)}: ")
    assert message.endswith(reason) and "\n" not in message
    assert ":***@" in message and password not in message
    if not cli:
        return
    assert main(["study", "list", "--storage", url]) == 2
    out = capsys.readouterr()
    assert out.err.strip() == f"error: {message}" and password not in out.out + out.err


@needs_postgres
def test_wrong_password_is_one_masked_sentence(capsys: pytest.CaptureFixture) -> None:
    from sqlalchemy import make_url

    real = make_url(os.environ[POSTGRES_URL_VAR])
    url = real.set(password="not-the-Password-42").render_as_string(hide_password=False)
    _assert_one_masked_sentence(url, "the server refused the user name or password.", capsys)
    assert real.password not in capsys.readouterr().err


def test_unreachable_server_is_one_masked_sentence(
    silent_port: int, capsys: pytest.CaptureFixture
) -> None:
    closed = f"postgresql://ann:not-the-Password-42@127.0.0.1:{_closed_port()}/studies"
    _assert_one_masked_sentence(
        closed,
        "nothing answers at that host and port (is the server running and listening there?).",
        capsys,
    )
    silent = f"postgresql://ann:not-the-Password-42@127.0.0.1:{silent_port}/studies"
    _assert_one_masked_sentence(
        silent,
        "did not answer in time (is the host reachable and the port open?).",
        capsys,
        cli=False,
    )


@needs_postgres
def test_plain_postgresql_url_uses_psycopg3_and_one_pool(postgres_url: str) -> None:
    plain = "postgresql://" + postgres_url.split("://", 1)[1]
    storage = open_storage(plain)
    assert storage.engine.dialect.driver == "psycopg"
    assert storage.engine.pool._pre_ping
    assert open_storage(postgres_url) is storage  # one pool per process and URL
    assert storage_url_of(storage) == postgres_url


def test_a_new_wal_database_is_a_study_file_before_its_first_checkpoint(tmp_path: Path) -> None:
    """Optuna creates the file, WAL mode puts the first pages in ``-wal``: the main file may
    still be empty while the workers write. Reading it read-only must not call it garbage."""
    import sqlite3

    from core.studies.storage._files import check_sqlite_file

    db = tmp_path / "new.db"
    db.write_bytes(b"")
    (tmp_path / "new.db-wal").write_bytes(b"\x37\x7f\x06\x82" + b"\x00" * 28)
    check_sqlite_file(db)  # no error
    (tmp_path / "new.db-wal").unlink()
    with pytest.raises(StorageError, match="is not a study file"):
        check_sqlite_file(db)
    url = f"sqlite:///{tmp_path / 'live.db'}"
    writer = sqlite3.connect(tmp_path / "live.db")
    writer.execute("PRAGMA journal_mode=WAL")
    writer.commit()
    open_storage(url)  # creates Optuna's tables in the WAL database the writer holds open
    assert open_storage(read_only_url(url)).get_all_studies() == []
    writer.close()


def test_the_viewing_pages_may_read_the_configured_storage_and_study_files_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.studies.storage._files import (
        storage_choices,
        study_file_url,
        viewed_storage_url,
        why_not_offered,
    )

    monkeypatch.setenv("EXPLORER_STUDIES", str(tmp_path))
    for name in ("examples", "other"):
        optuna.create_study(study_name="s", storage=f"sqlite:///{tmp_path / name}.db")
    configured = f"sqlite:///{tmp_path / 'other.db'}"
    assert storage_choices(configured) == ["other", "examples"]  # the configured file first
    assert viewed_storage_url("other", configured) == configured  # as configured
    assert viewed_storage_url("examples", configured) == study_file_url("examples")  # read-only
    assert "mode=ro" in study_file_url("examples")
    for refused in ("../x", "/etc/passwd", "sqlite:///x.db", "missing"):
        assert viewed_storage_url(refused, configured) == configured
        assert why_not_offered(refused)
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere' / 'mine.db'}"
    assert storage_choices(elsewhere) == ["", "examples", "other"]  # not a study file: unnamed


@pytest.fixture
def read_only_mount(tmp_path: Path):
    """A folder that can be remounted read-only (a tmpfs): a real read-only filesystem, which
    file permissions cannot stand in for when the tests run as root."""
    folder = tmp_path / "media"
    folder.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "tmpfs", str(folder)], capture_output=True
    ).returncode:
        pytest.skip("mounting a tmpfs needs root (CAP_SYS_ADMIN)")

    def remount_read_only() -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)

    try:
        yield folder, remount_read_only
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=False)  # SQLite may hold it


def test_a_wal_study_file_on_a_read_only_filesystem_is_read(read_only_mount) -> None:
    """The viewer's case: a study file in WAL mode, served from read-only media. SQLite cannot
    create the -shm file such a file needs, so it was called "not a SQLite database"; it is
    opened immutable there, and its studies are listed."""
    folder, remount_read_only = read_only_mount
    path = folder / "s.db"
    storage = open_storage(f"sqlite:///{path}")
    study = optuna.create_study(study_name="on-media", storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    storage.engine.dispose()  # no file open for writing, or the remount is refused
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    con.close()
    remount_read_only()
    frame = list_studies(read_only_url(f"sqlite:///{path}"))
    assert frame["study"].tolist() == ["on-media"] and frame["complete"].tolist() == [2]
