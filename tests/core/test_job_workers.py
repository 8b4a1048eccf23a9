"""Playground jobs trained by workers anywhere: ``python -m core worker`` processes that share the
app's storage (SQLite here, PostgreSQL too when the tests have a server), a server without slots
of its own, one claim per job, progress and cancel through the storage, a killed worker's job
failed with the reason, and a replay across two servers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from core.errors import ConfigError
from core.jobs._manager import JobManager
from core.knobs._fields import DataConfig
from core.settings import PROJECT_ROOT, get_job_slots
from core.studies.run import claim_job, create_job_trial, fail_stale_jobs, waiting_jobs
from core.studies.storage import open_storage
from core.training._config import build_run_config
from tests.conftest import make_reviews
from tests.core.studies.conftest import shared_url  # noqa: F401 - a fixture

TINY = {"max_steps": 20, "eval_steps": 10, "embedding_dim": 16, "max_length": 64, "batch_size": 16}
LONG = {"max_steps": 20000, "eval_steps": 5000}  # runs until stopped


def _run(data: DataConfig, **extra):
    return build_run_config("cnn", "default", TINY | extra, data=data)


class Worker:
    """A ``python -m core worker`` process, its output collected line by line."""

    def __init__(self, url: str, data: Path, *extra: str) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "core", "worker", "--storage", url, "--data", str(data)]
            + ["--threads", "1", *extra],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    def wait_for(self, text: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in self.lines if text in line]
            if found:
                return found[0]
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no line with {text!r}: {self.lines}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def workers(tiny_data_dir: Path) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for w in started:
        w.stop()


@pytest.fixture
def server(shared_url: str) -> Iterator[JobManager]:  # noqa: F811
    """An app server's job manager with no training slots of its own."""
    m = JobManager(shared_url, slots=0, threads=1)
    yield m
    m.shutdown()


