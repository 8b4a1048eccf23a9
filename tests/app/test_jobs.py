"""core.jobs: background training keyed by owner, progress, cancel, recording."""

from __future__ import annotations

import time

from core.config import DataConfig, build_run_config
from core.jobs import FINAL_STATES, DashboardServer, JobManager
from tests.app.conftest import TINY_KNOBS


def _run(tiny_data: DataConfig, **extra):
    knobs = {k: v for k, v in TINY_KNOBS.items() if k != "vocab_size"} | extra
    return build_run_config("cnn", "default", knobs, data=tiny_data)


def test_owners_are_isolated_and_results_recorded(tiny_data: DataConfig) -> None:
    recorded = []
    manager = JobManager(record=lambda r: recorded.append(r) or len(recorded) - 1)
    a = manager.submit("alice", _run(tiny_data, seed=1))
    b = manager.submit("bob", _run(tiny_data, seed=2, max_steps=30))
    assert manager.get("bob", a) is None and manager.get("alice", b) is None
    assert manager.cancel("bob", a) is False
    assert [j.id for j in manager.list_jobs("alice")] == [a]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # one Trainer at a time in a process: never both training
        states = {manager.get("alice", a).state, manager.get("bob", b).state}
        assert states != {"training"}
        if all(x in FINAL_STATES for x in states):
            break
        time.sleep(0.05)
    done_a, done_b = manager.get("alice", a), manager.get("bob", b)
    assert done_a.state == done_b.state == "completed", (done_a.message, done_b.message)
    assert (done_a.step, done_b.step) == (20, 30)
    assert {done_a.trial_number, done_b.trial_number} == {0, 1}
    assert [row["step"] for row in done_b.history] == [10, 20, 30]
    assert len(recorded) == 2


def test_cancel_stops_the_run(tiny_data: DataConfig) -> None:
    manager = JobManager(record=lambda r: 0)
    job = manager.submit("alice", _run(tiny_data, max_steps=5000, eval_steps=1000))
    deadline = time.monotonic() + 60
    while manager.get("alice", job).step < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert manager.cancel("alice", job)
    snap = manager.wait("alice", job, 60)
    assert snap.state == "cancelled" and snap.step < 5000
    assert snap.trial_number is None  # a cancelled run is not stored


def test_a_failed_job_says_why_in_one_sentence(tiny_data: DataConfig, tmp_path) -> None:
    bad = DataConfig(data=str(tmp_path / "nowhere"), vocab_size=1000)
    manager = JobManager()
    job = manager.submit("alice", _run(bad))
    snap = manager.wait("alice", job, 60)
    assert snap.state == "failed"
    assert "does not exist" in snap.message and "\n" not in snap.message


def test_dashboard_server_starts_and_stops(tmp_path) -> None:
    server = DashboardServer(f"sqlite:///{tmp_path / 'd.db'}")
    url = server.start()
    assert url.startswith("http://127.0.0.1:") and server.running
    server.stop()
    assert not server.running
