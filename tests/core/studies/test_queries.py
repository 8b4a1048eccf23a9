"""Queries and figures on a synthetic study (no training): counts, tables, every figure."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from pathlib import Path

import optuna
import plotly.graph_objects as go
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState, create_trial

from core.studies.cost import estimate_cost
from core.studies.figures import FIGURES, build_figure, build_learning_curves_figure, sample_trials
from core.studies.queries import (
    list_studies,
    load_snapshot,
    load_trials,
    read_trials_sql,
)
from core.studies.spec import parse_spec
from core.studies.storage import open_storage
from core.studies.workers import create_study

from .conftest import SHARED_BACKENDS, temporary_postgres_database, tiny_spec_dict

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
