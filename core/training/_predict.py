"""Use a stored model: predict a review's label and say which words drove it.

- :func:`core.results.list_saved_runs` finds stored models (a runs folder, the committed example
  models; a study's best trial: :func:`core.studies.find_best_run_dir`);
- :func:`export_model` writes a stored model in half precision (``study keep-best``), small
  enough to commit beside the example studies;
- :func:`load_model` loads one (``from_pretrained`` on ``run_dir/model``, tokenizer beside it);
- :func:`predict` gives the label, its probability and per-word attributions: for the CNN, the
  windows its max-pool picked, weighted by what each picked filter adds to the predicted class's
  logit; for the RNN, occlusion (the drop in probability when a word is removed);

A review is encoded exactly as in training: the tokenizer without special tokens, cut at
``max_length``, padded by :class:`~core.training._batching.PadCollator` the way the model's config says.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import (
    AutoModelForSequenceClassification,
    PreTrainedModel,
    PreTrainedTokenizerFast,
)

import core.models  # noqa: F401 - registers the model classes with the Auto classes
from core.errors import ExplorerError
from core.knobs import family_of
from core.models.configuration import TextClassifierConfig
from core.settings import ensure_writable
from core.training._batching import build_collator

OCCLUSION_BATCH = 64


# --------------------------------------------------------------------------------------------
# Loading and exporting stored models
# --------------------------------------------------------------------------------------------


@dataclass
class LoadedModel:
    """A model in eval mode with its tokenizer."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerFast
    run_dir: str

    @property
    def config(self) -> TextClassifierConfig:
        return self.model.config

    @property
    def family(self) -> str:
        return family_of(self.model.config)

    @property
    def label_names(self) -> list[str]:
        return [self.config.id2label[i] for i in range(self.config.num_labels)]


def _load_config(run_dir: Path) -> TextClassifierConfig:
    from transformers import AutoConfig

    return AutoConfig.from_pretrained(str(run_dir / "model"))


