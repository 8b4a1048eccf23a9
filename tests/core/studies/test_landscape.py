"""Landscapes: grid studies read as points, sweeps, tables and knob effects; the committed ones."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import optuna
import pandas as pd
import pytest

from core.figures._landscape import build_curves_figure, build_heatmap_figure, build_sweep_figure
from core.figures._landscape_svg import _positions, curves_svg, heatmap_svg, sweep_svg
from core.studies._landscape import list_landscapes, load_landscape, off_grid_points
from core.studies.run._creation import create_study
from core.studies.run._worker import run_worker
from core.studies.spec._parse import load_spec, parse_spec_text
from core.studies.spec._study_spec import suggest_overrides
from core.studies.storage._files import read_only_url

ROOT = Path(__file__).resolve().parents[3]
TOMLS = sorted((ROOT / "studies").glob("landscape_*.toml"))

RNN_GRID = """
name = "{name}"
model = "rnn"
n_trials = 24
sampler = "grid"
pruner = "none"
[fixed]
max_steps = {steps}
{fixed}
[params]
cell = {{ choices = ["rnn", "gru"] }}
nonlinearity = {{ choices = ["tanh", "relu"] }}
hidden_size = {{ choices = [32, 64, 128] }}
learning_rate = {{ choices = [0.001, 0.01] }}
"""


def synthetic_accuracy(p: dict) -> float:
    """A made-up landscape: GRU beats the plain cell, lr 1e-2 beats 1e-3, bigger is a bit better."""
    acc = 0.5 + (0.3 if p["cell"] == "gru" else 0.02) + (0.05 if p["learning_rate"] > 0.005 else 0)
    acc += 0.01 * math.log2(p["hidden_size"] / 32)
    return acc - (0.01 if p.get("nonlinearity") == "relu" else 0.0)


def synthetic_objective(spec, fingerprint: str = "abc", steps: int = 300):
    """An objective that trains nothing but stores what a real trial stores: curve, test
    accuracy, wall time, parameters, data fingerprint."""

    def objective(trial: optuna.Trial) -> float:
        p = suggest_overrides(trial, spec)
        acc = synthetic_accuracy(p)
        history = []
        for i in (1, 2, 3):
            step = steps * i // 3
            trial.report(acc * i / 3, step)
            history.append(
                {"step": step, "train_loss": 0.7 - acc * i / 6, "val_accuracy": acc * i / 3}
            )
        for k, v in {
            "status": "completed",
            "test_accuracy": acc - 0.01,
            "wall_s": 10.0,
            "params": p["hidden_size"] * 100,
            "history": history,
            "data_fingerprint": fingerprint,
            "best_val_accuracy": acc,
        }.items():
            trial.set_user_attr(k, v)
        return acc

    return objective


def make_landscape(
    url: str,
    name: str = "landscape-rnn",
    fixed: str = "",
    fingerprint: str = "abc",
    steps: int = 300,
) -> None:
    """A grid study over a conditional knob, filled by :func:`synthetic_objective`."""
    spec = parse_spec_text(RNN_GRID.format(name=name, fixed=fixed, steps=steps))
    memory = optuna.storages.InMemoryStorage()
    create_study(spec, memory)
    objective = synthetic_objective(spec, fingerprint, steps)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    run_worker(name, memory, objective=objective, heartbeat_interval=None, log=lambda _: None)
    # copied like the committed landscapes: one plain SQLite file, no WAL left behind
    optuna.copy_study(from_study_name=name, from_storage=memory, to_storage=url)


@pytest.fixture
def grid_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'grid.db'}"
    make_landscape(url)
    return url


def test_a_grid_study_reads_as_a_landscape(grid_url: str) -> None:
    assert list_landscapes(grid_url) == [("landscape-rnn", "rnn")]
    land = load_landscape("landscape-rnn", grid_url)
    assert land.size == 24 and land.n_trials == 24
    # nonlinearity does not apply to the GRU: 2 x 3 x 2 plain-cell points, 3 x 2 GRU points
    assert land.distinct_size == 18 and len(land.points) == 18
    at = {"cell": "gru", "nonlinearity": "relu", "hidden_size": 64, "learning_rate": 0.01}
    assert not land.applies("nonlinearity", at)
    assert land.point(at) is land.point(at | {"nonlinearity": "tanh"})
    gru = {k: v for k, v in at.items() if k != "nonlinearity"}  # what the trial suggested
    assert land.point(at).val_accuracy == pytest.approx(synthetic_accuracy(gru))
    assert land.point(at).test_accuracy == pytest.approx(synthetic_accuracy(gru) - 0.01)
    assert [r["step"] for r in land.point(at).history] == [100, 200, 300]
    plain = at | {"cell": "rnn"}
    assert land.applies("nonlinearity", plain)
    assert (
        land.point(plain).val_accuracy < land.point(plain | {"nonlinearity": "tanh"}).val_accuracy
    )
    assert land.default_point()["cell"] == "gru" and land.default_point()["hidden_size"] == 128
    assert land.held["max_steps"] == 300 and "cell" not in land.held


def test_workers_share_one_grid(tmp_path: Path) -> None:
    """Two workers (each with its own worker index, as `study run --workers 2` starts them)
    cover every grid point once: the grid sampler's seed must be the same in both."""
    url = f"sqlite:///{tmp_path / 'g.db'}"
    spec = parse_spec_text(RNN_GRID.format(name="g", fixed="", steps=300))
    create_study(spec, url)
    objective = synthetic_objective(spec)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for index, n in ((0, 10), (1, 14)):
        run_worker(
            "g",
            url,
            n_trials=n,
            worker_index=index,
            objective=objective,
            heartbeat_interval=None,
            log=lambda _: None,
        )
    land = load_landscape("g", url)
    assert land.n_trials == 24 and len(land.points) == land.distinct_size == 18
    trials = optuna.load_study(study_name="g", storage=url).trials
    assert sorted(t.system_attrs["grid_id"] for t in trials) == list(range(24))


