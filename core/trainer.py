"""Train one run with ``transformers.Trainer`` and report honest numbers.

:func:`train_run` takes a :class:`~core.config.RunConfig` and returns a :class:`RunResult`:
the learning curve, the best validation accuracy and its step, the test accuracy of that best
checkpoint (scored once, on the whole test split), parameter count, wall time and training
throughput. Model selection (best checkpoint, early stopping) reads validation only.

The trainer knows nothing of any UI: progress and cancellation go through the
``TrainerCallback`` objects the caller passes (setting ``control.should_training_stop`` cancels).
"""

from __future__ import annotations

import dataclasses
import json
import math
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from datasets import DatasetDict
from transformers import (
    PreTrainedModel,
    PreTrainedTokenizerFast,
    PrinterCallback,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    set_seed,
)

from core.config import DataConfig, RunConfig, TextClassifierConfig, validate
from core.data import TextData, load_data
from core.models import build_model, count_parameters
from core.settings import ensure_writable, get_runs_dir
from core.tokenizer import PadCollator, get_tokenizer, tokenize_splits

STATUSES = ("completed", "early_stopped", "cancelled", "diverged")


@dataclass
class PreparedData:
    """Data, tokenizer and token ids for one :class:`DataConfig`; built once per process."""

    data: TextData
    tokenizer: PreTrainedTokenizerFast
    tokenized: DatasetDict

    @property
    def label_names(self) -> list[str]:
        return self.data.label_names


def prepare_data(cfg: DataConfig) -> PreparedData:
    """Load, tokenize (cached on disk) and keep in memory for the next run with the same data."""
    key = tuple(tuple(v) if isinstance(v, list) else v for v in dataclasses.astuple(cfg))
    if key not in _PREPARED:
        data = load_data(cfg)
        tokenizer = get_tokenizer(data, cfg)
        _PREPARED[key] = PreparedData(data, tokenizer, tokenize_splits(data, tokenizer, cfg))
        while len(_PREPARED) > 4:
            _PREPARED.pop(next(iter(_PREPARED)))
    return _PREPARED[key]


_PREPARED: dict[tuple, PreparedData] = {}  # read-only after creation: safe to share


@dataclass
class RunResult:
    """What a run produced. ``status`` is one of :data:`STATUSES`."""

    status: str
    history: list[dict[str, float]]  # step, train_loss, val_accuracy, val_loss
    best_val_accuracy: float | None
    best_step: int | None
    test_accuracy: float | None
    test_size: int
    params: int
    wall_s: float
    train_samples_per_s: float
    steps: int
    run_dir: str | None = None
    message: str = ""
    config: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The headline numbers (the CLI's last line)."""
        return {
            "status": self.status,
            "best_val_accuracy": self.best_val_accuracy,
            "best_step": self.best_step,
            "test_accuracy": self.test_accuracy,
            "test_size": self.test_size,
            "train_samples_per_s": round(self.train_samples_per_s, 1),
            "wall_s": round(self.wall_s, 2),
            "params": self.params,
            "steps": self.steps,
            "run_dir": self.run_dir,
            "message": self.message,
        }

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Diverged(Exception):
    """The training loss became NaN or infinite."""


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
    """``Trainer`` that stops at the first non-finite loss and times its evaluations."""

    eval_seconds = 0.0

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        result = super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        loss = result[0] if return_outputs else result
        if model.training and not torch.isfinite(loss.detach()).all():
            raise Diverged(
                f"the training loss became {loss.item()} at step {self.state.global_step + 1}"
            )
        return result

    def evaluate(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return super().evaluate(*args, **kwargs)
        finally:
            self.eval_seconds += time.perf_counter() - t0


def _accuracy(pred) -> dict[str, float]:
    return {"accuracy": float((np.asarray(pred.predictions) == np.asarray(pred.label_ids)).mean())}


def _argmax(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return logits.argmax(dim=-1)


def new_run_dir(family: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return get_runs_dir() / f"{stamp}-{family}-{uuid.uuid4().hex[:6]}"


def build_collator(cfg: TextClassifierConfig) -> PadCollator:
    """The batch builder a model was trained with (prediction must use the same)."""
    return PadCollator(
        cfg.max_length, cfg.pad_token_id or 0, cfg.padding, cfg.min_pad_length, cfg.truncation_side
    )


def build_trainer(
    run: RunConfig,
    prepared: PreparedData,
    model: PreTrainedModel,
    output_dir: str,
    callbacks: list[TrainerCallback] = (),
) -> _ExplorerTrainer:
    """The ``Trainer`` for ``run``: validation every ``eval_steps``, nothing written to disk."""
    t = run.train
    args = TrainingArguments(
        output_dir=output_dir,
        max_steps=t.max_steps,
        per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=t.eval_batch_size,
        learning_rate=t.learning_rate,
        weight_decay=t.weight_decay,
        lr_scheduler_type=t.lr_scheduler_type,
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
    )
    cfg = run.model
    collator = build_collator(cfg)
    trainer = _ExplorerTrainer(
        model=model,
        args=args,
        data_collator=collator,
        train_dataset=prepared.tokenized["train"],
        eval_dataset=prepared.tokenized["validation"],
        compute_metrics=_accuracy,
        preprocess_logits_for_metrics=_argmax,
        callbacks=list(callbacks),
    )
    trainer.remove_callback(PrinterCallback)  # progress is the caller's business (callbacks)
    return trainer


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

    A run whose loss becomes NaN/inf is stopped at once and returned with ``status="diverged"``.
    A callback that sets ``control.should_training_stop`` ends it as ``"cancelled"`` (test not
    scored). With ``save`` (or when ``save(result)`` says so), the best model and its tokenizer go
    to ``run_dir`` (a new folder under the runs directory by default) with ``result.json``.
    """
    ensure_writable("train a model")
    validate(run)
    prepared = prepared or prepare_data(run.data)
    tokenizer = prepared.tokenizer
    cfg = run.model
    cfg.vocab_size = len(tokenizer)
    cfg.pad_token_id = tokenizer.pad_token_id
    cfg.id2label = dict(enumerate(prepared.label_names))
    cfg.label2id = {n: i for i, n in enumerate(prepared.label_names)}
    cfg.num_labels = len(prepared.label_names)

    set_seed(run.train.seed)
    model = build_model(cfg)
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
        steps = trainer.state.global_step
        train_s = time.perf_counter() - t0 - trainer.eval_seconds
        if status == "completed":
            if best.early_stopped:
                status = "early_stopped"
            elif steps < run.train.max_steps:
                status = "cancelled"
        if best.best_state is not None:
            model.load_state_dict(best.best_state)
        test_accuracy = None
        test_size = len(prepared.tokenized["test"])
        if evaluate_test and status != "cancelled" and best.best_state is not None:
            out = trainer.predict(prepared.tokenized["test"], metric_key_prefix="test")
            test_accuracy = float(out.metrics["test_accuracy"])
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
    )
    if status != "cancelled" and (save(result) if callable(save) else save):
        ensure_writable("save a model")
        target = run_dir or new_run_dir(run.family)
        target.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(target / "model")
        tokenizer.save_pretrained(target / "model")
        result.run_dir = str(target)
        (target / "result.json").write_text(json.dumps(result.to_dict(), indent=2, default=str))
    return result