def load_model(run_dir: str | Path) -> LoadedModel:
    """Load the model and tokenizer saved under ``run_dir/model``."""
    folder = Path(run_dir) / "model"
    if not (folder / "config.json").exists():
        raise ExplorerError(f"No saved model in {run_dir}; train a run with saving on first.")
    try:
        # float32 whatever the file holds: the committed examples are stored in float16
        model = AutoModelForSequenceClassification.from_pretrained(str(folder), dtype=torch.float32)
        tokenizer = PreTrainedTokenizerFast.from_pretrained(str(folder))
    except (OSError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ExplorerError(f"Cannot load the model in {run_dir} ({first}).") from None
    model.eval()
    return LoadedModel(model, tokenizer, str(run_dir))


def check_export_target(target: str | Path, force: bool = False) -> None:
    """Refuse, before anything is trained or written, a target that is a file, or a folder that
    already holds something unless ``force`` (the message names the flag)."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise ExplorerError(f"Cannot export to {target}: it is a file; name a folder.")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise ExplorerError(
            f"{target} already holds an exported model; add --force to replace it, or name "
            "another folder."
        )


def export_model(run_dir: str | Path, target: str | Path, force: bool = False) -> Path:
    """Copy the model in ``run_dir`` to ``target`` with float16 weights (half the bytes; the
    predictions of these small models do not change) and its ``result.json``. A target that
    holds something already is replaced only with ``force``."""
    ensure_writable("export a model")
    check_export_target(target, force)
    loaded = load_model(run_dir)
    target = Path(target)
    if force and target.is_dir():
        shutil.rmtree(target)
    (target / "model").mkdir(parents=True, exist_ok=True)
    loaded.model.to(torch.float16).save_pretrained(target / "model")
    loaded.tokenizer.save_pretrained(target / "model")
    result = Path(run_dir) / "result.json"
    if result.exists():
        data = json.loads(result.read_text())
        data["run_dir"] = str(target)
        (target / "result.json").write_text(json.dumps(data, indent=2))
    return target


# --------------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------------


@dataclass
class Encoded:
    """A review as the model sees it, and the words its tokens came from."""

    token_ids: list[int]  # real tokens only, cut at max_length
    token_words: list[int]  # word index of each token
    words: list[tuple[int, int]]  # (start, end) character span of each word in the text
    truncated: bool


def encode(loaded: LoadedModel, text: str) -> Encoded:
    """Tokenize ``text`` as in training (no special tokens) and cut it to max_length.

    ``truncation_side="left"`` keeps the review's last max_length tokens, ``"right"`` its first.
    """
    enc = loaded.tokenizer.backend_tokenizer.encode(text, add_special_tokens=False)
    limit = loaded.config.max_length
    n = len(enc.ids)
    left = loaded.config.truncation_side == "left"
    start, end = (max(0, n - limit), n) if left else (0, min(n, limit))
    ids, word_ids = enc.ids[start:end], enc.word_ids[start:end]
    offsets = enc.offsets[start:end]
    words: list[tuple[int, int]] = []
    token_words: list[int] = []
    last_word = None
    for wid, (w_start, w_end) in zip(word_ids, offsets, strict=True):
        if wid != last_word or not words:
            words.append((w_start, w_end))
            last_word = wid
        else:
            words[-1] = (words[-1][0], w_end)
        token_words.append(len(words) - 1)
    if not ids:  # an empty review still needs one token, as in training
        unk = loaded.tokenizer.unk_token_id or 0
        return Encoded([unk], [0], [(0, 0)], False)
    return Encoded(ids, token_words, words, n > limit)


def batch_inputs(loaded: LoadedModel, sequences: list[list[int]]) -> dict[str, torch.Tensor]:
    collate = build_collator(loaded.config)  # the batches the model was trained on
    return collate([{"input_ids": s or [loaded.tokenizer.unk_token_id or 0]} for s in sequences])


@torch.no_grad()
def predict_proba(loaded: LoadedModel, sequences: list[list[int]]) -> torch.Tensor:
    """Class probabilities, ``(len(sequences), labels)``."""
    out = []
    for i in range(0, len(sequences), OCCLUSION_BATCH):
        logits = loaded.model(**batch_inputs(loaded, sequences[i : i + OCCLUSION_BATCH])).logits
        out.append(torch.softmax(logits, dim=-1))
    return torch.cat(out)


# --------------------------------------------------------------------------------------------
# Prediction and attributions
# --------------------------------------------------------------------------------------------


@dataclass
class Prediction:
    """The label, its probability, and one score per word (positive: pushed toward the label)."""

    label: str
    probability: float
    probabilities: dict[str, float]
    text: str
    words: list[tuple[int, int]]  # character spans in ``text``
    scores: list[float]  # one per word, same order
    method: str  # "max-pool windows", "pooled windows" (max and mean) or "occlusion"
    truncated: bool


def predict(loaded: LoadedModel, text: str) -> Prediction:
    """Predict ``text``'s label and attribute the decision to its words."""
    if not text.strip():
        raise ExplorerError("Type or paste a text first.")
    enc = encode(loaded, text)
    probs = predict_proba(loaded, [enc.token_ids])[0]
    label_id = int(probs.argmax())
    if loaded.family == "cnn":
        token_scores = cnn_token_scores(loaded, enc.token_ids, label_id)
        scores = [0.0] * len(enc.words)
        for t, w in enumerate(enc.token_words):
            scores[w] += token_scores[t]
        method = "max-pool windows" if loaded.config.filter_pooling == "max" else "pooled windows"
    else:
        scores = occlusion_word_scores(loaded, enc, label_id)
        method = "occlusion"
    names = loaded.label_names
    return Prediction(
        label=names[label_id],
        probability=float(probs[label_id]),
        probabilities={n: float(p) for n, p in zip(names, probs, strict=True)},
        text=text,
        words=enc.words,
        scores=scores,
        method=method,
        truncated=enc.truncated,
    )


@torch.no_grad()
def cnn_token_scores(loaded: LoadedModel, token_ids: list[int], label_id: int) -> list[float]:
    """Per-token share of the label's logit margin, from the windows the pooling read.

    Each filter's pooled value ``v`` reaches the logits through the classifier, adding
    ``v * (w[label] - mean of w[other labels])`` to the label's margin. For the max, that amount
    is spread evenly over the real tokens of the window where the filter peaked; for the mean
    (``filter_pooling = "max_mean"``), each window's own activation over the number of windows
    is spread over that window's tokens. The scores add up to the margin, less the classifier's
    bias and any share that fell on padding.
    """
    model, cfg = loaded.model, loaded.config
    batch = batch_inputs(loaded, [token_ids])
    n = len(token_ids)
    x = model.embed(batch["input_ids"]).transpose(1, 2)  # (1, embed, seq)
    weight = model.classifier.weight  # (labels, filters * widths * pools)
    others = [i for i in range(weight.shape[0]) if i != label_id]
    margin_w = weight[label_id] - weight[others].mean(dim=0)  # (filters * widths * pools,)
    scores = [0.0] * n

    def spread(share: float, start: int, k: int) -> None:
        for t in range(start, min(start + k, n)):  # a window's tokens inside the review
            scores[t] += share / k

    columns = model.classifier_columns()
    for i, conv in enumerate(model.convs):
        k = conv.kernel_size[0]
        h = torch.relu(conv(x))[0]  # (filters, seq - k + 1)
        windows = h.shape[1]
        if cfg.mask_padding:
            windows = min(max(n - k, 0) + 1, windows)  # the windows that start inside the review
            h[:, windows:] = 0.0
        for _, pool, cols in (c for c in columns if c[0] == i):
            w = margin_w[cols]  # (filters,): this pool's columns
            if pool == "max":  # the filter's peak window carries it all
                values, starts = h.max(dim=1)  # (filters,)
                for f in range(h.shape[0]):
                    spread(float(values[f] * w[f]), int(starts[f]), k)
            else:  # the mean: each window its own activation over the number of windows
                per_window = (w[:, None] * h).sum(dim=0) / windows
                for start in range(windows):
                    spread(float(per_window[start]), start, k)
    return scores


def occlusion_word_scores(loaded: LoadedModel, enc: Encoded, label_id: int) -> list[float]:
    """Per word: the label's probability minus its probability with that word removed."""
    n_words = len(enc.words)
    variants = [enc.token_ids]
    for w in range(n_words):
        variants.append(
            [t for t, tw in zip(enc.token_ids, enc.token_words, strict=True) if tw != w]
        )
    probs = predict_proba(loaded, variants)[:, label_id]
    return [float(probs[0] - probs[1 + w]) for w in range(n_words)]
