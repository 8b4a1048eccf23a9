"""Playground: knobs, presets, impossible combinations, a tiny run, two sessions at once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import TINY_KNOBS, new_app, wait_for
from tests.conftest import make_reviews

PAGE = "app_pages/playground.py"


def set_tiny(at: AppTest, family: str = "cnn", **extra) -> AppTest:
    for name, value in (TINY_KNOBS | extra).items():
        at.session_state[f"playground_{family}_{name}"] = value
    return at.run()


def run_history(at: AppTest):
    """The run-history table (the last table on the page)."""
    return at.dataframe[-1].value


def finished(at: AppTest) -> bool:
    return bool(at.success) or any("failed" in e.value for e in at.error)


def test_knobs_presets_and_help(app_env: str) -> None:
    at = new_app(PAGE)
    slider = at.slider(key="playground_cnn_max_length")
    # short texts: the cut is fitted to them, and the page says so and why
    assert slider.value == 32 and "Tokens kept per review" in slider.help
    assert at.select_slider(key="playground_cnn_max_steps").value == 100
    fitted = next(c.value for c in at.caption if c.value.startswith("Defaults fitted to"))
    assert "**max_length = 32** (95 % of the training texts fit in" in fitted
    assert "The knobs' own defaults: max_length 400, max_steps 300." in fitted
    at.button(key="playground_seed").click().run()
    assert at.slider(key="playground_cnn_max_length").value == 512
    assert at.select_slider(key="playground_cnn_batch_size").value == 8
    assert at.select_slider(key="playground_cnn_num_filters").value == 10
    assert at.toggle(key="playground_cnn_mask_padding").value is False
    at.slider(key="playground_cnn_learning_rate_log10").set_value(-2.0).run()
    assert any(c.value == "learning_rate = 0.01" for c in at.caption)
    at.button(key="playground_defaults").click().run()
    assert at.slider(key="playground_cnn_max_length").value == 32
    assert at.select_slider(key="playground_cnn_batch_size").value == 64
    # RNN knobs; the nonlinearity only applies to the plain RNN cell
    at.segmented_control(key="playground_family").set_value("rnn").run()
    assert at.selectbox(key="playground_rnn_nonlinearity").disabled
    at.selectbox(key="playground_rnn_cell").set_value("rnn").run()
    assert not at.selectbox(key="playground_rnn_nonlinearity").disabled


def test_the_fitted_defaults_follow_the_picked_dataset_but_not_a_moved_knob(
    app_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    short = make_reviews(240, 1)
    for name, texts in (("long", short["text"].map(lambda t: " ".join([t] * 8))), ("short", None)):
        folder = tmp_path / "datasets" / name
        folder.mkdir(parents=True)
        pd.DataFrame(
            {"text": short["text"] if texts is None else texts, "label": short["label"]}
        ).to_parquet(folder / "train.parquet")
    monkeypatch.setenv("EXPLORER_DATA", str(tmp_path / "datasets"))
    at = new_app(PAGE)
    assert at.selectbox(key="dataset").value == "long"
    assert at.slider(key="playground_cnn_max_length").value == 256
    assert any(c.value.startswith("Defaults fitted to **long**") for c in at.caption)
    at.selectbox(key="dataset").set_value("short").run()
    assert at.slider(key="playground_cnn_max_length").value == 32
    assert any(c.value.startswith("Defaults fitted to **short**") for c in at.caption)
    at.segmented_control(key="playground_family").set_value("rnn").run()
    assert at.slider(key="playground_rnn_max_length").value == 32
    at.slider(key="playground_rnn_max_length").set_value(64).run()  # the user's choice stays
    at.selectbox(key="dataset").set_value("long").run()
    assert at.slider(key="playground_rnn_max_length").value == 64
    at.segmented_control(key="playground_family").set_value("cnn").run()
    assert at.slider(key="playground_cnn_max_length").value == 256


def test_pretrained_vectors_knobs_and_their_lesson(app_env: str) -> None:
    at = new_app(PAGE)
    assert at.toggle(key="playground_cnn_freeze_embeddings").disabled  # random vectors
    assert any("unlabelled text helps" in c.value for c in at.caption)
    at.selectbox(key="playground_cnn_embedding_init").set_value("word2vec").run()
    assert not at.toggle(key="playground_cnn_freeze_embeddings").disabled
    assert not at.error


def test_impossible_combination_is_explained(app_env: str) -> None:
    at = new_app(PAGE)
    at.slider(key="playground_cnn_max_length").set_value(16).run()
    at.slider(key="playground_cnn_filter_size").set_value(15).run()
    at.slider(key="playground_cnn_num_filter_sizes").set_value(3).run()  # widths 15, 16, 17
    assert len(at.error) == 1 and "must not exceed max_length" in at.error[0].value
    assert at.button(key="playground_train").disabled


def test_tiny_run_lands_in_the_history(app_env: str) -> None:
    at = set_tiny(new_app(PAGE))
    assert not at.error
    at.button(key="playground_train").click().run()
    wait_for(at, finished)
    assert not at.error, [e.value for e in at.error]
    assert at.success[0].value == "Run completed: stored as trial #0."
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["best val accuracy"].endswith("%")
    history = run_history(at)
    assert list(history["number"]) == [0] and history["max_steps"].iloc[0] == 20
    assert history["state"].iloc[0] == "COMPLETE"
    # a second run, with one knob moved, joins the first
    at.slider(key="playground_cnn_dropout").set_value(0.1).run()
    at.button(key="playground_train").click().run()
    wait_for(at, lambda a: finished(a) and "#1" in a.success[0].value)
    history = run_history(at)
    assert list(history["number"]) == [1, 0]
    assert at.selectbox(key="playground_axis_dropout").value == "dropout"
    # another validation split is another set of numbers: its runs land apart
    at.selectbox(key="playground_cnn_val_split").set_value("tail").run()
    at.button(key="playground_train").click().run()
    wait_for(at, lambda a: finished(a) and "#2" in a.success[0].value)
    assert list(run_history(at)["number"]) == [2]
    assert any("this validation split (tail" in c.value for c in at.caption)
    at.selectbox(key="playground_cnn_val_split").set_value("random").run()
    assert list(run_history(at)["number"]) == [1, 0]


def test_two_sessions_train_at_once_without_mixing(app_env: str) -> None:
    alice = set_tiny(new_app(PAGE), max_steps=20)
    bob = set_tiny(new_app(PAGE), max_steps=50)
    alice.button(key="playground_train").click().run()
    bob.button(key="playground_train").click().run()
    assert alice.session_state["playground_job"] != bob.session_state["playground_job"]
    wait_for(alice, finished)
    wait_for(bob, finished)
    wait_for(alice, lambda a: finished(a) and len(run_history(a)) == 2)  # bob's run is stored too
    # each sees its own run: its own step count, its own trial, its own jobs in the sidebar
    a_hist = run_history(alice)
    b_hist = run_history(bob)
    assert sorted(a_hist["max_steps"]) == sorted(b_hist["max_steps"]) == [20, 50]  # one storage
    a_trial = int(alice.success[0].value.rsplit("#", 1)[1].rstrip("."))
    b_trial = int(bob.success[0].value.rsplit("#", 1)[1].rstrip("."))
    assert a_hist.set_index("number").loc[a_trial, "max_steps"] == 20
    assert b_hist.set_index("number").loc[b_trial, "max_steps"] == 50
    a_side = [c.value for c in alice.sidebar.caption if "CNN" in c.value]
    b_side = [c.value for c in bob.sidebar.caption if "CNN" in c.value]
    assert len(a_side) == len(b_side) == 1
    assert alice.session_state["app_owner"] != bob.session_state["app_owner"]


def test_same_knobs_are_replayed_and_train_again_trains(app_env: str) -> None:
    at = set_tiny(new_app(PAGE))
    at.button(key="playground_train").click().run()
    wait_for(at, finished)
    first = {m.label: m.value for m in at.metric}
    # the same knobs again: answered from the store, the stored run's numbers, nothing trained
    at.button(key="playground_train").click().run()
    wait_for(at, lambda a: finished(a) and a.success[0].value.startswith("Replayed"))
    assert at.success[0].value == ("Replayed: trial #0 of playground-cnn, answered from the store.")
    replayed = {m.label: m.value for m in at.metric}
    assert replayed["test accuracy"] == first["test accuracy"]
    assert replayed["wall time (stored run)"] == first["wall time"]
    assert list(run_history(at)["number"]) == [0]
    # Train again: a fresh run, stored as a new trial, with the same numbers (deterministic)
    at.button(key="playground_train_again").click().run()
    wait_for(at, lambda a: finished(a) and "#1" in a.success[0].value)
    assert at.success[0].value == "Run completed: stored as trial #1."
    again = {m.label: m.value for m in at.metric}
    assert again["test accuracy"] == first["test accuracy"]
    assert list(run_history(at)["number"]) == [1, 0]
