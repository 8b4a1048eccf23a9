"""Read-only mode: every write in core refuses with one sentence, SQLite and PostgreSQL are
opened so that the driver refuses too, only bare study-file names are accepted, and the
dashboard serves a copy. The study file's checksum is compared before and after each test."""

from __future__ import annotations

import hashlib
import inspect
from pathlib import Path

import optuna
import pytest
from optuna.storages import BaseStorage

from core.errors import ReadOnlyError
from core.studies.spec._parse import parse_spec
from core.studies.storage._backend import open_storage
from core.studies.storage._files import StorageError, read_only_url, study_file_url
from core.studies.storage._read_only import ReadOnlyStorage
from core.training._config import build_run_config
from tests.core.studies.conftest import needs_postgres, temporary_postgres_database

SPEC = {
    "name": "tiny",
    "model": "cnn",
    "n_trials": 2,
    "params": {"learning_rate": {"low": 1e-3, "high": 1e-2, "log": True}},
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def study_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """studies/examples.db with one finished study, written before read-only mode is on."""
    folder = tmp_path / "studies"
    folder.mkdir()
    path = folder / "examples.db"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name="done", storage=f"sqlite:///{path}", direction="maximize"
    )
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    monkeypatch.setenv("EXPLORER_STUDIES", str(folder))
    monkeypatch.delenv("EXPLORER_STORAGE")  # the read-only default: studies/examples.db
    return path


@pytest.fixture
def read_only(study_file: Path, monkeypatch: pytest.MonkeyPatch):
    before = sha256(study_file)
    monkeypatch.setenv("EXPLORER_READ_ONLY", "1")
    yield study_file
    assert sha256(study_file) == before, "the study file changed in read-only mode"


def _write_methods() -> list[str]:
    """Every write method Optuna's storage interface has (found by name, so a new one counts)."""
    return sorted(
        name
        for name, _ in inspect.getmembers(BaseStorage, inspect.isfunction)
        if name.startswith(("create_", "delete_", "set_"))
    )


def test_the_default_storage_is_the_examples_file_opened_read_only(read_only: Path) -> None:
    storage = open_storage()
    assert isinstance(storage, ReadOnlyStorage)
    assert "mode=ro" in storage.url
    study = optuna.load_study(study_name="done", storage=storage)
    assert len(study.trials) == 3 and study.best_value is not None


@pytest.mark.parametrize("method", _write_methods())
def test_every_storage_write_refuses(read_only: Path, method: str) -> None:
    storage = open_storage()
    n_args = len(inspect.signature(getattr(BaseStorage, method)).parameters) - 1
    with pytest.raises(ReadOnlyError, match="read-only"):
        getattr(storage, method)(*([1] * n_args))


def test_optuna_operations_refuse(read_only: Path) -> None:
    storage = open_storage()
    study = optuna.load_study(study_name="done", storage=storage)
    attempts = {
        "ask": study.ask,
        "enqueue": lambda: study.enqueue_trial({"x": 0.5}),
        "user attr": lambda: study.set_user_attr("k", 1),
        "optimize": lambda: study.optimize(lambda t: 0.0, n_trials=1),
        "create": lambda: optuna.create_study(study_name="new", storage=storage),
        "delete": lambda: optuna.delete_study(study_name="done", storage=storage),
        "copy into": lambda: optuna.copy_study(
            from_study_name="done",
            from_storage=storage,
            to_storage=storage,
            to_study_name="renamed",
        ),
    }
    for what, attempt in attempts.items():
        with pytest.raises(ReadOnlyError):
            attempt()
            pytest.fail(f"{what} did not refuse")


def test_the_sqlite_driver_refuses_writes_past_the_wrapper(read_only: Path) -> None:
    inner = open_storage()._inner  # the RDBStorage under the wrapper, opened with mode=ro
    with pytest.raises(optuna.exceptions.StorageInternalError) as err:
        inner.set_study_user_attr(1, "sneaky", 1)
    assert "readonly database" in str(err.value.__cause__)
    import sqlalchemy

    with pytest.raises(sqlalchemy.exc.OperationalError, match="readonly"):
        with inner.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM trials")


