"""core.training._predict on tiny saved models: labels, attributions, and the padding explanation."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from core.errors import ExplorerError
from core.results import list_saved_runs
from core.training._padding import explain_padding, find_padding_pair
from core.training._predict import cnn_token_scores, encode, load_model, predict

REVIEW = "the film was wonderful and superb , really great acting"
OTHER = "awful boring dull terrible waste of a movie"


def test_list_and_find_pair(trained_runs: Path) -> None:
    runs = list_saved_runs(trained_runs)
    assert sorted(r.family for r in runs) == ["cnn", "rnn", "rnn"]
    seed, packed = find_padding_pair(runs)
    assert seed is not None and seed.name == "b-seed-rnn"
    assert packed is not None and packed.name == "c-packed-rnn"


def test_cnn_prediction_and_scores_add_up(trained_runs: Path) -> None:
    model = load_model(trained_runs / "a-cnn")
    result = predict(model, REVIEW)
    assert result.label in model.label_names
    assert abs(sum(result.probabilities.values()) - 1) < 1e-5
    assert result.method == "max-pool windows"
    assert len(result.scores) == len(result.words) == len(REVIEW.split())
    # The scores share out the label's logit margin (less the bias): nothing lost or invented
    # (no padding here, so no share falls outside the review).
    enc = encode(model, REVIEW)
    label_id = model.label_names.index(result.label)
    with torch.no_grad():
        batch = {"input_ids": torch.tensor([enc.token_ids])}
        logits = model.model(**batch).logits[0]
    bias = model.model.classifier.bias.detach()
    margin = (logits[label_id] - logits[1 - label_id]) - (bias[label_id] - bias[1 - label_id])
    total = sum(cnn_token_scores(model, enc.token_ids, label_id))
    assert total == pytest.approx(float(margin), rel=1e-4, abs=1e-5)


def test_max_mean_scores_add_up_too(trained_runs: Path) -> None:
    """With max and mean pooling, the max's share goes to each filter's peak window and the
    mean's to every window: together still the whole margin, less the bias."""
    import dataclasses

    from core.models import build_model

    loaded = load_model(trained_runs / "a-cnn")
    config = loaded.config.__class__.from_dict(
        loaded.config.to_dict() | {"filter_pooling": "max_mean"}
    )
    torch.manual_seed(0)
    pooled = dataclasses.replace(loaded, model=build_model(config).eval())
    result = predict(pooled, REVIEW)
    assert result.method == "pooled windows"
    enc = encode(pooled, REVIEW)
    label_id = pooled.label_names.index(result.label)
    with torch.no_grad():
        logits = pooled.model(input_ids=torch.tensor([enc.token_ids])).logits[0]
    bias = pooled.model.classifier.bias.detach()
    margin = (logits[label_id] - logits[1 - label_id]) - (bias[label_id] - bias[1 - label_id])
    scores = cnn_token_scores(pooled, enc.token_ids, label_id)
    assert sum(scores) == pytest.approx(float(margin), rel=1e-4, abs=1e-5)
    # the mean reaches every token, the max only the peaks' windows
    assert all(s != 0.0 for s in scores)


def test_rnn_occlusion(trained_runs: Path) -> None:
    model = load_model(trained_runs / "c-packed-rnn")
    result = predict(model, REVIEW)
    assert result.method == "occlusion"
    assert len(result.scores) == len(REVIEW.split())
    with pytest.raises(ExplorerError, match="Type or paste a text first"):
        predict(model, "   ")


def test_seed_rnn_final_state_comes_from_padding(trained_runs: Path) -> None:
    seed = load_model(trained_runs / "b-seed-rnn")
    packed = load_model(trained_runs / "c-packed-rnn")
    ex = explain_padding(seed, packed, REVIEW, OTHER)
    assert ex.max_length == seed.config.max_length  # padded to max_length, as in the report
    assert ex.seed.state_change < 1e-3  # emptying the review does not move the final state
    assert ex.seed.prob_review == pytest.approx(ex.seed.prob_empty, abs=1e-4)
    assert ex.seed.prob_review == pytest.approx(ex.seed.prob_other, abs=1e-4)
    assert ex.packed.state_change > 0.05  # the packed RNN's state is the review's
    assert ex.state_gap[0] > 100 * ex.state_gap[-1]  # the gap fades as padding is read


def test_missing_model_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(ExplorerError, match="No saved model"):
        load_model(tmp_path)


def test_exported_model_is_half_the_size_and_predicts_the_same(
    trained_runs: Path, tmp_path: Path
) -> None:
    from core.training._predict import export_model

    for name in ("a-cnn", "c-packed-rnn"):
        source = trained_runs / name
        out = export_model(source, tmp_path / name)
        full = (source / "model" / "model.safetensors").stat().st_size
        half = (out / "model" / "model.safetensors").stat().st_size
        assert half < 0.6 * full
        a, b = load_model(source), load_model(out)
        assert next(b.model.parameters()).dtype == torch.float32  # computed in float32
        for text in ("great wonderful film", "awful boring plot", "the movie was quite fun"):
            pa, pb = predict(a, text), predict(b, text)
            assert pa.label == pb.label and abs(pa.probability - pb.probability) < 1e-2


def test_study_best_falls_back_to_the_committed_copy(
    trained_runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clone has the example models under studies/models/<study>, not the original runs."""
    import optuna

    from core.studies._best_run import find_best_run_dir
    from core.training._predict import export_model

    url = f"sqlite:///{tmp_path / 'x.db'}"
    study = optuna.create_study(study_name="cnn", storage=url, direction="maximize")
    trial = study.ask()
    trial.set_user_attr("run_dir", "/nowhere/on/this/machine")
    study.tell(trial, 0.9)
    monkeypatch.setenv("EXPLORER_STUDIES", str(tmp_path / "studies"))
    with pytest.raises(ExplorerError, match="kept no saved model"):
        find_best_run_dir("cnn", url)
    export_model(trained_runs / "a-cnn", tmp_path / "studies" / "models" / "cnn")
    assert find_best_run_dir("cnn", url) == tmp_path / "studies" / "models" / "cnn"
