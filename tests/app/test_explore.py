"""Explore: sliders over a landscape answer from the store (in the viewer too, writing nothing),
links carry the point and the teacher's locks, and a point off the grid trains through the jobs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import optuna
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import open_app, serve_read_only, wait_for
from tests.core.studies.test_landscape import make_landscape, synthetic_accuracy

PAGE = "app_pages/explore.py"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def viewer(app_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Read-only mode on a studies folder whose examples.db holds a landscape."""
    folder = tmp_path / "studies"
    folder.mkdir()
    make_landscape(f"sqlite:///{folder / 'examples.db'}")
    return serve_read_only(folder, monkeypatch)


def _explore(**query: str) -> AppTest:
    at = open_app(**query)
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _chart(at: AppTest, key: str) -> dict:
    return json.loads(
        next(c for c in at.get("plotly_chart") if c.proto.id.endswith(key)).proto.spec
    )


def _svg(at: AppTest, label: str) -> str:
    """The static chart whose aria-label starts with ``label`` (the default, non-plotly view)."""
    return next(
        m.value
        for m in at.markdown
        if m.value.startswith("<svg") and f'aria-label="{label}' in m.value
    )


def _pct(v: float) -> str:
    return f"{v:.1%}"


def test_a_slider_move_answers_from_the_store_and_writes_nothing(viewer: Path) -> None:
    before = sha256(viewer / "examples.db")
    at = _explore()
    slider = at.select_slider(key="explore_landscape-rnn_hidden_size")
    # the sliders start at the best validation point: GRU, lr 0.01, hidden 128
    assert slider.value == 128
    best = {"cell": "gru", "hidden_size": 128, "learning_rate": 0.01}
    assert _metric(at, "validation accuracy") == _pct(synthetic_accuracy(best))
    sweep_before = _svg(at, "accuracy against")
    assert not at.get("plotly_chart")  # static charts by default: no plotly.js to load

    slider.set_value(32).run()
    assert not at.exception
    assert _metric(at, "validation accuracy") == _pct(
        synthetic_accuracy(best | {"hidden_size": 32})
    )
    assert _metric(at, "test accuracy") == _pct(
        synthetic_accuracy(best | {"hidden_size": 32}) - 0.01
    )
    # the previous point is drawn faded beside this one, and the sweep follows the moved knob
    assert "previous point, step" in _svg(at, "learning curves")
    assert at.selectbox(key="explore_sweep").value == "hidden_size"
    sweep = _svg(at, "accuracy against hidden_size")
    assert sweep != sweep_before
    for h in (32, 64, 128):
        acc = synthetic_accuracy(best | {"hidden_size": h})
        assert f"hidden_size={h}: validation {acc:.1%}" in sweep

    # the same figures in plotly, one toggle away
    at.toggle(key="explore_interactive").set_value(True).run()
    curves = _chart(at, "explore_curves")
    assert {"this point: validation", "previous: validation"} <= {t["name"] for t in curves["data"]}
    sweep = _chart(at, "explore_sweep_chart")
    assert sweep["layout"]["xaxis"]["title"]["text"] == "hidden_size"
    val = next(t for t in sweep["data"] if t["name"] == "validation")
    assert val["y"] == pytest.approx(
        [synthetic_accuracy(best | {"hidden_size": h}) for h in (32, 64, 128)]
    )
    assert at.query_params["hidden_size"] == "32"  # the link follows the point

    at.select_slider(key="explore_landscape-rnn_cell").set_value("rnn").run()
    assert not at.select_slider(key="explore_landscape-rnn_nonlinearity").disabled
    at.select_slider(key="explore_landscape-rnn_cell").set_value("gru").run()
    assert at.select_slider(key="explore_landscape-rnn_nonlinearity").disabled  # GRU: no such knob
    assert not [b for b in at.button]  # the viewer offers no training
    assert sha256(viewer / "examples.db") == before
    assert not (viewer / "explorer.db").exists()


def test_the_sweep_draws_the_cached_linear_baseline(
    viewer: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    monkeypatch.setenv("EXPLORER_CACHE", str(tmp_path / "own-cache"))  # other tests see none

    from core.data._baseline import BaselineResult, BaselineSettings, _path

    assert "baseline" not in _svg(_explore(), "accuracy against")  # not cached: not drawn
    base = BaselineResult(0.81, 0.8, 4.0, {}, 1, {}, 1.0, 1.0, "abc", "src", "stamp")
    path = _path("abc", BaselineSettings())  # the landscape's data fingerprint
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dataclasses.asdict(base)))
    at = _explore()
    assert "baseline: validation 81.0%" in _svg(at, "accuracy against")
    assert any("validation 81.0%, test 80.0%" in c.value for c in at.caption)


