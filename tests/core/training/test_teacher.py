"""The teacher (``teacher = "baseline"``): the baseline's probabilities for the training and the
unlabelled reviews, their cache, the targets they make, and a real short training with them."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from core.data._baseline import fit_baseline_model
from core.data._loading import load_data
from core.errors import ConfigError
from core.knobs._fields import DataConfig
from core.models import build_model
from core.studies.run._replay import replay_key
from core.training._batching import build_collator
from core.training._config import build_run_config
from core.training._prepared import prepare_data
from core.training._teacher import _in_label_order, get_teacher_targets, soft_targets
from core.training._tokenizer import get_tokenizer, token_ids
from core.training._trainer import build_trainer, fit_to_data, train_run
from tests.conftest import make_reviews


@pytest.fixture(scope="module")
def unsup_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """train (300), test (80) and 120 unlabelled reviews."""
    folder = tmp_path_factory.mktemp("with-unsup")
    make_reviews(300, seed=3).to_parquet(folder / "train.parquet")
    make_reviews(80, seed=4).to_parquet(folder / "test.parquet")
    make_reviews(120, seed=5).assign(label=-1).to_parquet(folder / "unsupervised.parquet")
    return folder


def _cfg(folder: Path, **knobs) -> DataConfig:
    return DataConfig(data=str(folder), vocab_size=1000, val_fraction=0.2, **knobs)


def test_soft_targets_mix_label_and_teacher() -> None:
    p = np.array([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]], dtype=np.float32)
    labels = np.array([0, 0, 1])
    np.testing.assert_array_equal(soft_targets(labels, p, 0.0), np.eye(2)[labels])
    np.testing.assert_allclose(soft_targets(labels, p, 1.0), p)
    mixed = soft_targets(labels, p, 0.25)
    np.testing.assert_allclose(mixed[1], [0.75 + 0.25 * 0.3, 0.25 * 0.7])
    np.testing.assert_allclose(mixed.sum(axis=1), 1.0, rtol=1e-6)


def test_columns_follow_label_ids_when_a_class_is_missing() -> None:
    fitted = SimpleNamespace(classifier=SimpleNamespace(classes_=np.array([0, 2])))
    out = _in_label_order(fitted, np.array([[0.2, 0.8]]), 3)
    np.testing.assert_allclose(out, [[0.2, 0.0, 0.8]])


def test_the_teachers_probabilities_are_the_baselines_and_unlabelled_ids_the_tokenizers(
    unsup_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _cfg(unsup_dir)
    data = load_data(cfg)
    tokenizer = get_tokenizer(data, cfg)
    t = get_teacher_targets(data, tokenizer, cfg.max_tokens)
    splits = data.splits
    fitted = fit_baseline_model(
        {k: list(splits[k]["text"]) for k in ("train", "validation")},
        {k: list(splits[k]["label"]) for k in ("train", "validation")},
    )
    train_texts = list(splits["train"]["text"])
    np.testing.assert_allclose(t.train_probabilities, fitted.predict_proba(train_texts), rtol=1e-5)
    assert t.c == fitted.c and t.val_accuracy == fitted.val_accuracy
    unsup = list(make_reviews(120, seed=5)["text"])
    assert t.n_unlabelled == 120
    np.testing.assert_allclose(t.unlabelled_probabilities, fitted.predict_proba(unsup), rtol=1e-5)
    ids = token_ids(tokenizer, unsup, cfg.max_tokens)
    for i in (0, 57, 119):
        assert (
            t.unlabelled_ids[t.unlabelled_offsets[i] : t.unlabelled_offsets[i + 1]].tolist()
            == (ids[i])
        )

    def no_fit(*args, **kwargs):
        raise AssertionError("fitted again")

    monkeypatch.setattr("core.training._teacher.fit_baseline_model", no_fit)
    again = get_teacher_targets(data, tokenizer, cfg.max_tokens)  # from the cache
    np.testing.assert_array_equal(again.unlabelled_probabilities, t.unlabelled_probabilities)
    with pytest.raises(AssertionError, match="fitted again"):
        get_teacher_targets(data, tokenizer, cfg.max_tokens - 1)  # another token cap


def test_the_teacher_never_reads_test(unsup_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other-test"
    other.mkdir()
    for name in ("train.parquet", "unsupervised.parquet"):
        (other / name).write_bytes((unsup_dir / name).read_bytes())
    make_reviews(80, seed=99).to_parquet(other / "test.parquet")  # another test set
    out = []
    for folder in (unsup_dir, other):
        cfg = _cfg(folder)
        data = load_data(cfg)
        out.append(get_teacher_targets(data, get_tokenizer(data, cfg), cfg.max_tokens))
    np.testing.assert_array_equal(out[0].train_probabilities, out[1].train_probabilities)
    np.testing.assert_array_equal(out[0].unlabelled_probabilities, out[1].unlabelled_probabilities)


def test_the_training_split_gains_the_unlabelled_reviews_with_the_teachers_targets(
    unsup_dir: Path,
) -> None:
    plain = prepare_data(_cfg(unsup_dir)).splits["train"]
    taught = prepare_data(_cfg(unsup_dir, teacher="baseline", teacher_weight=0.3)).splits["train"]
    n = len(plain)
    assert plain.targets is None and len(taught) == n + 120
    np.testing.assert_array_equal(taught.labels[:n], plain.labels)
    np.testing.assert_array_equal(taught.ids[: len(plain.ids)], plain.ids)
    own = taught.targets[:n]
    assert np.all(own[np.arange(n), plain.labels] >= 0.7 - 1e-6)  # 0.7 of each is its label
    np.testing.assert_allclose(taught.targets.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(taught.labels[n:], taught.targets[n:].argmax(axis=1))
    row = taught[n + 5]
    assert row["target"].shape == (2,) and len(row["input_ids"]) == taught.lengths[n + 5]


def test_the_loss_is_cross_entropy_against_the_targets(unsup_dir: Path, tmp_path: Path) -> None:
    run = build_run_config(
        "cnn", overrides={"teacher": "baseline", "max_length": 64}, data=_cfg(unsup_dir)
    )
    prepared = prepare_data(run.data)
    cfg = fit_to_data(run.model, prepared)
    model = build_model(cfg)
    trainer = build_trainer(run, prepared, model, str(tmp_path))
    train = prepared.splits["train"]
    rows = train.rows(range(len(train) - 8, len(train)))  # unlabelled ones
    batch = build_collator(cfg)(rows)
    targets = batch["targets"].clone()
    loss = trainer.compute_loss(model, dict(batch))
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    want = -(targets * torch.log_softmax(logits, dim=-1)).sum(dim=-1).mean()
    assert loss.item() == pytest.approx(want.item(), rel=1e-5)
    onehot = dict(batch, targets=torch.nn.functional.one_hot(batch["labels"], 2).float())
    hard = model(**{k: batch[k] for k in ("input_ids", "attention_mask", "labels")}).loss
    assert trainer.compute_loss(model, onehot).item() == pytest.approx(hard.item(), rel=1e-5)


def test_a_run_with_the_teacher_trains_and_keys_apart(unsup_dir: Path) -> None:
    knobs = {"embedding_dim": 16, "max_length": 64, "eval_steps": 10, "max_steps": 20}
    runs = {
        name: build_run_config("cnn", overrides=knobs | extra, data=_cfg(unsup_dir))
        for name, extra in (
            ("none", {}),
            ("none, weight set", {"teacher_weight": 0.9}),
            ("baseline", {"teacher": "baseline"}),
            ("baseline 0.9", {"teacher": "baseline", "teacher_weight": 0.9}),
        )
    }
    result = train_run(runs["baseline 0.9"], save=False)
    assert result.status == "completed" and result.test_accuracy is not None
    assert result.config["data"]["teacher"] == "baseline"
    keys = {name: replay_key(run, "fp", 1) for name, run in runs.items()}
    assert keys["none"] == keys["none, weight set"]  # the weight does not apply without one
    assert len({keys["none"], keys["baseline"], keys["baseline 0.9"]}) == 3


def test_bad_teacher_values_are_refused() -> None:
    for overrides, words in (
        ({"teacher": "gpt"}, "teacher must be one of none, baseline"),
        ({"teacher": "baseline", "teacher_weight": 1.5}, "teacher_weight must be between 0 and 1"),
    ):
        with pytest.raises(ConfigError, match=words):
            build_run_config("cnn", overrides=overrides)


@pytest.fixture(scope="module")
def saved_model(unsup_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CNN saved by training on ``unsup_dir``'s train part (the teacher model)."""
    folder = tmp_path_factory.mktemp("teacher-model")
    knobs = {"embedding_dim": 16, "max_length": 64, "eval_steps": 10, "max_steps": 20}
    result = train_run(
        build_run_config("cnn", overrides=knobs, data=_cfg(unsup_dir)), run_dir=folder
    )
    assert result.status == "completed"
    return folder


