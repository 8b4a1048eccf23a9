"""The summary kept up to date trial by trial equals the summary computed from scratch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
from optuna.trial import TrialState

from core.studies._summary import StudySummary, SummaryTracker, summarize
from core.studies.storage._snapshots import SnapshotReader, snapshot_of

LR = optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True)


def _same(tracked: StudySummary, study: optuna.Study) -> None:
    full = summarize(study)
    assert tracked == full  # every field but the points
    for name in ("number", "value", "state"):
        np.testing.assert_array_equal(getattr(tracked.points, name), getattr(full.points, name))


def test_only_changed_trials_are_read_and_the_summary_is_the_full_one(tmp_path: Path) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = optuna.create_study(study_name="s", storage=url, direction="maximize")

    def finish(i: int, state: TrialState = TrialState.COMPLETE, **attrs: object) -> None:
        t = study.ask({"learning_rate": LR})
        if i % 3 == 0:
            t.suggest_int("batch_size", 16, 64)
        t.report(0.5, 100)
        t.set_user_attr("steps", 100 if state == TrialState.PRUNED else 600)
        t.set_user_attr("data_fingerprint", "fp-a")
        t.set_user_attr("dataset", "imdb")
        for k, v in attrs.items():
            t.set_user_attr(k, v)
        if state == TrialState.COMPLETE:
            study.tell(t, 0.5 + (i % 7) / 100)
        elif state == TrialState.PRUNED:
            t.set_user_attr("status", "pruned")
            t.set_user_attr("flat", {"max_steps": 600, "learning_rate": 1e-3})
            study.tell(t, state=TrialState.PRUNED)
        else:
            study.tell(t, state=TrialState.FAIL)

    for i in range(30):
        finish(i, TrialState.PRUNED if i % 4 == 1 else TrialState.COMPLETE)
    reader, tracker = SnapshotReader(url), SummaryTracker()
    snap = reader.read("s")
    _same(tracker.summarize(snap.study), snap.study)
    assert tracker.trials_read == 30

    running = study.ask({"learning_rate": LR})  # a running trial, then it reports
    snap = reader.read("s")
    _same(tracker.summarize(snap.study), snap.study)
    assert tracker.trials_read == 1
    running.report(0.9, 100)
    snap = reader.read("s")
    _same(tracker.summarize(snap.study), snap.study)
    assert tracker.trials_read == 1

    finish(31, TrialState.FAIL, message="There is no data at /nowhere.")
    running.suggest_int("hidden_size", 8, 64)  # a parameter only this trial has
    study.tell(running, 0.99)  # the new best
    snap = reader.read("s")
    summary = tracker.summarize(snap.study)
    _same(summary, snap.study)
    assert summary.best.number == running.number and "hidden_size" in summary.param_names
    assert summary.n_failed == 1 and "There is no data" in summary.failures[0]
    assert summary.savings.pruned == 8 and summary.datasets == {"fp-a": "imdb"}

    first = reader.read("s").study  # an older, shorter snapshot (another session's): rebuilt
    shorter = snapshot_of(first.get_trials(deepcopy=False)[:10])
    _same(tracker.summarize(shorter), shorter)
    assert tracker.trials_read == 10


def test_an_empty_or_unscored_study() -> None:
    tracker = SummaryTracker()
    empty = snapshot_of([])
    summary = tracker.summarize(empty)
    _same(summary, empty)
    assert summary.best is None and summary.savings is None and len(summary.points) == 0
