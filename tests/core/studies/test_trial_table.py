"""The trial table updated row by row equals the table rebuilt from scratch."""

from __future__ import annotations

from pathlib import Path

import optuna
import pandas as pd

from core.studies.queries import trials_frame
from core.studies.snapshots import SnapshotReader
from core.studies.trial_table import TrialTable


def _same(table: pd.DataFrame, trials: list) -> None:
    pd.testing.assert_frame_equal(table, trials_frame(trials), check_like=True, check_dtype=False)


def test_only_new_and_changed_trials_are_rebuilt(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = optuna.create_study(study_name="s", storage=url, direction="maximize")

    def finish(n: int, start: int) -> None:
        for i in range(start, start + n):
            t = study.ask({"lr": optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True)})
            t.report(0.5, 100)
            t.set_user_attr("steps", 100 + i)
            study.tell(t, 0.5 + i / 1000)

    finish(40, 0)
    reader, table = SnapshotReader(url), TrialTable()
    trials = reader.read("s").study.get_trials(deepcopy=False)
    _same(table.frame(trials), trials)
    assert table.rows_built == 40

    assert table.frame(reader.read("s").study.get_trials(deepcopy=False)) is not None
    assert table.rows_built == 0  # nothing changed

    running = study.ask()  # a new trial with a new parameter: a new column
    running.suggest_int("batch", 16, 64)
    finish(3, 40)
    trials = reader.read("s").study.get_trials(deepcopy=False)
    _same(table.frame(trials), trials)
    assert table.rows_built == 4

    running.report(0.7, 100)  # the running trial changes, then completes
    trials = reader.read("s").study.get_trials(deepcopy=False)
    _same(table.frame(trials), trials)
    assert table.rows_built == 1
    study.tell(running, 0.9)
    trials = reader.read("s").study.get_trials(deepcopy=False)
    frame = table.frame(trials)
    _same(frame, trials)
    assert table.rows_built == 1
    assert frame.loc[frame["number"] == 40, "state"].item() == "COMPLETE"
    assert list(frame["number"]) == list(range(44))
