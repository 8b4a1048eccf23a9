"""Queries and figures on a synthetic study (no training): counts, tables, incremental reads,
every figure."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from pathlib import Path

import optuna
import plotly.graph_objects as go
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.study import StudyDirection
from optuna.trial import TrialState, create_trial

from core.errors import ReadOnlyError
from core.figures._base import sample_trials
from core.figures._learning_curves import build_learning_curves_figure
from core.figures._study import FIGURES, build_figure
from core.studies._cost import estimate_cost
from core.studies._optuna_compat import trial_id_of
from core.studies.run._creation import create_study
from core.studies.spec._parse import parse_spec
from core.studies.storage._backend import open_storage
from core.studies.storage._files import StorageError
from core.studies.storage._queries import list_studies, load_snapshot, load_trials
from core.studies.storage._snapshots import Snapshot, SnapshotReader, snapshot_of, stale_trial_ids
from core.studies.storage._trial_sql import read_trials_sql
from tests.core.studies.conftest import SHARED_BACKENDS, temporary_postgres_database, tiny_spec_dict

DISTS = {
    "learning_rate": FloatDistribution(1e-5, 1e-1, log=True),
    "batch_size": CategoricalDistribution([16, 32, 64]),
    "dropout": FloatDistribution(0.0, 0.5),
    "embedding_dim": IntDistribution(16, 256, log=True),
}


def synthetic_trials(n: int, seed: int = 0) -> list[optuna.trial.FrozenTrial]:
    """Trials whose accuracy peaks at learning_rate 1e-3, with 5-point learning curves."""
    rng = random.Random(seed)
    trials = []
    for i in range(n):
        lr = 10 ** rng.uniform(-5, -1)
        params = {
            "learning_rate": lr,
            "batch_size": rng.choice([16, 32, 64]),
            "dropout": rng.uniform(0, 0.5),
            "embedding_dim": rng.randint(16, 256),
        }
        top = 0.9 - 0.05 * abs(math.log10(lr) + 3) + rng.uniform(-0.02, 0.02)
        curve = {100 * (s + 1): top * (1 - 0.5 ** (s + 1)) for s in range(5)}
        state = TrialState.PRUNED if i % 5 == 4 else TrialState.COMPLETE
        if state == TrialState.PRUNED:
            curve = dict(list(curve.items())[:2])
        trials.append(
            create_trial(
                state=state,
                value=max(curve.values()),
                params=params,
                distributions=DISTS,
                intermediate_values=curve,
                user_attrs={
                    "test_accuracy": top - 0.01,
                    "train_samples_per_s": 1000.0 + i,
                    "params": 1234,
                    "wall_s": 5.0,
                    "status": state.name.lower(),
                },
            )
        )
    return trials


def _store_synthetic_study(url: str, data_dir: Path) -> str:
    """40 finished trials, 1 failed and 1 running (built once per module; read-only)."""
    study = create_study(parse_spec(tiny_spec_dict(data_dir, name="synthetic")), url)
    study.add_trials(synthetic_trials(40))
    study.add_trial(create_trial(state=TrialState.FAIL, params={}, distributions={}))
    storage = open_storage(url)
    storage.create_new_trial(study._study_id)  # one RUNNING
    return url


@pytest.fixture(scope="module")
def sqlite_study(tmp_path_factory: pytest.TempPathFactory, tiny_data_dir: Path) -> str:
    """The synthetic study in a SQLite file (for the figures, which read a snapshot)."""
    return _store_synthetic_study(
        f"sqlite:///{tmp_path_factory.mktemp('queries') / 's.db'}", tiny_data_dir
    )


@pytest.fixture(scope="module", params=SHARED_BACKENDS)
def stored_study(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tiny_data_dir: Path
) -> Iterator[str]:
    """The synthetic study in each shared storage: the SQL the queries run is checked on each."""
    if request.param == "sqlite":
        yield _store_synthetic_study(
            f"sqlite:///{tmp_path_factory.mktemp('queries') / 's.db'}", tiny_data_dir
        )
        return
    with temporary_postgres_database() as url:
        yield _store_synthetic_study(url, tiny_data_dir)


def test_list_studies_counts_states(stored_study: str) -> None:
    frame = list_studies(stored_study)
    row = frame.set_index("study").loc["synthetic"]
    assert (row["trials"], row["complete"], row["pruned"], row["fail"], row["running"]) == (
        42,
        32,
        8,
        1,
        1,
    )
    assert row["kind"] == "search" and row["model"] == "cnn"
    snapshot = load_snapshot("synthetic", stored_study)
    assert row["best_value"] == pytest.approx(snapshot.best_value)
    assert row["last_change"] is not None and not row["stop_requested"]
    # the in-memory path (no SQL) gives the same numbers
    mem = open_storage("memory")
    copy = optuna.create_study(study_name="synthetic", storage=mem, direction="maximize")
    copy.add_trials(snapshot.trials)
    again = list_studies(mem).set_index("study").loc["synthetic"]
    assert again["complete"] == 32 and again["best_value"] == pytest.approx(row["best_value"])


def test_bulk_sql_reader_matches_optuna(stored_study: str) -> None:
    storage = open_storage(stored_study)
    study_id = storage.get_study_id_from_name("synthetic")
    assert read_trials_sql(storage, study_id) == storage.get_all_trials(study_id)


def test_load_trials_table(stored_study: str) -> None:
    frame = load_trials("synthetic", stored_study)
    assert len(frame) == 42
    assert {
        "number",
        "state",
        "value",
        "test_accuracy",
        "wall_s",
        "duration_s",
        "params_learning_rate",
        "params_batch_size",
    } <= set(frame.columns)
    assert frame["state"].value_counts()["COMPLETE"] == 32


@pytest.mark.parametrize("kind", [k for k in FIGURES if k != "curves"])
def test_every_figure_builds(sqlite_study: str, kind: str) -> None:
    study = load_snapshot("synthetic", sqlite_study)
    result = build_figure(kind, study)
    assert isinstance(result.figure, go.Figure) and result.figure.data
    assert result.shown == result.total and result.note == ""


def test_parallel_coordinates_use_a_log_axis_for_learning_rate(sqlite_study: str) -> None:
    fig = build_figure("parallel", load_snapshot("synthetic", sqlite_study)).figure
    column = list(fig.layout.xaxis.ticktext).index("learning_rate")
    ticks = [a.text for a in fig.layout.annotations if a.x == column]
    assert {"0.0001", "0.001", "0.01"} <= set(ticks)  # decades evenly spaced: a log axis


def test_big_figures_sample_and_say_so() -> None:
    study = optuna.create_study(direction="maximize")
    study.add_trials(synthetic_trials(300))
    result = build_figure("intermediate", study, max_trials=50)
    assert (result.shown, result.total) == (50, 300)
    assert result.note == "showing 50 of 300 trials"
    best = max(t.value for t in study.trials)
    kept = sample_trials(study.trials, 50)
    assert any(t.value == best for t in kept) and len(kept) == 50
    assert [t.number for t in kept] == sorted(t.number for t in kept)


def test_learning_curves_coloured_by_a_param(sqlite_study: str) -> None:
    study = load_snapshot("synthetic", sqlite_study)
    numeric = build_learning_curves_figure(study, "learning_rate", max_trials=10)
    assert numeric.shown == 10 and numeric.total == 40
    lines = [t for t in numeric.figure.data if t.mode == "lines"]
    assert len(lines) == 10 and len({t.line.color for t in lines}) > 1
    colour_bar = numeric.figure.data[-1].marker
    assert colour_bar.showscale and colour_bar.cmax <= -1  # log10 scale for a log param
    chosen = build_learning_curves_figure(study, "batch_size", trial_numbers=[0, 1, 2])
    assert chosen.shown == 3
    assert {t.name for t in chosen.figure.data} <= {
        "batch_size=16",
        "batch_size=32",
        "batch_size=64",
    }


def test_cost_estimate_uses_measured_throughput(sqlite_study: str, tiny_data_dir: Path) -> None:
    spec = parse_spec(tiny_spec_dict(tiny_data_dir))
    measured = estimate_cost(spec, sqlite_study)
    assert measured.throughput_source == "measured over 32 runs"
    assert measured.samples_per_s == pytest.approx(1000 + 20, abs=20)
    assert measured.train_samples == 3 * 30 * 32
    given = estimate_cost(spec, sqlite_study, samples_per_s=100.0, n_trials=10)
    assert given.expected_s > measured.expected_s and given.n_trials == 10
    assert "samples/s" in given.describe()


def test_measured_throughput_is_the_newest_runs_on_every_storage(shared_url: str) -> None:
    """An RDB storage reads the newest runs' throughput with one query per study; any other
    storage loads the trials. Both take the newest completed runs that measured it."""
    import core.studies._cost as cost

    dist = {"x": optuna.distributions.FloatDistribution(0, 1)}
    trials = [
        optuna.trial.create_trial(
            value=0.5, params={"x": 0.5}, distributions=dist, user_attrs={"train_samples_per_s": v}
        )
        for v in (10.0, 20.0, 30.0, 40.0, 50.0)
    ]
    trials.insert(2, optuna.trial.create_trial(value=0.5, params={"x": 0.5}, distributions=dist))
    trials.append(
        optuna.trial.create_trial(
            state=optuna.trial.TrialState.FAIL, user_attrs={"train_samples_per_s": 1e6}
        )
    )
    memory = optuna.storages.InMemoryStorage()
    for storage in (shared_url, memory):
        study = optuna.create_study(study_name="cnn-runs", storage=storage)
        study.set_user_attr("model", "cnn")
        study.add_trials(trials)
    for storage in (shared_url, memory):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(cost, "_MEASURED_RUNS", 3)  # the newest three: 30, 40, 50
            assert cost._measured_throughput("cnn", storage) == (40.0, "measured over 3 runs")
        assert cost._measured_throughput("rnn", storage)[1].startswith("assumed")


# ---- incremental reads ------------------------------------------------------------------------


def _full_read(url: str, name: str) -> list[optuna.trial.FrozenTrial]:
    """Optuna's own read of every trial (its ORM path): what the reader must equal."""
    storage = open_storage(url)
    return storage.get_all_trials(storage.get_study_id_from_name(name))