def test_every_core_write_function_refuses(read_only: Path, tiny_data) -> None:
    from core.jobs._manager import JobManager
    from core.results import RunResult
    from core.studies.run._creation import create_study
    from core.studies.run._launch import launch_workers
    from core.studies.run._playground import record_run
    from core.studies.run._worker import run_worker
    from core.studies.storage._stop import clear_stop, request_stop
    from core.training._trainer import train_run

    spec = parse_spec(SPEC)
    run = build_run_config("cnn", overrides={"max_steps": 10}, data=tiny_data)
    result = RunResult(
        status="completed",
        history=[],
        best_val_accuracy=0.5,
        best_step=10,
        test_accuracy=0.5,
        test_size=10,
        params=1,
        wall_s=1.0,
        train_samples_per_s=1.0,
        steps=10,
        config=run.to_dict(),
    )
    url = f"sqlite:///{read_only}"
    writes = {
        "create a study": lambda: create_study(spec, url),
        "run a study": lambda: run_worker("done", url),
        "launch workers": lambda: launch_workers(spec, 1, 1, url),
        "stop a study": lambda: request_stop("done", url),
        "clear a stop": lambda: clear_stop("done", url),
        "record a run": lambda: record_run(result, url),
        "train": lambda: train_run(run, save=False),
        "submit a job": lambda: JobManager(url).submit("owner", run),
        "start job workers": lambda: JobManager(url).start(),
    }
    for what, write in writes.items():
        with pytest.raises(ReadOnlyError, match="read-only") as err:
            write()
            pytest.fail(f"{what} did not refuse")
        assert str(err.value).count(".") == 1, str(err.value)  # one sentence


def test_the_cli_refuses_in_one_sentence(read_only: Path, capsys) -> None:
    from core.cli import main
    from core.settings import PROJECT_ROOT

    assert main(["study", "create", str(PROJECT_ROOT / "studies" / "cnn.toml")]) == 2
    assert "read-only viewer, so it cannot create a study." in capsys.readouterr().err


@pytest.mark.parametrize(
    "name",
    [
        "../examples",
        "..",
        "studies/examples",
        "a\\b",
        "/etc/passwd",
        "examples.db/..",
        "sqlite:///examples.db",
        "postgresql://user:secret@host/db",
        "journal:x.log",
        "file:examples.db?mode=rw",
        "%2e%2e",
        "",
        "exa mples",
        "nope",
    ],
)
def test_only_bare_study_file_names_are_accepted(study_file: Path, name: str) -> None:
    with pytest.raises(StorageError) as err:
        study_file_url(name)
    assert "secret" not in str(err.value)


def test_a_bare_name_opens_read_only(study_file: Path) -> None:
    url = study_file_url("examples")
    assert url == read_only_url(f"sqlite:///{study_file}") and "mode=ro" in url
    assert study_file_url("examples.db") == url
    before = sha256(study_file)
    with pytest.raises(ReadOnlyError):
        optuna.load_study(study_name="done", storage=open_storage(url)).ask()
    assert sha256(study_file) == before


def test_a_symlink_out_of_the_folder_is_refused(study_file: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.db"
    outside.write_bytes(study_file.read_bytes())
    (study_file.parent / "sneaky.db").symlink_to(outside)
    with pytest.raises(StorageError, match="no study file"):
        study_file_url("sneaky")


def _call(app, method: str, path: str) -> tuple[int, bytes]:
    """One request to the dashboard's WSGI side, as mounted at /optuna."""
    from wsgiref.util import setup_testing_defaults

    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update(REQUEST_METHOD=method, SCRIPT_NAME="/optuna", PATH_INFO=path)
    got: dict = {}
    body = b"".join(app.wsgi(environ, lambda status, headers, exc=None: got.update(s=status)))
    return int(got["s"][:3]), body


def test_the_dashboard_serves_a_copy(read_only: Path) -> None:
    from core.dashboard import DashboardApp, serves_copy

    app = DashboardApp()
    assert serves_copy(f"sqlite:///{read_only}")
    try:
        status, body = _call(app, "GET", "/examples/api/studies")
        assert status == 200 and b'"done"' in body
        (copy_dir,) = app.copy_dirs()  # what it serves: a copy, elsewhere
        assert (copy_dir / "snapshot.db").is_file() and read_only.parent not in copy_dir.parents
        status, _ = _call(app, "DELETE", "/examples/api/studies/1")
        assert status >= 400
        assert b'"done"' in _call(app, "GET", "/examples/api/studies")[1]
    finally:
        app.close()
    assert not copy_dir.exists()


@needs_postgres
def test_postgres_is_opened_read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    with temporary_postgres_database() as url:
        optuna.create_study(study_name="pg", storage=url).optimize(lambda t: 1.0, n_trials=1)
        monkeypatch.setenv("EXPLORER_READ_ONLY", "1")
        storage = open_storage(url)
        assert len(optuna.load_study(study_name="pg", storage=storage).trials) == 1
        with pytest.raises(ReadOnlyError):
            optuna.delete_study(study_name="pg", storage=storage)
        import sqlalchemy

        with pytest.raises(sqlalchemy.exc.InternalError, match="read-only transaction"):
            with storage._inner.engine.begin() as conn:
                conn.exec_driver_sql("DELETE FROM trials")
