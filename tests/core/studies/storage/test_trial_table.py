"""The trial table updated row by row equals the table rebuilt from scratch."""

from __future__ import annotations

from pathlib import Path

import optuna
import pandas as pd

from core.studies.storage._queries import trials_frame
from core.studies.storage._snapshots import SnapshotReader
from core.studies.storage._trial_table import TrialTable, table_page


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


def test_a_page_of_the_sorted_table() -> None:
    frame = pd.DataFrame(
        {
            "number": range(25),
            "value": [None if i % 5 == 0 else (i * 7) % 25 / 25 for i in range(25)],
            "batch": [64 if i % 2 else "sixty-four" for i in range(25)],  # mixed types
        }
    )
    first = table_page(frame, "value", descending=True, page=1, size=10)
    assert (first.page, first.pages, first.first, first.last, first.total) == (1, 3, 1, 10, 25)
    values = first.frame["value"].tolist()
    assert values == sorted(values, reverse=True) and values[0] == frame["value"].max()
    last = table_page(frame, "value", descending=True, page=99, size=10)  # clamped
    assert (last.page, last.first, last.last) == (3, 21, 25)
    assert last.frame["value"].isna().all()  # missing values last, whatever the direction
    up = table_page(frame, "value", descending=False, page=1, size=10)
    assert up.frame["value"].iloc[0] == frame["value"].min()
    pages = [table_page(frame, "number", False, p, 10).frame for p in (1, 2, 3)]
    assert pd.concat(pages)["number"].tolist() == list(range(25))  # every row once, in order
    mixed = table_page(frame, "batch", descending=False, page=1, size=25)
    assert mixed.frame["batch"].tolist()[:12] == [64] * 12  # "64" sorts before "sixty-four"
    unsorted = table_page(frame, "no such column", descending=True, page=1, size=10)
    assert unsorted.frame["number"].tolist() == list(range(10))
    empty = table_page(frame.iloc[:0], "value", descending=True)
    assert (empty.page, empty.pages, empty.first, empty.last, empty.total) == (1, 1, 0, 0, 0)
