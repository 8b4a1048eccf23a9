"""Train one run with ``transformers.Trainer`` and report honest numbers.

:func:`train_run` takes a :class:`~core.training._config.RunConfig` and returns a :class:`RunResult`:
the learning curve, the best validation accuracy and its step, the test accuracy of that best
checkpoint (scored once, on the whole test split), parameter count, wall time and training
throughput. Model selection (best checkpoint, early stopping) reads validation only.

The trainer knows nothing of any UI: progress and cancellation go through the
``TrainerCallback`` objects the caller passes (setting ``control.should_training_stop`` cancels).
"""

from __future__ import annotations

import copy
import json
import math
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import torch
from transformers import (
    PreTrainedModel,
    PrinterCallback,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    set_seed,
)

from core.data import get_token_vectors
from core.models import build_model, count_parameters
from core.models.configuration import TextClassifierConfig
from core.results import RunResult
from core.settings import ensure_writable, get_runs_dir
from core.training._batching import LengthGroupedBatches, build_collator
from core.training._config import RunConfig, validate
from core.training._prepared import PreparedData, prepare_data
from core.training._scoring import is_unbalanced, macro_f1, score_split


class Diverged(Exception):
    """The training loss became NaN or infinite, or exploded far above its starting value."""


class RunStopped(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a callback to end a run at once, during training or evaluation (a cancel)."""


# A loss this many times ln(classes) (the loss of a uniform guess) for EXPLODED_STEPS steps in a
# row has exploded (a learning rate far too high), even when it stays finite.
EXPLODED_FACTOR = 20.0
EXPLODED_STEPS = 5
REHEARSAL_STEPS = 10  # the fewest steps a run may have


class _BestCheckpoint(TrainerCallback):
    """Keep the best validation weights in memory; early stopping; evaluate on the last step.

    In memory rather than ``load_best_model_at_end``: these models are a few MB, and skipping
    checkpoint files keeps hundreds of study trials off the disk.
    """

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.best: float | None = None
        self.best_step: int | None = None
        self.best_state: dict[str, torch.Tensor] | None = None
        self.bad_evals = 0
        self.early_stopped = False
        self.history: dict[int, dict[str, float]] = {}

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= state.max_steps:
            control.should_evaluate = True
            control.should_log = True

    def on_log(self, args, state, control, logs=None, **kwargs):
        row = self.history.setdefault(state.global_step, {"step": state.global_step})
        logs = logs or {}
        if "loss" in logs:
            row["train_loss"] = float(logs["loss"])
        if "eval_accuracy" in logs:
            row["val_accuracy"] = float(logs["eval_accuracy"])
            row["val_loss"] = float(logs["eval_loss"])

    def on_evaluate(self, args, state, control, metrics=None, model=None, **kwargs):
        acc = metrics["eval_accuracy"]
        if self.best is None or acc > self.best:
            self.best, self.best_step, self.bad_evals = acc, state.global_step, 0
            self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            self.bad_evals += 1
            if self.patience and self.bad_evals >= self.patience:
                self.early_stopped = True
                control.should_training_stop = True


class _ExplorerTrainer(Trainer):
    """``Trainer`` that stops on a diverging loss and evaluates with :func:`score_split`."""

    eval_seconds = 0.0
    _loss_limit = math.inf
    _loss_high_steps = 0

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        targets = inputs.pop("targets", None)
        if targets is None:
            result = super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        else:  # soft targets (a teacher's): cross-entropy against each review's distribution
            inputs = {k: v for k, v in inputs.items() if k != "labels"}
            outputs = model(**inputs)
            log_p = torch.log_softmax(outputs.logits.float(), dim=-1)
            loss = -(targets * log_p).sum(dim=-1).mean()
            result = (loss, outputs) if return_outputs else loss
        if model.training:
            self._check_loss(float((result[0] if return_outputs else result).detach()))
        return result

    def _check_loss(self, loss: float) -> None:
        done = self.state.global_step  # the steps completed, as the run's result counts them
        when = f"after step {done}" if done else "in the first step"
        if not math.isfinite(loss):
            raise Diverged(f"the training loss became {loss} {when}")
        self._loss_high_steps = self._loss_high_steps + 1 if loss > self._loss_limit else 0
        if self._loss_high_steps >= EXPLODED_STEPS:
            raise Diverged(
                f"the training loss exploded to {loss:.3g} {when} (a uniform guess "
                f"scores {self._loss_limit / EXPLODED_FACTOR:.2f}); lower the learning rate"
            )

    def _get_train_sampler(self, train_dataset=None):
        # The one place the training order is chosen (transformers' own hook for it).
        if self.args.train_sampling_strategy == "group_by_length":
            split = train_dataset if train_dataset is not None else self.train_dataset
            return LengthGroupedBatches(split.lengths.tolist(), self.args.train_batch_size)
        return super()._get_train_sampler(train_dataset)

    def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix="eval"):
        """Validation through :func:`score_split` (large length-sorted batches, inference mode),
        then the same logging and ``on_evaluate`` callbacks as ``Trainer.evaluate``."""
        t0 = time.perf_counter()
        split = eval_dataset if eval_dataset is not None else self.eval_dataset
        score = score_split(self.model, split, self.data_collator, on_batch=self.on_batch)
        metrics = {
            f"{metric_key_prefix}_loss": score.loss,
            f"{metric_key_prefix}_accuracy": score.accuracy,
        }
        self.log(metrics)
        self.control = self.callback_handler.on_evaluate(
            self.args, self.state, self.control, metrics
        )
        self.eval_seconds += time.perf_counter() - t0
        return metrics

    def on_batch(self) -> None:
        """Between evaluation batches: callbacks may stop the run (:class:`RunStopped`)."""
        self.control = self.callback_handler.on_prediction_step(self.args, self.state, self.control)


def new_run_dir(family: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return get_runs_dir() / f"{stamp}-{family}-{uuid.uuid4().hex[:6]}"


def build_trainer(
    run: RunConfig,
    prepared: PreparedData,
    model: PreTrainedModel,
    output_dir: str,
    callbacks: list[TrainerCallback] = (),
) -> _ExplorerTrainer:
    """The ``Trainer`` for ``run``: validation every ``eval_steps``, nothing written to disk.

    With ``group_by_length`` reviews of similar length share a batch, so batches carry little
    padding (:class:`~core.training._batching.LengthGroupedBatches`).
    """
    t = run.train
    args = TrainingArguments(
        output_dir=output_dir,
        max_steps=t.max_steps,
        per_device_train_batch_size=t.batch_size,
        learning_rate=t.learning_rate,
        weight_decay=t.weight_decay,
        # "constant" ignores a warm-up; its warm-up twin is the same schedule after it
        lr_scheduler_type="constant_with_warmup"
        if t.lr_scheduler_type == "constant" and t.warmup_ratio > 0
        else t.lr_scheduler_type,
        warmup_steps=t.warmup_ratio,  # a float below 1 is a share of max_steps
        train_sampling_strategy="group_by_length" if t.group_by_length else "random",
        eval_strategy="steps",
        eval_steps=t.eval_steps,
        logging_strategy="steps",
        logging_steps=t.eval_steps,
        logging_nan_inf_filter=False,
        save_strategy="no",
        seed=t.seed,
        data_seed=t.seed,
        report_to="none",
        disable_tqdm=True,
        remove_unused_columns=False,
        label_names=["labels"],
        dataloader_pin_memory=False,
        optim="adamw_torch_fused",  # one fused kernel per step, not several per parameter
    )
    trainer = _ExplorerTrainer(
        model=model,
        args=args,
        data_collator=build_collator(run.model),
        train_dataset=prepared.splits["train"],
        eval_dataset=prepared.splits["validation"],
        callbacks=list(callbacks),
    )
    trainer.remove_callback(PrinterCallback)  # progress is the caller's business (callbacks)
    trainer._loss_limit = EXPLODED_FACTOR * math.log(max(2, run.model.num_labels))
    return trainer


def fit_to_data(cfg: TextClassifierConfig, prepared: PreparedData) -> TextClassifierConfig:
    """Set the config's vocabulary, padding id and labels from the data (in place)."""
    cfg.vocab_size = len(prepared.tokenizer)
    cfg.pad_token_id = prepared.tokenizer.pad_token_id
    cfg.id2label = dict(enumerate(prepared.label_names))
    cfg.label2id = {n: i for i, n in enumerate(prepared.label_names)}
    cfg.num_labels = len(prepared.label_names)
    return cfg


def init_word_vectors(
    model: PreTrainedModel, cfg: TextClassifierConfig, prepared: PreparedData
) -> None:
    """Start ``model``'s embedding from word2vec vectors pretrained on the data's train part and
    unlabelled reviews (:mod:`core.data._word_vectors`, cached; trained here the first time), frozen
    when ``cfg.freeze_embeddings``."""
    vectors = get_token_vectors(
        prepared.data, prepared.tokenizer, cfg.embedding_dim, cfg.embedding_init_std
    )
    model.set_token_vectors(torch.from_numpy(vectors), freeze=cfg.freeze_embeddings)


def warm_up(run: RunConfig, prepared: PreparedData) -> None:
    """One small training step and one scoring of validation, thrown away: a process that will
    time a run pays torch's one-time start-up costs first."""
    validate(run)
    cfg = fit_to_data(copy.deepcopy(run.model), prepared)
    model = build_model(cfg)
    collator = build_collator(cfg)
    train = prepared.splits["train"]
    batch = collator(train.rows(range(min(len(train), run.train.batch_size))))
    model(**batch).loss.backward()
    score_split(model, prepared.splits["validation"], collator)


def rehearse(run: RunConfig, prepared: PreparedData) -> None:
    """The first ``REHEARSAL_STEPS`` of ``run`` as a whole run, validation and test scored, nothing
    saved. A job's worker does this before its first job: besides torch's start-up costs
    (:func:`warm_up`), a process's first run builds the Trainer's machinery and oneDNN's kernels
    for each batch shape it meets, which would otherwise slow the first job a user waits for."""
    short = copy.deepcopy(run)
    short.train.max_steps = short.train.eval_steps = REHEARSAL_STEPS
    train_run(short, save=False, prepared=prepared)


def train_run(
    run: RunConfig,
    callbacks: list[TrainerCallback] = (),
    *,
    save: bool | Callable[[RunResult], bool] = True,
    run_dir: Path | None = None,
    evaluate_test: bool = True,
    prepared: PreparedData | None = None,
) -> RunResult:
    """Train ``run`` and return its :class:`RunResult`.

    A run whose loss becomes NaN/inf, or explodes, is stopped at once and returned with
    ``status="diverged"``. A callback that sets ``control.should_training_stop`` (after a step)
    or raises :class:`RunStopped` (at any time, evaluation included) ends it as ``"cancelled"``
    (test not scored). With ``save`` (or when ``save(result)`` says so), the best model and its
    tokenizer go to ``run_dir`` (a new folder under the runs directory by default) with
    ``result.json``; a cancelled or diverged run saves nothing.
    """
    ensure_writable("train a model")
    validate(run)
    prepared = prepared or prepare_data(run.data)
    tokenizer = prepared.tokenizer
    cfg = fit_to_data(run.model, prepared)

    set_seed(run.train.seed)
    model = build_model(cfg)
    if cfg.embedding_init == "word2vec":
        init_word_vectors(model, cfg, prepared)
    params = count_parameters(model)
    best = _BestCheckpoint(run.train.early_stopping_patience)

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="explorer-trainer-") as scratch:
        trainer = build_trainer(run, prepared, model, scratch, [best, *callbacks])
        status, message = "completed", ""
        try:
            trainer.train()
        except Diverged as err:
            status, message = "diverged", f"Stopped: {err}."
        except RunStopped:
            status = "cancelled"
        steps = trainer.state.global_step
        train_s = time.perf_counter() - t0 - trainer.eval_seconds
        if status == "completed":
            if best.early_stopped:
                status = "early_stopped"
            elif steps < run.train.max_steps:
                status = "cancelled"
        if best.best_state is not None:
            model.load_state_dict(best.best_state)
        test_accuracy = test_macro_f1 = None
        test_size = len(prepared.splits["test"])
        if evaluate_test and status != "cancelled" and best.best_state is not None:
            try:
                test = score_split(
                    model, prepared.splits["test"], trainer.data_collator, trainer.on_batch
                )
                test_accuracy = test.accuracy
                labels = prepared.splits["test"].labels
                if is_unbalanced(labels):  # accuracy alone would flatter the large class
                    test_macro_f1 = macro_f1(test.predictions, labels)
            except RunStopped:
                status = "cancelled"
    wall_s = time.perf_counter() - t0

    samples = steps * run.train.batch_size
    result = RunResult(
        status=status,
        history=[best.history[s] for s in sorted(best.history)],
        best_val_accuracy=best.best,
        best_step=best.best_step,
        test_accuracy=test_accuracy,
        test_size=test_size,
        params=params,
        wall_s=wall_s,
        train_samples_per_s=samples / train_s if train_s > 0 else math.nan,
        steps=steps,
        message=message,
        config=run.to_dict(),
        threads=torch.get_num_threads(),
        data_fingerprint=prepared.fingerprint,
        dataset=prepared.data.name,
        test_macro_f1=test_macro_f1,
        test_carved=prepared.data.test_carved,
    )
    keep = status not in ("cancelled", "diverged")
    if keep and (save(result) if callable(save) else save):
        ensure_writable("save a model")
        target = run_dir or new_run_dir(run.family)
        target.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(target / "model")
        tokenizer.save_pretrained(target / "model")
        result.run_dir = str(target)
        (target / "result.json").write_text(json.dumps(result.to_dict(), indent=2, default=str))
    return result
