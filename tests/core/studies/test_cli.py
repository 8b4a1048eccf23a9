"""``python -m core study ...``: list, stop, estimate, and errors as one sentence."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest
from sqlalchemy import make_url

from core.cli import main
from core.settings import PROJECT_ROOT
from core.studies.run._creation import create_study
from core.studies.spec._parse import parse_spec
from core.studies.storage._backend import open_storage
from core.studies.storage._files import mask_url
from core.studies.storage._stop import stop_requested

from .conftest import tiny_spec_dict


def test_list_stop_and_estimate(
    tiny_data_dir: Path, shared_url: str, capsys: pytest.CaptureFixture
) -> None:
    url = shared_url
    if url.startswith("sqlite:///"):  # a file that is not there yet: list must not create it
        assert main(["study", "list", "--storage", url]) == 2
        assert "There is no study file at" in capsys.readouterr().err
        assert not Path(url.removeprefix("sqlite:///")).exists()
        open_storage(url)  # now an empty storage
    assert main(["study", "list", "--storage", url]) == 0
    assert "No studies yet." in capsys.readouterr().out

    create_study(parse_spec(tiny_spec_dict(tiny_data_dir)), url)
    assert main(["study", "list", "--storage", url]) == 0
    assert "tiny" in capsys.readouterr().out

    assert main(["study", "stop", "tiny", "--storage", url]) == 0
    assert stop_requested("tiny", url)

    spec = str(PROJECT_ROOT / "studies" / "cnn.toml")
    assert main(["study", "estimate", spec, "--storage", url]) == 0
    assert "60 trials x" in capsys.readouterr().out


def test_user_errors_are_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["study", "run", str(tmp_path / "nope.toml"), "--storage", "memory"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: Study file {tmp_path / 'nope.toml'} does not exist."
    # a mistyped study file: read-only commands say so, and create nothing
    typo = tmp_path / "explorr.db"
    for command in (["list"], ["stop", "x"], ["keep-best", "x"]):
        assert main(["study", *command, "--storage", f"sqlite:///{typo}"]) == 2
        assert capsys.readouterr().err.strip() == (
            f"error: There is no study file at {typo}; check the path (study run creates one)."
        )
    assert not typo.exists()
    open_storage(f"sqlite:///{tmp_path / 's.db'}")  # an empty storage, for the commands below
    assert main(["study", "stop", "ghost", "--storage", f"sqlite:///{tmp_path / 's.db'}"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: There is no study named 'ghost' in this storage."
    )
    # keep-best on a study that does not exist says so (not "no completed trial yet")
    assert main(["study", "keep-best", "ghost", "--storage", f"sqlite:///{tmp_path / 's.db'}"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: There is no study named 'ghost' in this storage."
    )


def test_create_then_join_as_a_worker(
    tiny_data_dir: Path, tmp_path: Path, shared_url: str, capsys: pytest.CaptureFixture
) -> None:
    """The many-machines flow: create once, then any number of ``study worker`` processes."""
    spec_file = tmp_path / "tiny.toml"
    spec_file.write_text(_toml(tiny_spec_dict(tiny_data_dir, n_trials=2)))
    assert main(["study", "create", str(spec_file), "--storage", shared_url]) == 0
    out = capsys.readouterr().out
    assert "python -m core study worker tiny --storage" in out
    assert mask_url(shared_url) in out
    password = make_url(shared_url).password
    assert not password or password not in out
    assert main(["study", "worker", "tiny", "--storage", shared_url, "--threads", "1"]) == 0
    assert "[w0] done: 2 complete" in capsys.readouterr().err


def _toml(raw: dict) -> str:
    """A study definition as TOML (scalars, then one table per dict; nested dicts inline)."""

    def value(v: object) -> str:
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        if isinstance(v, bool):
            return str(v).lower()
        return json.dumps(v)

    lines = [f"{k} = {value(v)}" for k, v in raw.items() if not isinstance(v, dict)]
    for table, items in ((k, v) for k, v in raw.items() if isinstance(v, dict)):
        lines += [f"[{table}]", *(f"{k} = {value(v)}" for k, v in items.items())]
    return "\n".join(lines) + "\n"


def test_keep_best_refuses_a_name_that_is_a_path(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    storage = tmp_path / "s.db"
    assert main(["study", "keep-best", "../../x", "--storage", f"sqlite:///{storage}"]) == 2
    assert capsys.readouterr().err.strip().startswith("error: The study name '../../x' is not")
    assert not storage.exists()  # refused before anything was opened or written


def test_run_with_missing_data_fails_once_before_any_worker(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(
        'name = "bad-data"\nmodel = "cnn"\nn_trials = 2\n'
        f'[data]\ndata = "{tmp_path / "missing"}"\n'
        "[fixed]\nmax_steps = 10\n[params]\ndropout = { low = 0.0, high = 0.5 }\n"
    )
    storage = tmp_path / "s.db"
    assert main(["study", "run", str(spec), "--storage", f"sqlite:///{storage}"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: Data path {tmp_path / 'missing'} does not exist;")
    assert "\n" not in err and "Traceback" not in err
    assert not storage.exists()  # no study, no trials: the check ran before anything started


def test_list_and_estimate_leave_a_study_file_byte_for_byte_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A copy of the committed examples.db (rollback-journal mode): a writable open would switch
    it to WAL (4 bytes of its header), and git would show the committed file modified."""
    import hashlib
    import shutil

    path = tmp_path / "examples.db"
    shutil.copy(PROJECT_ROOT / "studies" / "examples.db", path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    assert main(["study", "list", "--storage", f"sqlite:///{path}"]) == 0
    assert "cnn" in capsys.readouterr().out
    cnn = str(PROJECT_ROOT / "studies" / "cnn.toml")
    assert main(["study", "estimate", cnn, "--storage", f"sqlite:///{path}", "--budget", "1h"]) == 0
    assert "samples/s (measured over" in capsys.readouterr().out  # it did read the file
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["examples.db"]  # no -wal, no -shm


def test_run_writes_a_progress_line_per_change_into_a_log(
    tiny_data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Watching workers polls every 2 s; in a log file (no terminal) the bar is drawn when a count
    or the best changes, not at every poll (3,000 lines an hour in a nohup log before)."""
    import core.studies.cli as cli

    raw = tiny_spec_dict(tiny_data_dir)
    polls = [({"RUNNING": 1}, None)] * 50 + [({"COMPLETE": 1, "RUNNING": 1}, 0.6)] * 50
    polls += [({"COMPLETE": 2, "RUNNING": 1}, 0.7)] * 50 + [({"COMPLETE": 3}, 0.7)]

    def watch(name, handles, storage, on_progress):
        for counts, best in polls:
            on_progress(counts, best)
        return 0

    monkeypatch.setattr(cli, "load_spec", lambda _: parse_spec(raw))
    monkeypatch.setattr(cli, "launch_workers", lambda *a, **k: [])
    monkeypatch.setattr(cli, "watch_workers", watch)
    monkeypatch.setattr(cli, "_print_best", lambda *a: True)  # a best trial was printed
    assert main(["study", "run", "tiny.toml", "--storage", "memory"]) == 0
    err = capsys.readouterr().err  # captured: not a terminal
    draws = err.count("trial/s") + err.count("s/trial")
    assert 4 <= draws <= 8, err  # 4 states (plus tqdm's first and last draw), not 151 polls


def test_a_folder_as_study_file_and_another_programs_database_are_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """``study run studies/`` raised a traceback; ``study create`` added Optuna's tables to any
    SQLite file. Each is one sentence now, with nothing written."""
    import sqlite3

    folder = PROJECT_ROOT / "studies"
    for command in (["run", str(folder)], ["estimate", str(folder)], ["create", str(folder)]):
        assert main(["study", *command, "--storage", f"sqlite:///{tmp_path / 'x.db'}"]) == 2
        assert capsys.readouterr().err.strip() == (
            f"error: {folder} is a folder; name one study file in it, such as {folder}/cnn.toml."
        )
    assert not (tmp_path / "x.db").exists()
    other = tmp_path / "another_apps.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE users (id INTEGER)")
    con.commit()
    con.close()
    before = other.read_bytes()
    cnn = str(PROJECT_ROOT / "studies" / "cnn.toml")
    assert main(["study", "create", cnn, "--storage", f"sqlite:///{other}"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: `another_apps.db` is another program's SQLite database (tables users), not a "
        "study file; name a new file or a study file."
    )
    assert other.read_bytes() == before


def test_a_changed_definition_under_the_same_name_is_refused(
    tiny_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Old trials never sit under a spec they did not use: a study with trials keeps its search
    space, data and fixed knobs; its budget and sampler may change."""
    import optuna

    url = f"sqlite:///{tmp_path / 's.db'}"
    spec = tiny_spec_dict(tiny_data_dir)
    study = create_study(parse_spec(spec), url)
    study.add_trial(optuna.trial.create_trial(value=0.5, params={}, distributions={}))
    create_study(parse_spec(spec | {"n_trials": 9, "sampler": "tpe"}), url)  # allowed
    changed = spec | {
        "params": spec["params"] | {"dropout": {"low": 0.0, "high": 0.3, "step": 0.1}},
        "fixed": spec["fixed"] | {"max_steps": 40},
    }
    spec_file = tmp_path / "tiny.toml"
    spec_file.write_text(_toml(changed))
    before = optuna.load_study(study_name="tiny", storage=url).user_attrs["spec"]
    assert main(["study", "create", str(spec_file), "--storage", url]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: Study 'tiny' already holds trials of another definition (fixed.max_steps, "
        "params.dropout changed); give the changed study another name."
    )
    assert optuna.load_study(study_name="tiny", storage=url).user_attrs["spec"] == before


def test_an_unknown_scheme_and_a_missing_journal_are_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """``foo://bar`` got SQLAlchemy's "Can't load plugin"; ``study list`` on a journal path that
    does not exist created its folders and file."""
    for command in (["list"], ["create", str(PROJECT_ROOT / "studies" / "cnn.toml")]):
        assert main(["study", *command, "--storage", "foo://bar"]) == 2
        assert capsys.readouterr().err.strip() == (
            "error: foo://bar is not a study storage: give sqlite:///FILE, postgresql://..., "
            "journal:FILE or memory."
        )
    journal = tmp_path / "new" / "dir" / "x.log"
    assert main(["study", "list", "--storage", f"journal:{journal}"]) == 2
    assert "There is no journal file at" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_run_spends_a_budget_and_estimate_says_what_it_buys(
    tiny_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Tiny trials train 30 steps each: a budget of 60 steps runs two (the file asks for 3),
    and the study keeps the budget for the workers that join it."""
    spec = tmp_path / "tiny.toml"
    spec.write_text(_toml(tiny_spec_dict(tiny_data_dir, n_trials=3)))
    url = f"sqlite:///{tmp_path / 's.db'}"
    assert main(["study", "run", str(spec), "--storage", url, "--budget", "60 steps"]) == 0
    study = optuna.load_study(study_name="tiny", storage=url)
    assert [t.user_attrs["steps"] for t in study.trials] == [30, 30]
    assert study.user_attrs["spec"]["budget"] == "60 steps"
    assert study.user_attrs["spec"]["n_trials"] is None
    capsys.readouterr()

    cnn = str(PROJECT_ROOT / "studies" / "cnn.toml")
    assert main(["study", "estimate", cnn, "--storage", url, "--budget", "20000 steps"]) == 0
    out = capsys.readouterr().out
    assert "With 20,000 training steps: about 31 trials without pruning" in out
    assert "with successive halving" in out

    assert main(["study", "run", str(spec), "--storage", url, "--budget", "5 epochs"]) == 2
    assert "budget '5 epochs' is not a budget" in capsys.readouterr().err