def test_a_link_carries_the_point(viewer: Path) -> None:
    at = _explore(cell="rnn", nonlinearity="relu", hidden_size="64", learning_rate="0.001")
    point = {"cell": "rnn", "nonlinearity": "relu", "hidden_size": 64, "learning_rate": 0.001}
    for knob, value in point.items():
        assert at.select_slider(key=f"explore_landscape-rnn_{knob}").value == value
    # which data: runs stored without a dataset name show their content fingerprint
    assert any("trials) on **data abc**." in c.value for c in at.caption)
    assert _metric(at, "validation accuracy") == _pct(synthetic_accuracy(point))
    # a move away from the link's point sticks (the link follows it, not the other way round)
    at.select_slider(key="explore_landscape-rnn_hidden_size").set_value(128).run()
    at.run()
    assert at.select_slider(key="explore_landscape-rnn_hidden_size").value == 128
    assert _metric(at, "validation accuracy") == _pct(
        synthetic_accuracy(point | {"hidden_size": 128})
    )
    assert at.query_params["hidden_size"] == "128"
    at = _explore(hidden_size="100")  # not on the grid: said, and the slider starts elsewhere
    assert any("hidden_size=100 is not a point of this grid" in w.value for w in at.warning)


def test_a_teacher_link_locks_and_hides_knobs(viewer: Path) -> None:
    at = _explore(lock="learning_rate:0.001,hidden_size:100", hide="nonlinearity")
    lr = at.select_slider(key="explore_landscape-rnn_learning_rate")
    assert lr.value == 0.001 and lr.disabled and lr.label.endswith("learning_rate")
    assert "nonlinearity" not in {s.label for s in at.select_slider}
    assert any("hidden_size=100 is not a point of this grid" in w.value for w in at.warning)
    from core.knobs._fields import get_knob

    assert get_knob("hidden_size").help in {c.value for c in at.caption}


def test_the_full_app_falls_back_to_the_examples_and_trains_off_the_grid(
    app_env: str, tiny_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user's own storage has no landscape: Explore shows the committed examples'. A point off
    the grid trains through the Playground's jobs, lands in the user's storage, and is drawn on
    the sweep beside the grid's points."""
    from core.data._loading import load_data
    from core.knobs._fields import DataConfig

    folder = tmp_path / "studies"
    folder.mkdir()
    fingerprint = load_data(DataConfig(data=str(tiny_data_dir))).fingerprint
    tiny = (
        "max_length = 64\nembedding_dim = 16\nbatch_size = 16\nvocab_size = 1000\neval_steps = 10"
    )
    make_landscape(
        f"sqlite:///{folder / 'examples.db'}", fixed=tiny, fingerprint=fingerprint, steps=20
    )
    before = sha256(folder / "examples.db")
    monkeypatch.setenv("EXPLORER_STUDIES", str(folder))
    at = _explore()
    assert any("showing the committed examples'" in c.value for c in at.caption)
    # hidden_size 96: between the grid's 64 and 128, the other knobs where the sliders are
    at.select_slider(key="explore_off_landscape-rnn_hidden_size").set_value(96).run()
    at.button(key="explore_train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    wait_for(at, lambda a: any("validation" in s.value for s in a.success), timeout=240)
    trial = optuna.load_study(study_name="playground-rnn", storage=app_env).trials[-1]
    assert trial.params["hidden_size"] == 96 and trial.params["max_steps"] == 20
    assert trial.params["cell"] == "gru" and trial.params["learning_rate"] == 0.01
    at.selectbox(key="explore_sweep").set_value("hidden_size").run()
    sweep = _svg(at, "accuracy against hidden_size")
    assert f"hidden_size=96, trained off the grid: validation {trial.value:.1%}" in sweep
    at.toggle(key="explore_interactive").set_value(True).run()
    sweep = _chart(at, "explore_sweep_chart")
    extra = next(t for t in sweep["data"] if t["name"].startswith("trained off the grid"))
    assert extra["x"] == [96] and extra["y"] == [pytest.approx(trial.value)]
    assert sha256(folder / "examples.db") == before


def test_another_datasets_landscape_is_not_shown_as_this_ones(
    app_env: str, tiny_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The examples' landscape trained on IMDB; with another dataset picked, Explore says no
    landscape was trained on it and gives the command that builds one, and the landscape it
    shows is named as IMDB's, not this dataset's."""
    import sqlite3

    folder = tmp_path / "studies"
    folder.mkdir()
    make_landscape(f"sqlite:///{folder / 'examples.db'}")
    con = sqlite3.connect(folder / "examples.db")
    ids = con.execute("SELECT trial_id FROM trials").fetchall()
    con.executemany(
        "INSERT INTO trial_user_attributes (trial_id, key, value_json) VALUES (?, 'dataset', ?)",
        [(i, '"imdb"') for (i,) in ids],
    )
    con.commit()
    con.close()
    monkeypatch.setenv("EXPLORER_STUDIES", str(folder))
    at = _explore()
    info = " ".join(i.value for i in at.info)
    assert f"No landscape was trained on **{tiny_data_dir.name}**" in info
    assert f"study run studies/landscape_cnn.toml --data {tiny_data_dir}" in info
    assert "so these are **imdb**'s: their accuracies say nothing about this dataset" in info
    assert any("on **imdb**" in c.value for c in at.main.caption)  # the landscape's own caption
    assert not any(tiny_data_dir.name in c.value for c in at.main.caption)