def _wait(m: JobManager, owner: str, job: str, states: set[str], timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snap = m.get(owner, job)
        if snap is not None and snap.state in states:
            return snap
        time.sleep(0.02)
    raise AssertionError(f"job {job} never reached {states}: {m.get(owner, job)}")


def test_zero_slots_is_a_setting_and_a_negative_count_is_one_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EXPLORER_JOB_SLOTS", "0")
    assert get_job_slots() == 0
    monkeypatch.setenv("EXPLORER_JOB_SLOTS", "-1")
    with pytest.raises(
        ConfigError, match="EXPLORER_JOB_SLOTS must be a whole number of at least 0"
    ):
        get_job_slots()


def test_workers_that_race_for_jobs_take_each_exactly_once(
    shared_url: str,  # noqa: F811
    tiny_data: DataConfig,
) -> None:
    trial_ids = [create_job_trial(shared_url, _run(tiny_data, seed=i), {})[0] for i in range(8)]
    taken: dict[int, list[str]] = {t: [] for t in trial_ids}
    start = threading.Barrier(4)

    def claim_all(name: str) -> None:
        storage = open_storage(shared_url)
        start.wait()
        for trial_id in trial_ids:
            if claim_job(storage, trial_id, name):
                taken[trial_id].append(name)

    threads = [threading.Thread(target=claim_all, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(len(names) == 1 for names in taken.values()), taken
    storage = open_storage(shared_url)
    assert waiting_jobs(storage) == []
    for trial_id, names in taken.items():
        trial = storage.get_trial(trial_id)
        assert trial.state == TrialState.RUNNING and trial.user_attrs["job_worker"] == names[0]


def test_a_server_without_slots_has_its_jobs_trained_by_two_worker_processes(
    server: JobManager,
    shared_url: str,  # noqa: F811
    tiny_data_dir: Path,
    tiny_data: DataConfig,
    workers: list[Worker],
) -> None:
    workers += [Worker(shared_url, tiny_data_dir), Worker(shared_url, tiny_data_dir)]
    for w in workers:
        w.wait_for("serving Playground jobs")
    jobs = [
        (owner, server.submit(owner, _run(tiny_data, seed=10 * i + k), replay=False))
        for i, owner in enumerate(("ann", "bob", "cy"))
        for k in range(2)
    ]
    seen_training = None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not all(server.get(o, j).done for o, j in jobs):
        for owner, job in jobs:
            snap = server.get(owner, job)
            if snap.state == "training" and snap.worker and seen_training is None:
                seen_training = snap
        time.sleep(0.05)
    snaps = [server.get(owner, job) for owner, job in jobs]
    assert [s.state for s in snaps] == ["completed"] * 6, [s.message for s in snaps]
    assert all(s.result.test_size == 200 and s.history for s in snaps)
    assert seen_training is not None and seen_training.worker == socket.gethostname()
    assert [j.id for j in server.list_jobs("ann")] == [jobs[0][1], jobs[1][1]]  # each its own
    trials = optuna.load_study(study_name="playground-cnn", storage=shared_url).trials
    assert len(trials) == 6 and {t.state for t in trials} == {TrialState.COMPLETE}
    assert len({t.user_attrs["job_worker"] for t in trials}) == 2  # both workers took jobs


def test_cancel_crosses_processes_and_a_killed_workers_job_fails_with_the_reason(
    server: JobManager,
    shared_url: str,  # noqa: F811
    tiny_data_dir: Path,
    tiny_data: DataConfig,
    workers: list[Worker],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EXPLORER_JOB_STALE_S", "3")
    workers.append(Worker(shared_url, tiny_data_dir))
    workers[0].wait_for("serving Playground jobs")
    job = server.submit("ann", _run(tiny_data, **LONG), replay=False)
    running = _wait(server, "ann", job, {"training"})
    while server.get("ann", job).step == 0:  # the step the worker records reaches the page
        time.sleep(0.05)
    assert running.worker == socket.gethostname()
    t0 = time.monotonic()
    assert server.cancel("ann", job)
    snap = _wait(server, "ann", job, {"cancelled"}, timeout=10)
    assert time.monotonic() - t0 < 2.0
    assert snap.state == "cancelled"

    job = server.submit("ann", _run(tiny_data, seed=7, **LONG), replay=False)
    _wait(server, "ann", job, {"training"})
    pid = workers[0].proc.pid
    os.kill(pid, signal.SIGKILL)
    snap = _wait(server, "ann", job, {"failed"}, timeout=30)
    assert f"The worker on {socket.gethostname()} (process {pid}) stopped" in snap.message
    trial = optuna.load_study(study_name="playground-cnn", storage=shared_url).trials[-1]
    assert trial.state == TrialState.FAIL and "no heartbeat" in trial.user_attrs["message"]


def test_a_worker_stopped_with_sigterm_fails_its_job_and_exits(
    server: JobManager,
    shared_url: str,  # noqa: F811
    tiny_data_dir: Path,
    tiny_data: DataConfig,
    workers: list[Worker],
) -> None:
    workers.append(Worker(shared_url, tiny_data_dir))
    workers[0].wait_for("serving Playground jobs")
    job = server.submit("ann", _run(tiny_data, **LONG), replay=False)
    _wait(server, "ann", job, {"training"})
    workers[0].proc.send_signal(signal.SIGTERM)
    assert workers[0].proc.wait(30) == 0
    snap = _wait(server, "ann", job, {"failed"}, timeout=10)
    assert snap.message == "Its worker was stopped while this run was training; train it again."


def test_a_worker_without_the_jobs_data_leaves_it_and_says_why(
    server: JobManager,
    shared_url: str,  # noqa: F811
    tiny_data: DataConfig,
    tmp_path: Path,
    workers: list[Worker],
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    make_reviews(300, 9).to_parquet(other / "train.parquet")  # another dataset
    workers.append(Worker(shared_url, other, "--max-jobs", "1"))
    workers[0].wait_for("serving Playground jobs")
    job = server.submit("ann", _run(tiny_data), replay=False)
    line = workers[0].wait_for("is left for another worker")
    assert f"{job} (trial #0) is left for another worker: its data ({tiny_data.data}" in line
    assert f"is not among this worker's ({other})." in line
    time.sleep(1.0)
    assert server.get("ann", job).state == "queued"
    assert server.get("ann", job).queue_position == 1  # its place in the shared queue


def test_a_run_one_server_stored_is_replayed_by_another(
    shared_url: str,  # noqa: F811
    tiny_data: DataConfig,
) -> None:
    first = JobManager(shared_url, slots=1, threads=1)
    second = JobManager(shared_url, slots=0, threads=1)
    try:
        job = first.submit("ann", _run(tiny_data))
        assert first.wait("ann", job, 120).state == "completed"
        again = second.submit("bob", _run(tiny_data))
        snap = second.get("bob", again)
        assert snap.state == "replayed" and snap.trial_number == 0
        assert second.list_jobs("ann") == []  # each server, each session: only its own jobs
    finally:
        first.shutdown()
        second.shutdown()


def test_a_stale_heartbeat_fails_only_running_jobs_that_beat(
    shared_url: str,  # noqa: F811
    tiny_data: DataConfig,
) -> None:
    storage = open_storage(shared_url)
    beaten = create_job_trial(storage, _run(tiny_data, seed=1), {})[0]
    silent = create_job_trial(storage, _run(tiny_data, seed=2), {})[0]
    assert claim_job(storage, beaten, "w1")
    storage.set_trial_state_values(silent, TrialState.RUNNING)  # a slot of an older version
    assert fail_stale_jobs(storage, 60) == 0
    assert fail_stale_jobs(storage, 60, now=time.time() + 61) == 1
    assert storage.get_trial(beaten).state == TrialState.FAIL
    assert storage.get_trial(silent).state == TrialState.RUNNING


@pytest.mark.parametrize(
    ("storage", "sentence"),
    [
        (
            "sqlite:////nowhere/on/this/machine/explorer.db",
            "There is no study file at /nowhere/on/this/machine/explorer.db; check the path (study "
            "run creates one). A worker serves the jobs of an existing storage; a worker on another "
            "machine needs the app's PostgreSQL URL, not a SQLite path.",
        ),
        (
            "postgresql://explorer:secret@127.0.0.1:9/explorer",
            "Cannot open the study storage postgresql://explorer:***@127.0.0.1:9/explorer: nothing "
            "answers at that host and port (is the server running and listening there?).",
        ),
    ],
)
def test_a_worker_that_cannot_reach_its_storage_says_so_in_one_sentence(
    tiny_data_dir: Path, storage: str, sentence: str
) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "worker",
            "--storage",
            storage,
            "--data",
            str(tiny_data_dir),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {sentence}"
    assert "secret" not in done.stderr + done.stdout


def test_a_workers_data_matches_a_job_by_content_whatever_its_settings(
    tiny_data_dir: Path, tiny_data: DataConfig, tmp_path: Path
) -> None:
    from core.data import load_data
    from core.jobs._worker import DataMatcher

    job = DataConfig(data="/the/servers/path", vocab_size=1000, label_names=["neg", "pos"])
    matcher = DataMatcher(str(tiny_data_dir))
    local = matcher.find(job, load_data(DataConfig(data=str(tiny_data_dir))).fingerprint)
    assert local is not None and local.data == matcher.sources[0]
    assert local.label_names == ["neg", "pos"] and local.vocab_size == 1000
    assert matcher.find(job, "another-fingerprint") is None
