"""Real worker processes: graceful stop, Ctrl-C, and a SIGKILLed worker's trial being retried
(on SQLite and on PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import FrozenTrial, TrialState

from core.studies.run._launch import launch_workers
from core.studies.run._worker import run_worker
from core.studies.spec._parse import parse_spec
from core.studies.spec._study_spec import StudySpec, suggest_overrides
from core.studies.storage._backend import open_storage
from core.studies.storage._stop import request_stop
from tests.core.studies.conftest import tiny_spec_dict


def _slow_spec(data_dir: Path, n_trials: int) -> StudySpec:
    """Trials of 400 steps (a few seconds each), validated every 10 steps."""
    raw = tiny_spec_dict(data_dir, n_trials=n_trials, score_test=False)
    raw["fixed"]["max_steps"] = 400
    return parse_spec(raw)


def _wait_for_running_trial(url: str, proc: subprocess.Popen, timeout: float = 90) -> FrozenTrial:
    """The first trial that is RUNNING and has reported at least one validation."""
    storage = open_storage(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, _log_of(proc)
        study = optuna.load_study(study_name="tiny", storage=storage)
        for t in study.get_trials(states=(TrialState.RUNNING,)):
            if t.intermediate_values:
                return t
        time.sleep(0.3)
    raise AssertionError("no trial started in time")


def _log_of(proc: subprocess.Popen) -> str:
    return getattr(proc, "log_text", "")


def _launch(spec: StudySpec, url: str, tmp_path: Path, **kwargs) -> subprocess.Popen:
    (proc,) = launch_workers(spec, workers=1, storage=url, log_dir=tmp_path, threads=1, **kwargs)
    return proc


@pytest.fixture
def reap():
    """Kill any worker a failing test leaves behind."""
    procs: list[subprocess.Popen] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_graceful_stop(tiny_data_dir: Path, tmp_path: Path, reap: list) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    proc = _launch(_slow_spec(tiny_data_dir, n_trials=50), url, tmp_path)
    reap.append(proc)
    running = _wait_for_running_trial(url, proc)
    request_stop("tiny", url)
    assert proc.wait(timeout=60) == 0, (tmp_path / "tiny-w0.log").read_text()

    trials = optuna.load_study(study_name="tiny", storage=open_storage(url)).trials
    last = trials[-1]
    assert last.number == running.number and len(trials) < 50
    assert last.state == TrialState.PRUNED and last.user_attrs["status"] == "stopped"
    assert last.user_attrs["steps"] < 400  # it stopped at the next evaluation, not the end
    assert "(stop request)" in (tmp_path / "tiny-w0.log").read_text()


def test_ctrl_c_fails_the_current_trial_with_its_reason_and_exits(
    tiny_data_dir: Path, tmp_path: Path, reap: list
) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    proc = _launch(_slow_spec(tiny_data_dir, n_trials=50), url, tmp_path)
    reap.append(proc)
    _wait_for_running_trial(url, proc)
    os.kill(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    trials = optuna.load_study(study_name="tiny", storage=open_storage(url)).trials
    assert trials[-1].state == TrialState.FAIL  # not pruned: the pruner did not decide it
    assert trials[-1].user_attrs["status"] == "interrupted"
    assert trials[-1].user_attrs["message"].startswith("Interrupted (Ctrl-C) at step ")
    assert not [t for t in trials if t.state == TrialState.RUNNING]


def test_killed_worker_trial_fails_and_is_retried(
    tiny_data_dir: Path, tmp_path: Path, reap: list, shared_url: str
) -> None:
    url = shared_url
    proc = _launch(
        _slow_spec(tiny_data_dir, n_trials=3), url, tmp_path, heartbeat_interval=1, grace_period=2
    )
    reap.append(proc)
    assert url not in " ".join(proc.args)  # it travels in the environment, not the command line
    killed = _wait_for_running_trial(url, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(3)  # past the grace period: the next worker to ask sees a stale heartbeat

    run_worker("tiny", url, n_trials=1, heartbeat_interval=1, grace_period=2, log=lambda _: None)

    trials = optuna.load_study(study_name="tiny", storage=open_storage(url)).trials
    before = trials[killed.number]
    assert before.state == TrialState.FAIL
    (retry,) = [t for t in trials if t.system_attrs.get("failed_trial") == killed.number]
    assert retry.state == TrialState.COMPLETE
    assert retry.params == killed.params
    assert not [t for t in trials if t.state == TrialState.RUNNING]


def test_two_study_runs_share_the_study_budget(tiny_data_dir: Path, tmp_path: Path, reap) -> None:
    """`study run` twice at once (two terminals, or the app and the CLI) spends the file's
    n_trials once between them, not once each; a third run after them adds nothing."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    spec = parse_spec(tiny_spec_dict(tiny_data_dir, n_trials=4, score_test=False))
    first = launch_workers(spec, workers=2, storage=url, log_dir=tmp_path / "a", threads=1)
    second = launch_workers(spec, workers=1, storage=url, log_dir=tmp_path / "b", threads=1)
    reap.extend(first + second)
    for proc in first + second:
        assert proc.wait(timeout=300) == 0
    trials = optuna.load_study(study_name="tiny", storage=url).trials
    # each worker checks the study's count after every trial: at most one trial per extra worker
    # can slip past the budget when several finish at the same instant
    assert 4 <= len(trials) <= 4 + 2, len(trials)
    (third,) = launch_workers(spec, workers=1, storage=url, log_dir=tmp_path / "c", threads=1)
    reap.append(third)
    assert third.wait(timeout=300) == 0
    assert len(optuna.load_study(study_name="tiny", storage=url).trials) == len(trials)