def test_incremental_read_equals_a_full_read_after_each_change(shared_url: str) -> None:
    study = optuna.create_study(study_name="live", storage=shared_url, direction="maximize")
    study.add_trials(synthetic_trials(30))
    reader = SnapshotReader(shared_url)
    first = reader.read("live")
    assert first.reread == 30 and first.study.get_trials(deepcopy=False) == _full_read(
        shared_url, "live"
    )
    again = reader.read("live")  # nothing changed: nothing fetched, the same study and version
    assert (again.study, again.version, again.reread) == (first.study, first.version, 0)

    def check(expected_reread: int) -> Snapshot:
        snap = reader.read("live")
        assert snap.study.get_trials(deepcopy=False) == _full_read(shared_url, "live")
        assert snap.reread == expected_reread
        return snap

    study.add_trials(synthetic_trials(5, seed=1))  # added finished trials
    added = check(5)
    assert added.version != first.version
    running = study.ask({"learning_rate": FloatDistribution(1e-5, 1e-1, log=True)})
    check(1)  # a new RUNNING trial
    running.report(0.5, step=100)  # a new intermediate value, no completion time
    running.set_user_attr("status", "training")
    snap = check(1)  # only the running trial is read again
    running.report(0.6, step=200)
    assert check(1).version != snap.version
    study.enqueue_trial({"learning_rate": 1e-3})  # a WAITING trial
    check(2)
    study.tell(running, 0.95)  # RUNNING -> COMPLETE: a new best
    done = check(2)
    assert done.study.best_trial.number == running.number
    assert done.study.best_value == pytest.approx(0.95)
    waiting = reader.read("live")  # the WAITING trial is read again, unchanged: same version
    assert (waiting.version, waiting.reread) == (done.version, 1)
    queued = study.ask()  # WAITING -> RUNNING
    check(1)
    study.tell(queued, state=TrialState.FAIL)  # RUNNING -> FAIL
    check(1)
    pruned = study.ask()
    pruned.report(0.3, step=100)
    study.tell(pruned, state=TrialState.PRUNED)  # RUNNING -> PRUNED, valued at its last step
    last = check(1)
    assert reader.read("live").reread == 0  # every trial finished: nothing to read again
    study.set_user_attr("stop_requested", True)  # study attributes are part of the snapshot
    assert reader.read("live").study.user_attrs["stop_requested"] is True
    assert [t.number for t in last.study.trials] == list(range(38))