def test_sweep_table_and_effects(grid_url: str) -> None:
    land = load_landscape("landscape-rnn", grid_url)
    at = {"cell": "gru", "nonlinearity": "tanh", "hidden_size": 32, "learning_rate": 0.01}
    sweep = land.sweep("hidden_size", at)
    assert [v for v, _ in sweep] == [32, 64, 128]
    values = [p.val_accuracy for _, p in sweep]
    assert values == sorted(values) and values[2] - values[0] == pytest.approx(0.02)
    table = land.table("learning_rate", "cell", at)
    assert len(table) == 2 and len(table[0]) == 2
    assert table[1][1] == pytest.approx(synthetic_accuracy(at))  # gru, 0.01
    effects = land.effects()
    assert list(effects)[0] == "cell"  # the cell moves accuracy most, then the learning rate
    assert effects["cell"] == pytest.approx(0.285)  # 0.28 against tanh, 0.29 against relu
    assert effects["learning_rate"] == pytest.approx(0.05)
    assert effects["nonlinearity"] == pytest.approx(0.01)  # over plain-cell baselines only


def test_figures_draw_the_points(grid_url: str) -> None:
    land = load_landscape("landscape-rnn", grid_url)
    at = land.default_point()
    other = land.point(at | {"hidden_size": 32})
    curves = build_curves_figure(land.point(at), other)
    assert {t.name for t in curves.data} >= {"this point: validation", "previous: validation"}
    sweep = build_sweep_figure(land, "hidden_size", at, extra=[(96, 0.9, 0.89)])
    val = next(t for t in sweep.data if t.name == "validation")
    assert list(val.x) == [32, 64, 128]
    assert list(val.y) == pytest.approx([p.val_accuracy for _, p in land.sweep("hidden_size", at)])
    assert any(t.name.startswith("trained off the grid") and list(t.x) == [96] for t in sweep.data)
    heat = build_heatmap_figure(land, "hidden_size", "learning_rate", at)
    assert len(heat.data[0].z) == 2 and len(heat.data[0].z[0]) == 3


def test_static_figures_draw_the_same_points(grid_url: str) -> None:
    land = load_landscape("landscape-rnn", grid_url)
    at = land.default_point()
    other = land.point(at | {"hidden_size": 32})
    curves = curves_svg(land.point(at), other)
    assert curves.startswith("<svg") and "\n" not in curves  # one line: markdown keeps it whole
    for r in land.point(at).history:
        assert f"this point, step {r['step']:g}: {r['val_accuracy']:.1%}" in curves
    assert "previous point, step" in curves and "faded, dotted" in curves

    sweep = sweep_svg(land, "hidden_size", at, extra=[(96, 0.9, 0.89)])
    for h, p in land.sweep("hidden_size", at):
        assert f"hidden_size={h}: validation {p.val_accuracy:.1%}" in sweep
        assert f"hidden_size={h}: test {p.test_accuracy:.1%}" in sweep
    assert "hidden_size=96, trained off the grid: validation 90.0%, test 89.0%" in sweep
    assert "<title>this point</title>" in sweep

    heat = heatmap_svg(land, "hidden_size", "learning_rate", at)
    cells = [(h, lr) for lr in land.axes["learning_rate"] for h in land.axes["hidden_size"]]
    assert heat.count("<rect") == len(cells) + 1  # every cell and the current one boxed
    for h, lr in cells:
        p = land.point(at | {"hidden_size": h, "learning_rate": lr})
        assert f"hidden_size={h}, learning_rate={lr:g}: {p.val_accuracy:.1%}" in heat
    assert 'stroke="red"' in heat
    test_heat = heatmap_svg(land, "hidden_size", "learning_rate", at, "test_accuracy")
    assert test_heat.startswith("<svg") and "test accuracy over" in test_heat


