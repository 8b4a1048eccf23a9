"""Trainer: real steps on tiny data, statuses, determinism, saving."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, TrainerCallback

from core.knobs._fields import DataConfig
from core.training import _trainer
from core.training._config import build_run_config
from core.training._prepared import prepare_data
from core.training._trainer import RunStopped, rehearse, train_run

TINY = {
    "embedding_dim": 16,
    "max_length": 64,
    "eval_steps": 10,
    "max_steps": 40,
    "learning_rate": 0.01,
    "batch_size": 32,
}


def test_cnn_learns_and_reports(tiny_data: DataConfig, tmp_path: Path) -> None:
    run = build_run_config(
        "cnn",
        overrides=TINY | {"num_filters": 16, "max_steps": 75, "eval_steps": 20},
        data=tiny_data,
    )
    result = train_run(run, run_dir=tmp_path / "run")
    assert result.status == "completed"
    assert [h["step"] for h in result.history] == [20, 40, 60, 75]  # and the last step
    losses = [h["train_loss"] for h in result.history]
    assert losses[-1] < losses[0]
    assert all({"train_loss", "val_accuracy", "val_loss"} <= set(h) for h in result.history)
    assert result.best_val_accuracy == max(h["val_accuracy"] for h in result.history)
    assert result.best_val_accuracy > 0.8  # the cue words are easy
    assert result.best_step in (20, 40, 60, 75)
    assert result.test_size == 200 and result.test_accuracy > 0.8
    assert result.params > 0 and result.wall_s > 0 and result.train_samples_per_s > 0
    assert result.steps == 75


def test_saved_model_and_result_reload(tiny_data: DataConfig, tmp_path: Path) -> None:
    run = build_run_config("rnn", overrides=TINY | {"hidden_size": 16}, data=tiny_data)
    result = train_run(run, run_dir=tmp_path / "run")
    model = AutoModelForSequenceClassification.from_pretrained(tmp_path / "run" / "model")
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "run" / "model")
    assert model.config.id2label == {0: "0", 1: "1"}
    assert model.config.vocab_size == len(tokenizer)
    enc = tokenizer(
        ["a wonderful brilliant film", "an awful boring film"],
        return_tensors="pt",
        padding=True,
        add_special_tokens=False,
    )
    preds = model(**enc).logits.argmax(-1).tolist()
    assert preds == [1, 0]
    saved = json.loads((tmp_path / "run" / "result.json").read_text())
    assert saved["test_accuracy"] == result.test_accuracy
    assert saved["config"]["model"]["model_type"] == "text_rnn"


@pytest.mark.parametrize("family", ["cnn", "rnn"])
def test_runs_are_deterministic_for_a_seed(tiny_data: DataConfig, family: str) -> None:
    """The same data, config and seed give the same numbers, bit for bit (what replay relies
    on); another seed gives others."""

    def run(seed: int):
        overrides = TINY | {"seed": seed, "max_steps": 20}
        return build_run_config(family, overrides=overrides, data=tiny_data)

    a = train_run(run(1), save=False)
    b = train_run(run(1), save=False)
    c = train_run(run(2), save=False)
    assert a.history == b.history
    assert (a.best_val_accuracy, a.test_accuracy) == (b.best_val_accuracy, b.test_accuracy)
    assert a.history != c.history


def test_divergence_is_reported_not_raised(tiny_data: DataConfig, tmp_path: Path) -> None:
    """Weights that turn NaN (as after an overflow) make a NaN loss: stopped, not raised."""

    class Overflow(TrainerCallback):
        def on_step_end(self, args, state, control, model=None, **kwargs):
            if state.global_step == 3:
                with torch.no_grad():
                    model.classifier.weight.fill_(float("nan"))

    run = build_run_config("cnn", overrides=TINY | {"max_steps": 200}, data=tiny_data)
    result = train_run(run, [Overflow()], run_dir=tmp_path / "run")
    assert result.status == "diverged"
    assert result.steps < 10
    assert result.message.startswith("Stopped: the training loss became nan")
    assert result.run_dir is None and not (tmp_path / "run").exists()  # nothing to Predict


def test_an_exploding_finite_loss_is_diverged(tiny_data: DataConfig, tmp_path: Path) -> None:
    """Learning rate 10: the loss stays finite but climbs far above a uniform guess's."""
    run = build_run_config(
        "cnn", overrides=TINY | {"learning_rate": 10.0, "max_steps": 200}, data=tiny_data
    )
    result = train_run(run, run_dir=tmp_path / "run")
    assert result.status == "diverged", result.summary()
    assert "exploded" in result.message and "lower the learning rate" in result.message
    assert result.steps < 200
    assert result.run_dir is None and not (tmp_path / "run").exists()


def test_a_callback_can_stop_the_run_during_evaluation(tiny_data: DataConfig) -> None:
    class StopWhileScoring(TrainerCallback):
        def on_prediction_step(self, args, state, control, **kwargs):
            raise RunStopped("cancelled")

    run = build_run_config("cnn", overrides=TINY, data=tiny_data)
    result = train_run(run, [StopWhileScoring()], save=True)
    assert result.status == "cancelled"
    assert result.steps == 10 and result.test_accuracy is None and result.run_dir is None


