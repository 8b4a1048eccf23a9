"""Predict page: choose a saved model, type a review, see the label and highlighted words."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.conftest import new_app

PAGE = "app_pages/predict.py"


def test_no_model_yet(app_env: str) -> None:
    at = new_app(PAGE)
    assert any("No saved model" in i.value for i in at.info)


def test_predict_with_a_saved_cnn_and_rnn(
    app_env: str, trained_runs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPLORER_RUNS", str(trained_runs))
    at = new_app(PAGE)
    box = at.selectbox(key="predict_run")
    assert len(box.options) == 3
    for option in box.options:
        at.selectbox(key="predict_run").set_value(
            next(r for r in at.selectbox(key="predict_run").options if r == option)
        )
    at.text_area(key="predict_text").input("wonderful superb great film").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["label"] in ("0", "1")
    assert metrics["probability"].endswith("%")
    assert any(c.value.startswith("Classes: `0`, `1` (trained on") for c in at.caption)
    assert any("<span" in m.value for m in at.markdown)  # the highlighted review
    at.text_area(key="predict_text").input("   ").run()
    assert len(at.error) == 1 and at.error[0].value == "Type or paste a text first."


def test_best_of_a_study_without_a_saved_model(app_env: str) -> None:
    import optuna

    study = optuna.create_study(study_name="s", storage=app_env, direction="maximize")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    at = new_app(PAGE)
    at.segmented_control(key="predict_source").set_value("Best of a study").run()
    assert len(at.error) == 1 and "kept no saved model" in at.error[0].value


def test_only_the_picked_datasets_models_are_offered(
    app_env: str,
    trained_runs: Path,
    tiny_data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A model of another dataset is never offered, and every entry names its data; with no
    model of the picked dataset, the most-modelled dataset's are offered, said so."""
    import json
    import shutil

    runs = tmp_path / "runs"
    shutil.copytree(trained_runs, runs)

    def trained_on(name: str, dataset: str) -> None:
        result = runs / name / "result.json"
        result.write_text(json.dumps(json.loads(result.read_text()) | {"dataset": dataset}))

    trained_on("a-cnn", "spam")
    monkeypatch.setenv("EXPLORER_RUNS", str(runs))
    at = new_app(PAGE)
    options = at.selectbox(key="predict_run").options
    assert len(options) == 2 and not any("a-cnn" in o for o in options)
    assert all(o.endswith(f"· {tiny_data_dir.name}") for o in options)
    for name in ("b-seed-rnn", "c-packed-rnn"):
        trained_on(name, "spam")
    at = new_app(PAGE)
    assert len(at.selectbox(key="predict_run").options) == 3
    assert any(
        f"No models trained on **{tiny_data_dir.name}**; the models trained on **spam**" in c.value
        for c in at.caption
    )