def test_static_sweep_places_off_grid_values_between_their_neighbours() -> None:
    xs, place = _positions([0.001, 0.01, 0.1])
    assert place(0.01) == pytest.approx(xs[1])
    assert xs[0] < place(0.003) < xs[1] < place(0.03) < xs[2]
    assert place(0.003) == pytest.approx(xs[0] + (xs[1] - xs[0]) * math.log10(3))  # log scale
    assert place(10.0) == 1.0 and place(-1) is None  # clamped; not placeable on a log axis
    xs, place = _positions(["rnn", "gru"])
    assert place("gru") == xs[1] and place("lstm") is None


def test_off_grid_runs_join_the_sweep_only_where_they_belong(grid_url: str) -> None:
    land = load_landscape("landscape-rnn", grid_url)
    at = {"cell": "gru", "nonlinearity": "tanh", "hidden_size": 64, "learning_rate": 0.01}
    base = land.held | {
        "cell": "gru",
        "learning_rate": 0.01,
        "state": "COMPLETE",
        "data_fingerprint": "abc",
    }
    runs = pd.DataFrame(
        [
            base | {"hidden_size": 96, "value": 0.9, "test_accuracy": 0.88},  # belongs
            base | {"hidden_size": 64, "value": 0.8, "test_accuracy": 0.8},  # on the grid
            base | {"hidden_size": 48, "max_steps": 100, "value": 0.7, "test_accuracy": 0.7},
            base | {"hidden_size": 40, "learning_rate": 0.02, "value": 0.7, "test_accuracy": 0.7},
            base
            | {"hidden_size": 24, "data_fingerprint": "other", "value": 0.7, "test_accuracy": 0.7},
            base | {"hidden_size": 16, "state": "FAIL", "value": None, "test_accuracy": None},
        ]
    )
    assert off_grid_points(land, runs, "hidden_size", at) == [(96, 0.9, 0.88)]
    assert off_grid_points(land, runs, "learning_rate", at) == []


def test_a_study_that_is_not_a_grid_is_no_landscape(tmp_path: Path) -> None:
    from core.errors import ExplorerError
    from tests.app.test_results import make_study

    url = f"sqlite:///{tmp_path / 's.db'}"
    make_study(url, "alpha", 3)
    assert list_landscapes(url) == []
    with pytest.raises(ExplorerError, match="not a grid study"):
        load_landscape("alpha", url)
    with pytest.raises(ExplorerError, match="no study named 'nope'"):
        load_landscape("nope", url)


@pytest.mark.parametrize("path", TOMLS, ids=lambda p: p.name)
def test_committed_landscapes_match_their_grids(path: Path) -> None:
    """Each landscape TOML is a valid grid, and examples.db holds every one of its points."""
    spec = load_spec(path)
    assert spec.sampler == "grid" and spec.pruner == "none"
    db = ROOT / "studies" / "examples.db"
    land = load_landscape(spec.name, read_only_url(f"sqlite:///{db}"))
    assert land.spec.to_dict() == spec.to_dict()
    assert spec.n_trials == land.size == land.n_trials
    assert len(land.points) == land.distinct_size
    for point in land.points.values():
        assert point.finished, (point.values, point.state, point.message)
        assert point.test_accuracy is not None or point.status == "diverged"
        assert point.history and point.wall_s and point.params
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        mode = con.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        con.close()
    assert mode == "delete"


def test_there_are_landscapes_for_both_families() -> None:
    assert {load_spec(p).model for p in TOMLS} == {"cnn", "rnn"}


def test_the_cli_summarises_a_landscape(grid_url: str, capsys: pytest.CaptureFixture) -> None:
    from core.cli import main

    assert main(["study", "landscape", "landscape-rnn", "--storage", grid_url]) == 0
    out = capsys.readouterr().out
    assert "grid 2 x 2 x 3 x 2 = 24 trials, 18 distinct points, 18 trained" in out
    lines = out.splitlines()
    first = lines.index(
        "how far each knob alone moves validation accuracy (median over every baseline):"
    )
    assert lines[first + 1].split() == ["cell:", "28.5", "points"]
    assert "best by validation: cell=gru, hidden_size=128, learning_rate=0.01" in out
    assert "sweep hidden_size (val): 32: 85.0%, 64: 86.0%, 128: 87.0%" in out


def test_sweeps_draw_the_linear_baseline_when_given(grid_url: str) -> None:
    from core.data._baseline import BaselineResult

    land = load_landscape("landscape-rnn", grid_url)
    at = land.default_point()
    base = BaselineResult(0.903, 0.902, 4.0, {}, 1, {}, 1.0, 1.0, "abc", "src", "stamp")
    fig = build_sweep_figure(land, "hidden_size", at, baseline=base)
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert sorted(s.y0 for s in lines) == [0.902, 0.903]
    assert "TF-IDF baseline" not in str(build_sweep_figure(land, "hidden_size", at).layout)
    svg = sweep_svg(land, "hidden_size", at, baseline=base)
    assert "baseline: validation 90.3%" in svg and "baseline: test 90.2%" in svg
    assert "baseline" not in sweep_svg(land, "hidden_size", at)