def test_reader_heals_when_a_trial_appears_below_the_last_id_seen(sqlite_study: str) -> None:
    """Several PostgreSQL workers can commit trial ids out of order: a trial the reader has
    not seen, below the last id it has, must still be read (the count of ids up to the last one
    differs, so every stamp is read)."""
    reader = SnapshotReader(sqlite_study)
    reader.read("synthetic")
    entry = next(iter(reader._entries.values()))  # forget one trial, as if not committed yet
    forgotten = entry.trials.pop(3)
    del entry.stamps[trial_id_of(forgotten)]
    healed = reader.read("synthetic")
    assert healed.reread == 1 + 1  # the forgotten trial and the running one
    assert healed.study.get_trials(deepcopy=False) == _full_read(sqlite_study, "synthetic")


def test_reader_reads_other_storages_in_full() -> None:
    storage = open_storage("memory")
    study = optuna.create_study(study_name="mem", storage=storage, direction="maximize")
    study.add_trials(synthetic_trials(12))
    reader = SnapshotReader(storage)
    first = reader.read("mem")
    assert first.study.get_trials(deepcopy=False) == study.trials and first.reread == 12
    assert reader.read("mem").version == first.version  # unchanged
    study.add_trials(synthetic_trials(1, seed=3))
    assert reader.read("mem").study.get_trials(deepcopy=False) == study.trials
    with pytest.raises(StorageError, match="no study named 'nope'"):
        reader.read("nope")


