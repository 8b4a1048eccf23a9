"""Home: the data summary, the missing-data notice, best results, the padding explainer."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT
from tests.app.conftest import new_app, wait_for


def test_home_shows_the_data(app_env: str) -> None:
    at = new_app()
    assert at.title[0].value == "Hyperparameter Explorer"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["train texts"] == "540" and metrics["test texts"] == "200"  # no noun given
    assert not at.error
    assert any("Nothing trained yet" in i.value for i in at.info)


def test_the_pages_call_a_row_by_the_datasets_noun(
    app_env: str, tiny_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dataset.toml's ``noun`` names a row on Home and Predict: not "review" on any data."""
    import shutil

    folder = tmp_path / "sms"
    shutil.copytree(tiny_data_dir, folder)
    (folder / "dataset.toml").write_text('noun = "message"\n')
    monkeypatch.setenv("EXPLORER_DATA", str(folder))
    at = new_app()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["train messages"] == "540" and metrics["test messages"] == "200"
    assert any(c.value.startswith("Message length (words)") for c in at.caption)
    assert not any("review" in c.value.lower() for c in at.caption)
    predict = new_app("app_pages/predict.py")
    assert predict.text_area(key="predict_text").label == "Message"


def test_home_without_data_says_how_to_provide_it(
    app_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPLORER_DATA", str(tmp_path / "no-such-folder"))
    at = new_app()
    assert len(at.error) == 1 and "does not exist" in at.error[0].value
    assert any("EXPLORER_DATA" in i.value for i in at.info)
    assert not at.exception


def test_padding_explainer_with_saved_runs(
    app_env: str, trained_runs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPLORER_RUNS", str(trained_runs))
    at = new_app()
    table = at.dataframe[-1].value
    assert list(table["model"]) == ["seed (padding read)", "packed"]
    change = table["final-state change when the review is emptied"]
    assert float(change[0].rstrip("%")) < 0.1 and float(change[1].rstrip("%")) > 5
    at.text_area(key="home_review").input("great superb wonderful").run()
    assert not at.exception and not at.error


def test_train_both_for_the_explainer(app_env: str) -> None:
    at = new_app()
    assert any("seed-preset RNN and a packed RNN" in i.value for i in at.info)
    at.select_slider(key="home_explain_steps").set_value(20).run()
    at.button(key="home_train_pair").click().run()
    assert at.success[0].value.startswith("Both runs started")
    assert len(at.progress) == 2
    wait_for(at, lambda a: bool(a.dataframe) and "model" in a.dataframe[-1].value, timeout=150)
    table = at.dataframe[-1].value
    assert list(table["model"]) == ["seed (padding read)", "packed"]


def test_the_viewer_explains_the_padding_from_the_committed_models(
    app_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh clone's viewer: no runs folder, only studies/ as committed. The explainer uses the
    example seed-preset and packed RNNs (studies/models/seed-rnn, packed-rnn)."""
    studies = PROJECT_ROOT / "studies"
    before = {p: p.read_bytes() for p in studies.rglob("*") if p.is_file()}
    monkeypatch.delenv("EXPLORER_STORAGE")
    monkeypatch.delenv("EXPLORER_STUDIES", raising=False)
    monkeypatch.setenv("EXPLORER_READ_ONLY", "1")
    monkeypatch.setenv("EXPLORER_RUNS", str(tmp_path / "no-runs-here"))
    at = new_app()
    assert not any("this viewer cannot train" in i.value for i in at.info)
    caption = next(c.value for c in at.caption if c.value.startswith("Seed RNN"))
    assert "`seed-rnn`" in caption and "`packed-rnn`" in caption
    table = at.dataframe[-1].value
    assert list(table["model"]) == ["seed (padding read)", "packed"]
    change = table["final-state change when the review is emptied"]
    assert float(change[0].rstrip("%")) < 1 < float(change[1].rstrip("%"))
    assert not at.button and not at.error
    after = {p: p.read_bytes() for p in studies.rglob("*") if p.is_file()}
    assert after == before  # read-only: not a byte of the committed folder changed
