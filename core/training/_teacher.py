"""A teacher's class probabilities for the training reviews and the unlabelled ones (``teacher``).

Knowledge distillation: with ``teacher = "baseline"`` a network learns not only from the labels
of the training reviews but also from the class probabilities a teacher gives each training
review and each unlabelled review beside the data (:func:`core.data._word_vectors.unlabelled_texts`:
IMDB's 50,000). The teacher is the linear baseline (:mod:`core.data._baseline`: TF-IDF uni- and
bigrams, logistic regression), or, with ``teacher_model`` (a saved model's folder), the average
of the baseline and that model. A network and the bag of n-grams make different mistakes
(averaged, they score about a point above either on IMDB), and the unlabelled reviews carry the
average's view to many more texts than the labelled ones: the student is one network that
learns what the pair knows.

Fit as the baseline is: on the train part of the train/validation split, ``C`` chosen on
validation; a saved model must have been trained on the same train part (its data fingerprint is
checked: one trained on another split may have learnt this run's validation reviews), and its
weight in the average is chosen on validation too. Test is never read. The probabilities and the
unlabelled reviews' token ids are computed once per (data, unlabelled text, tokenizer, token
cap, baseline settings, saved model's content) and cached under ``<cache>/teacher/``; a file
lock makes a second process wait for the first.

scikit-learn comes in through :mod:`core.data._baseline` when fitting, torch only with a saved model.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.data import (
    BaselineSettings,
    computed_once,
    content_key,
    fit_baseline_model,
    texts_fingerprint,
    tokenizer_key,
    unlabelled_texts,
)
from core.errors import DataError
from core.results import model_fingerprint
from core.settings import get_cache_dir
from core.training._tokenizer import token_ids

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

    from core.data import TextData


# The saved model's weight in its average with the baseline, ``w * model + (1 - w) * baseline``:
# the grid over which validation chooses it.
MIX_WEIGHTS = tuple(round(0.1 * i, 1) for i in range(11))


@dataclass(frozen=True)
class TeacherTargets:
    """The teacher's class probabilities, and the unlabelled reviews' token ids."""

    train_probabilities: np.ndarray  # (train reviews, classes), in the data's train order
    unlabelled_ids: np.ndarray  # (tokens,) int32: the unlabelled reviews' ids laid end to end
    unlabelled_offsets: np.ndarray  # (unlabelled + 1,) int64
    unlabelled_probabilities: np.ndarray  # (unlabelled, classes)
    val_probabilities: np.ndarray  # (validation reviews, classes): to choose a mix, never to train
    val_accuracy: float  # the teacher's (the baseline's, or the average's), on validation
    c: float  # the baseline's C, chosen on validation
    fit_s: float  # fitting and scoring, tokenizing the unlabelled reviews included
    model_weight: float = 0.0  # a saved model's share in the average, chosen on validation

    @property
    def n_unlabelled(self) -> int:
        return len(self.unlabelled_offsets) - 1


# The fields kept as arrays in the cache file; the others are its JSON meta.
_ARRAYS = (
    "train_probabilities",
    "unlabelled_ids",
    "unlabelled_offsets",
    "unlabelled_probabilities",
    "val_probabilities",
)


def soft_targets(labels: np.ndarray, probabilities: np.ndarray, weight: float) -> np.ndarray:
    """Each review's target distribution: ``weight`` of the teacher's probabilities and the
    rest its own label (``weight`` 0: the label alone, as without a teacher)."""
    onehot = np.eye(probabilities.shape[1], dtype=np.float32)[np.asarray(labels, dtype=np.int64)]
    return ((1.0 - weight) * onehot + weight * probabilities).astype(np.float32)


def choose_weight(
    p_model: np.ndarray, p_base: np.ndarray, labels: np.ndarray
) -> tuple[float, dict[float, float]]:
    """The model's weight in ``w * p_model + (1 - w) * p_base`` that scores best on ``labels``
    (ties: the one nearest an even mix), and the accuracy at every weight of :data:`MIX_WEIGHTS`."""
    labels = np.asarray(labels)
    by_weight = {
        w: float(((w * p_model + (1 - w) * p_base).argmax(axis=1) == labels).mean())
        for w in MIX_WEIGHTS
    }
    best = max(by_weight.values())
    weight = min((w for w, a in by_weight.items() if a == best), key=lambda w: abs(w - 0.5))
    return weight, by_weight


def cache_path(
    data: TextData,
    tokenizer: PreTrainedTokenizerFast,
    max_tokens: int,
    settings: BaselineSettings,
    unlabelled_fingerprint: str,
    teacher_model: str | None = None,
) -> Path:
    """Where the teacher's targets for this data, tokenizer, settings and saved model are
    cached."""
    parts = {
        "data": data.fingerprint,
        "unlabelled": unlabelled_fingerprint,
        "tokenizer": tokenizer_key(tokenizer),  # its whole vocabulary included
        "max_tokens": max_tokens,
        "baseline": settings.key(),
    }
    if teacher_model:
        parts["model"] = model_fingerprint(teacher_model)
    key = content_key(parts)
    kind = "baseline+model" if teacher_model else "baseline"
    return get_cache_dir() / "teacher" / f"{kind}-{data.fingerprint}-{key}.npz"


def get_teacher_targets(
    data: TextData,
    tokenizer: PreTrainedTokenizerFast,
    max_tokens: int,
    settings: BaselineSettings | None = None,
    teacher_model: str | None = None,
) -> TeacherTargets:
    """The teacher's probabilities for ``data``'s train part and its unlabelled reviews (none
    for data without them), from the cache or computed and cached: the baseline's, or with
    ``teacher_model`` (a saved model's folder) their average with that model's, the model's
    weight chosen on validation."""
    settings = settings or BaselineSettings()
    if teacher_model:
        check_teacher_model(teacher_model, data)
    unlabelled = unlabelled_texts(data.source)
    path = cache_path(
        data, tokenizer, max_tokens, settings, texts_fingerprint(unlabelled), teacher_model
    )

    def compute() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        targets = _compute(data, tokenizer, max_tokens, settings, unlabelled)
        if teacher_model:
            targets = _with_model(targets, teacher_model, data, max_tokens, unlabelled)
        arrays = {k: getattr(targets, k) for k in _ARRAYS}
        return arrays, {k: v for k, v in vars(targets).items() if k not in _ARRAYS}

    stored, _ = computed_once(path, compute)
    return TeacherTargets(**{k: stored[k] for k in _ARRAYS}, **stored["meta"])


def _compute(
    data: TextData,
    tokenizer: PreTrainedTokenizerFast,
    max_tokens: int,
    settings: BaselineSettings,
    unlabelled: list[str],
) -> TeacherTargets:
    t0 = time.perf_counter()
    fit_on = ("train", "validation")  # never test
    texts = {name: list(data.splits[name]["text"]) for name in fit_on}
    labels = {name: list(data.splits[name]["label"]) for name in fit_on}
    fitted = fit_baseline_model(texts, labels, settings)
    classes = len(data.label_names)
    train_p = _in_label_order(fitted, fitted.predict_proba(texts["train"]), classes)
    if unlabelled:
        unlabelled_p = _in_label_order(fitted, fitted.predict_proba(unlabelled), classes)
    else:
        unlabelled_p = np.zeros((0, classes), dtype=np.float32)
    ids = token_ids(tokenizer, unlabelled, max_tokens) if unlabelled else []
    offsets = np.concatenate([[0], np.cumsum([len(x) for x in ids], dtype=np.int64)])
    flat = np.fromiter((t for x in ids for t in x), dtype=np.int32, count=int(offsets[-1]))
    val_p = _in_label_order(fitted, fitted.predict_proba(texts["validation"]), classes)
    return TeacherTargets(
        train_probabilities=train_p,
        unlabelled_ids=flat,
        unlabelled_offsets=offsets.astype(np.int64),
        unlabelled_probabilities=unlabelled_p,
        val_probabilities=val_p,
        val_accuracy=fitted.val_accuracy,
        c=fitted.c,
        fit_s=time.perf_counter() - t0,
    )


def check_teacher_model(folder: str, data: TextData) -> None:
    """Refuse a saved model that was not trained on this data's train part: one trained on
    another split may have learnt this run's validation reviews, and would teach them."""
    result = Path(folder) / "result.json"
    if not (Path(folder) / "model" / "config.json").exists() or not result.exists():
        raise DataError(
            f"teacher_model {folder} holds no saved model with its result.json; name a folder "
            "that training or 'study keep-best' wrote."
        )
    trained_on = json.loads(result.read_text()).get("data_fingerprint")
    if trained_on != data.fingerprint:
        raise DataError(
            f"teacher_model {folder} was trained on other data or another validation split "
            f"({trained_on}) than this run ({data.fingerprint}): a teacher must not have seen "
            "this run's validation reviews."
        )


def _with_model(
    base: TeacherTargets, folder: str, data: TextData, max_tokens: int, unlabelled: list[str]
) -> TeacherTargets:
    """The baseline's probabilities averaged with the saved model's, the model's weight chosen
    on validation (:func:`choose_weight`); test is never read."""
    import core.models  # noqa: F401 - registers the model classes with the Auto classes
    from core.training._batching import TokenizedSplit, build_collator
    from core.training._predict import load_model
    from core.training._scoring import score_split

    t0 = time.perf_counter()
    loaded = load_model(folder)
    collator = build_collator(loaded.config)

    def probabilities(texts: list[str]) -> np.ndarray:
        ids = token_ids(loaded.tokenizer, texts, max_tokens)  # as the model was trained
        reviews = TokenizedSplit.from_ids(ids, np.zeros(len(ids), dtype=np.int64))
        return score_split(loaded.model, reviews, collator).probabilities

    splits = data.splits
    val_labels = np.asarray(splits["validation"]["label"])
    weight, by_weight = choose_weight(
        probabilities(list(splits["validation"]["text"])), base.val_probabilities, val_labels
    )

    def mix(p_base: np.ndarray, texts: list[str]) -> np.ndarray:
        if not len(texts):
            return p_base
        return (weight * probabilities(texts) + (1 - weight) * p_base).astype(np.float32)

    return dataclasses.replace(
        base,
        train_probabilities=mix(base.train_probabilities, list(splits["train"]["text"])),
        unlabelled_probabilities=mix(base.unlabelled_probabilities, unlabelled),
        val_accuracy=by_weight[weight],
        fit_s=base.fit_s + time.perf_counter() - t0,
        model_weight=weight,
    )


def _in_label_order(fitted, probabilities: np.ndarray, classes: int) -> np.ndarray:
    """The classifier's columns are the label ids it saw in training; put each in its id's
    column (a class it never saw gets probability 0)."""
    out = np.zeros((len(probabilities), classes), dtype=np.float32)
    out[:, np.asarray(fitted.classifier.classes_, dtype=np.int64)] = probabilities
    return out