def test_stale_trial_ids_are_new_live_or_changed() -> None:
    seen = {1: ("COMPLETE", "t1"), 2: ("RUNNING", None), 3: ("FAIL", "t3")}
    stamps = [
        (1, "COMPLETE", "t1"),  # finished and seen: reused
        (2, "RUNNING", None),  # live: always read again
        (3, "COMPLETE", "t3b"),  # changed
        (4, "WAITING", None),  # new
        (5, "COMPLETE", "t5"),  # new
    ]
    assert stale_trial_ids(stamps, seen) == [2, 3, 4, 5]


def test_a_snapshot_is_a_read_only_study_sharing_its_trials(sqlite_study: str) -> None:
    trials = read_trials_sql(open_storage(sqlite_study), 1)
    snap = snapshot_of(trials, StudyDirection.MAXIMIZE, "copy", {"kind": "search"})
    assert snap.get_trials(deepcopy=False)[0] is trials[0]  # not copied
    assert snap.trials == trials and snap.trials[0] is not trials[0]  # deepcopy=True copies
    assert snap.user_attrs == {"kind": "search"}
    assert snap.best_trial == max(
        (t for t in trials if t.state == TrialState.COMPLETE), key=lambda t: t.value
    )
    assert len(snap.get_trials(states=(TrialState.FAIL,))) == 1
    with pytest.raises(ReadOnlyError):
        snap.add_trial(trials[0])


def test_partial_sql_read_matches_the_full_one(stored_study: str) -> None:
    storage = open_storage(stored_study)
    study_id = storage.get_study_id_from_name("synthetic")
    full = read_trials_sql(storage, study_id)
    ids = [trial_id_of(full[i]) for i in (0, 7, 41)]
    assert read_trials_sql(storage, study_id, ids) == [full[0], full[7], full[41]]
    assert read_trials_sql(storage, study_id, []) == []
    assert read_trials_sql(storage, study_id + 1000, ids) == []  # another study's ids: none


# ---- history and timeline, drawn from the trials -------------------------------------------


def test_history_draws_every_trial_per_state_with_the_best_so_far() -> None:
    study = optuna.create_study(direction="maximize")
    study.add_trials(synthetic_trials(300))
    result = build_figure("history", study)
    assert (result.shown, result.total, result.note) == (300, 300, "")
    complete, pruned, best = result.figure.data
    assert (complete.name, pruned.name, best.name) == ("complete", "pruned", "best so far")
    assert complete.type == "scattergl" and len(complete.x) == 240 and len(pruned.x) == 60
    values = {t.number: t.value for t in study.trials if t.state == TrialState.COMPLETE}
    assert best.y[-1] == pytest.approx(max(values.values()))
    assert best.x[-1] == 299 and list(best.y) == sorted(best.y)  # it only ever improves
    for x, y in zip(best.x[:-1], best.y[:-1], strict=True):  # each step is a new best, at x
        assert (
            values[x]
            == pytest.approx(y)
            == pytest.approx(max(v for n, v in values.items() if n <= x))
        )
    minimize = optuna.create_study(direction="minimize")
    minimize.add_trials(synthetic_trials(50))
    steps = build_figure("history", minimize).figure.data[-1].y
    assert list(steps) == sorted(steps, reverse=True)