def test_a_saved_model_joins_the_teacher_with_its_weight_chosen_on_validation(
    unsup_dir: Path, saved_model: Path
) -> None:
    from core.training._predict import load_model
    from core.training._teacher import choose_weight

    cfg = _cfg(unsup_dir)
    data = load_data(cfg)
    tokenizer = get_tokenizer(data, cfg)
    base = get_teacher_targets(data, tokenizer, cfg.max_tokens)
    both = get_teacher_targets(data, tokenizer, cfg.max_tokens, teacher_model=str(saved_model))
    loaded = load_model(saved_model)
    collator = build_collator(loaded.config)

    def model_p(texts: list[str]) -> np.ndarray:
        from core.training._batching import TokenizedSplit
        from core.training._scoring import score_split

        ids = token_ids(loaded.tokenizer, texts, cfg.max_tokens)
        split = TokenizedSplit.from_ids(ids, np.zeros(len(ids), dtype=np.int64))
        return score_split(loaded.model, split, collator).probabilities

    val = data.splits["validation"]
    w, by_weight = choose_weight(model_p(list(val["text"])), base.val_probabilities, val["label"])
    assert both.model_weight == w and both.val_accuracy == by_weight[w]
    unsup = list(make_reviews(120, seed=5)["text"])
    want = w * model_p(unsup) + (1 - w) * base.unlabelled_probabilities
    np.testing.assert_allclose(both.unlabelled_probabilities, want, rtol=1e-5, atol=1e-6)
    want = w * model_p(list(data.splits["train"]["text"])) + (1 - w) * base.train_probabilities
    np.testing.assert_allclose(both.train_probabilities, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(both.unlabelled_ids, base.unlabelled_ids)


def test_choose_weight_prefers_the_even_mix_on_ties() -> None:
    from core.training._teacher import choose_weight

    p = np.array([[0.9, 0.1], [0.2, 0.8]])
    weight, by_weight = choose_weight(p, p, np.array([0, 1]))  # every weight scores 1.0
    assert weight == 0.5 and set(by_weight.values()) == {1.0}
    weight, _ = choose_weight(p, p[::-1], np.array([0, 1]))  # only the model is right
    assert weight > 0.5


def test_a_teacher_model_from_another_split_is_refused(
    unsup_dir: Path, saved_model: Path, tmp_path: Path
) -> None:
    from core.errors import DataError

    other = _cfg(unsup_dir, val_split="tail")  # another train part: the model saw its validation
    data = load_data(other)
    with pytest.raises(DataError, match="another validation split"):
        get_teacher_targets(data, get_tokenizer(data, other), 1024, teacher_model=str(saved_model))
    with pytest.raises(DataError, match="holds no saved model"):
        get_teacher_targets(data, get_tokenizer(data, other), 1024, teacher_model=str(tmp_path))


def test_the_key_holds_the_teacher_models_content_not_its_place(
    unsup_dir: Path, saved_model: Path, tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(saved_model, copy)
    knobs = {"teacher": "baseline"}
    runs = [
        build_run_config("cnn", overrides=knobs, data=_cfg(unsup_dir, teacher_model=m))
        for m in (None, str(saved_model), str(copy))
    ]
    keys = [replay_key(run, "fp", 1) for run in runs]
    assert keys[0] != keys[1] and keys[1] == keys[2]


def test_the_command_line_names_a_teacher_model_and_a_bad_one_is_one_sentence(
    unsup_dir: Path, tmp_path: Path
) -> None:
    from core.cli import build_parser, data_config_from
    from tests.core.test_cli import _run

    args = build_parser().parse_args(["train", "--teacher", "baseline", "--teacher-model", "m"])
    assert data_config_from(args).teacher_model == "m" and args.teacher == "baseline"
    out = _run(
        "train", "--data", str(unsup_dir), "--vocab-size", "1000", "--max-steps", "10",
        "--teacher", "baseline", "--teacher-model", str(tmp_path / "nothing"), "--no-save",
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    assert "holds no saved model" in out.stderr and "Traceback" not in out.stderr
