"""Score a model on a whole split: large length-sorted batches under ``inference_mode``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from transformers import PreTrainedModel

from core.training._batching import PadCollator, TokenizedSplit, eval_batches


@dataclass
class SplitScore:
    """A model's accuracy and mean loss on a split, and its prediction and class probabilities
    for every review."""

    accuracy: float
    loss: float
    predictions: np.ndarray  # in the split's order
    probabilities: np.ndarray  # (reviews, classes), the same order


def score_split(
    model: PreTrainedModel,
    split: TokenizedSplit,
    collator: PadCollator,
    on_batch: Callable[[], None] | None = None,
) -> SplitScore:
    """Score every review of ``split``: large length-sorted batches under ``inference_mode``.

    The model sees each review as in training (``collator``); with ``mask_padding`` a
    prediction does not depend on which reviews share its batch.
    """
    was_training = model.training
    model.eval()
    predictions = np.empty(len(split), dtype=np.int64)
    probabilities = np.empty((len(split), model.config.num_labels), dtype=np.float32)
    loss_sum = 0.0
    try:
        with torch.inference_mode():
            for batch in eval_batches(split, collator):
                index, labels = batch.pop("index"), batch.pop("labels")
                logits = model(**batch).logits
                loss_sum += float(nn.functional.cross_entropy(logits, labels, reduction="sum"))
                rows = index.numpy()
                predictions[rows] = logits.argmax(dim=-1).numpy()
                probabilities[rows] = torch.softmax(logits.float(), dim=-1).numpy()
                if on_batch is not None:
                    on_batch()
    finally:
        model.train(was_training)
    n = max(1, len(split))
    accuracy = float((predictions == split.labels).mean())
    return SplitScore(accuracy, loss_sum / n, predictions, probabilities)


def macro_f1(predictions: np.ndarray, labels: np.ndarray) -> float:
    """The mean over classes (those in ``labels`` or ``predictions``) of each class's F1."""
    classes = np.union1d(labels, predictions)
    scores = []
    for c in classes:
        tp = float(np.sum((predictions == c) & (labels == c)))
        false = float(np.sum((predictions == c) != (labels == c)))  # false positives + negatives
        scores.append(2 * tp / (2 * tp + false) if tp + false else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def is_unbalanced(labels: np.ndarray, ratio: float = 1.5) -> bool:
    """Whether the largest class outnumbers the smallest by more than ``ratio``: accuracy then
    flatters a model that favours the large class, and macro-F1 is shown beside it."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64))
    counts = counts[counts > 0]
    return bool(len(counts) > 1 and counts.max() > ratio * counts.min())