def test_scores_do_not_depend_on_batching(tiny_data: DataConfig) -> None:
    """Large length-sorted scoring batches give each review the prediction and the class
    probabilities it gets alone."""
    import torch

    from core.models import build_model
    from core.training._batching import build_collator
    from core.training._scoring import score_split
    from core.training._trainer import fit_to_data

    prepared = prepare_data(tiny_data)
    for family in ("cnn", "rnn"):
        run = build_run_config(family, overrides=TINY, data=tiny_data)
        cfg = fit_to_data(run.model, prepared)
        torch.manual_seed(0)
        model = build_model(cfg).eval()
        split = prepared.splits["test"]
        score = score_split(model, split, build_collator(cfg))
        collator = build_collator(cfg)
        with torch.inference_mode():
            logits = [model(**collator([split[i]])).logits[0] for i in range(len(split))]
        alone = [int(x.argmax()) for x in logits]
        assert score.predictions.tolist() == alone
        probs = torch.stack([torch.softmax(x, dim=-1) for x in logits]).numpy()
        assert score.probabilities.shape == (len(split), cfg.num_labels)
        assert abs(score.probabilities - probs).max() < 1e-5
        assert score.accuracy == sum(
            p == y for p, y in zip(alone, split.labels, strict=True)
        ) / len(split)


def test_callback_cancels_the_run(tiny_data: DataConfig) -> None:
    class CancelAtFirstEval(TrainerCallback):
        def on_evaluate(self, args, state, control, **kwargs):
            control.should_training_stop = True

    run = build_run_config("cnn", overrides=TINY, data=tiny_data)
    result = train_run(run, [CancelAtFirstEval()], save=True)
    assert result.status == "cancelled"
    assert result.steps == 10 and result.test_accuracy is None and result.run_dir is None


def test_early_stopping_stops_on_a_plateau(tiny_data: DataConfig) -> None:
    run = build_run_config(
        "cnn",
        overrides=TINY
        | {
            "learning_rate": 1e-6,
            "max_steps": 200,
            "early_stopping_patience": 2,
            "lr_scheduler_type": "constant",
        },
        data=tiny_data,
    )
    result = train_run(run, save=False)
    assert result.status == "early_stopped"
    assert result.steps < 200
    assert result.steps - result.best_step == 2 * 10


def test_max_length_does_not_retokenize(tiny_data: DataConfig) -> None:
    first = prepare_data(tiny_data)
    for max_length in (16, 48):
        run = build_run_config(
            "cnn", overrides=TINY | {"max_length": max_length, "max_steps": 10}, data=tiny_data
        )
        assert prepare_data(run.data) is first
        assert train_run(run, save=False, evaluate_test=False).status == "completed"


def test_a_rehearsal_is_a_short_whole_run_that_keeps_nothing(
    tiny_data: DataConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker's rehearsal trains the run's first steps, scores validation and test, saves
    nothing and leaves the run it was given as it was."""
    monkeypatch.setenv("EXPLORER_RUNS", str(tmp_path / "runs"))
    results = []
    real = _trainer.train_run
    monkeypatch.setattr(_trainer, "train_run", lambda *a, **k: results.append(real(*a, **k)))
    run = build_run_config("cnn", overrides=TINY, data=tiny_data)
    rehearse(run, prepare_data(tiny_data))
    (result,) = results
    assert result.steps == _trainer.REHEARSAL_STEPS < run.train.max_steps == TINY["max_steps"]
    assert [h["step"] for h in result.history] == [_trainer.REHEARSAL_STEPS]
    assert result.test_accuracy is not None and result.run_dir is None
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("schedule", ["linear", "constant"])
def test_warmup_ratio_ramps_the_learning_rate(
    tiny_data: DataConfig, tmp_path: Path, schedule: str
) -> None:
    """warmup_ratio 0.25 of 40 steps: the rate starts at 0 and reaches learning_rate at step 10
    (for the constant schedule too); at 0, the default, it starts at learning_rate."""
    from core.models import build_model
    from core.training._trainer import build_trainer, fit_to_data

    def rates(warmup: float) -> list[float]:
        overrides = TINY | {"warmup_ratio": warmup, "lr_scheduler_type": schedule}
        run = build_run_config("cnn", overrides=overrides, data=tiny_data)
        prepared = prepare_data(run.data)
        model = build_model(fit_to_data(run.model, prepared))
        trainer = build_trainer(run, prepared, model, str(tmp_path))
        trainer.create_optimizer_and_scheduler(num_training_steps=run.train.max_steps)
        out = []
        for _ in range(11):
            out.append(trainer.lr_scheduler.get_last_lr()[0])
            trainer.optimizer.step()
            trainer.lr_scheduler.step()
        return out

    warm = rates(0.25)
    assert warm[0] == 0.0 and warm[5] == pytest.approx(0.005) and warm[10] == pytest.approx(0.01)
    assert rates(0.0)[0] == pytest.approx(0.01)


@pytest.mark.slow
def test_imdb_subset_end_to_end(imdb_dir: Path) -> None:
    """A short CNN run on 4,000 IMDB reviews learns well above chance."""
    data = DataConfig(
        data=str(imdb_dir), max_train_samples=4000, max_test_samples=2000, vocab_size=8000
    )
    run = build_run_config(
        "cnn",
        overrides={
            "max_length": 256,
            "max_steps": 150,
            "eval_steps": 50,
            "embedding_dim": 32,
            "num_filters": 32,
        },
        data=data,
    )
    result = train_run(run, save=False)
    assert result.status == "completed"
    assert result.test_size == 2000
    assert result.best_val_accuracy > 0.65 and result.test_accuracy > 0.65