def test_enqueued_points_run_first_and_once(tiny_data_dir: Path, tmp_path: Path) -> None:
    """A file's [[enqueue]] points are the study's first trials (unnamed parameters sampled);
    running the file again does not queue them again."""
    from core.studies.run._creation import create_study

    url = f"sqlite:///{tmp_path / 's.db'}"
    points = [{"learning_rate": 0.004, "dropout": 0.3}, {"dropout": 0.1}]
    spec = parse_spec(tiny_spec_dict(tiny_data_dir, n_trials=3, enqueue=points))
    assert spec.enqueue == points and parse_spec(spec.to_dict()).enqueue == points
    create_study(spec, url)
    run_worker(
        "tiny",
        url,
        heartbeat_interval=None,
        objective=lambda t: suggest_overrides(t, spec)["dropout"],
    )
    trials = optuna.load_study(study_name="tiny", storage=url).trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3
    assert trials[0].params == points[0]
    assert trials[1].params["dropout"] == 0.1
    assert 1e-3 <= trials[1].params["learning_rate"] <= 3e-2  # sampled
    create_study(spec, url)  # the same file run again: nothing queued twice
    assert len(optuna.load_study(study_name="tiny", storage=url).trials) == 3


def test_workers_started_at_once_draw_different_trials(tiny_data_dir: Path, tmp_path: Path) -> None:
    """Two workers of one study that start together (two `study run` launches of one file, each
    with its worker 0) must not propose the same trials pairwise: each is seeded by its first
    trial's number, which the storage hands out once."""
    import threading

    url = f"sqlite:///{tmp_path / 's.db'}"
    spec = parse_spec(tiny_spec_dict(tiny_data_dir, n_trials=None, timeout_s=600))
    from core.studies.run._creation import create_study

    create_study(spec, url)
    both_started = threading.Barrier(2, timeout=30)

    def objective(trial: optuna.Trial) -> float:
        values = suggest_overrides(trial, spec)
        if trial.number < 2:
            both_started.wait()  # each worker's first trial exists before either samples more
        return values["dropout"]

    def worker() -> None:
        run_worker("tiny", url, n_trials=3, heartbeat_interval=None, objective=objective)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    trials = optuna.load_study(study_name="tiny", storage=url).trials
    assert len(trials) == 6
    drawn = [tuple(sorted(t.params.items())) for t in trials]
    assert len(set(drawn)) == 6, drawn