def test_timeline_draws_a_bar_per_trial_and_says_when_it_samples() -> None:
    study = optuna.create_study(direction="maximize")
    study.add_trials(synthetic_trials(300))
    study.add_trial(create_trial(state=TrialState.FAIL, params={}, distributions={}))
    running = study.ask()
    study.enqueue_trial({})  # WAITING: not started, not drawn
    result = build_figure("timeline", study)
    assert (result.shown, result.total, result.note) == (302, 302, "")
    by_state = {t.name: t for t in result.figure.data}
    assert set(by_state) == {"complete", "pruned", "fail", "running"}
    assert len(by_state["complete"].x) == 3 * 240  # start, end, gap per trial
    y = by_state["running"].y
    assert y[0] == y[1] == running.number and math.isnan(y[2])
    start, end = by_state["running"].x[:2]
    assert end >= start  # a running trial's bar reaches now
    sampled = build_figure("timeline", study, max_trials=50)
    assert (sampled.shown, sampled.total) == (50, 302)
    assert sampled.note == "showing 50 of 302 trials"
    drawn = {int(n) for trace in sampled.figure.data for n in trace.y if not math.isnan(n)}
    assert drawn == set(range(252, 302))  # the most recent


def test_datasets_of_names_each_fingerprint_once() -> None:
    from optuna.trial import create_trial

    from core.studies.storage._queries import datasets_of

    def trial(attrs: dict) -> object:
        return create_trial(value=0.5, params={}, distributions={}, user_attrs=attrs)

    trials = [
        trial({"data_fingerprint": "aaa"}),  # stored before names were kept
        trial({"data_fingerprint": "aaa", "dataset": "imdb"}),
        trial({"data_fingerprint": "bbb", "dataset": "news"}),
        trial({}),  # failed before its data was loaded
    ]
    assert datasets_of(trials) == {"aaa": "imdb", "bbb": "news"}
    assert datasets_of(trials[:1]) == {"aaa": "aaa"}


def test_every_example_study_is_described() -> None:
    """studies/examples.db is what a visitor sees first: at most 15 studies, each with a
    one-line description that the Results page shows."""
    from core.settings import PROJECT_ROOT
    from core.studies.storage._files import read_only_url

    frame = list_studies(read_only_url(f"sqlite:///{PROJECT_ROOT / 'studies' / 'examples.db'}"))
    assert 0 < len(frame) <= 15
    assert frame["description"].str.len().gt(10).all(), frame[["study", "description"]]


def test_a_trials_table_has_the_same_columns_with_or_without_trials() -> None:
    from core.studies.storage._queries import TRIAL_COLUMNS, trials_frame

    study = optuna.create_study(direction="maximize")
    assert list(trials_frame(study.get_trials()).columns) == TRIAL_COLUMNS
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    columns = list(trials_frame(study.get_trials()).columns)
    assert columns == [*TRIAL_COLUMNS, "params_x"]


def test_completed_runs_reads_the_same_rows_from_a_database_and_a_journal(
    tmp_path: Path,
) -> None:
    """The one SQL query and the trial-by-trial path (journal storages, a study in memory)
    give the same rows: dataset, validation split and test size, completed trials only."""
    from optuna.trial import TrialState

    from core.studies.storage._queries import completed_runs, runs_frame

    url = f"sqlite:///{tmp_path / 's.db'}"
    study = optuna.create_study(study_name="s", storage=url, direction="maximize")
    for i, (state, split) in enumerate(
        [(TrialState.COMPLETE, "tail"), (TrialState.COMPLETE, None), (TrialState.PRUNED, None)]
    ):
        flat = {"val_fraction": 0.2} | ({"val_split": split} if split else {})
        study.add_trial(
            optuna.trial.create_trial(
                state=state,
                value=0.8 + i / 100 if state == TrialState.COMPLETE else None,
                user_attrs={"flat": flat, "dataset": "d", "test_accuracy": 0.7, "test_size": 50},
            )
        )
    from core.studies.storage._backend import open_storage

    journal = open_storage(f"journal:{tmp_path / 's.log'}")
    optuna.copy_study(from_study_name="s", from_storage=url, to_storage=journal)
    from_sql = completed_runs(url)
    assert from_sql.to_dict("records") == completed_runs(journal).to_dict("records")
    assert from_sql.to_dict("records") == runs_frame("s", study.trials).to_dict("records")
    assert len(from_sql) == 2 and from_sql["val_split"].iloc[0] == "tail"
    assert from_sql["val_split"].isna().iloc[1]  # it predates val_split
