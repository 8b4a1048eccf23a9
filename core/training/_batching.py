"""Token ids in memory, and the batches built from them.

A tokenized split is kept as three numpy arrays (:class:`TokenizedSplit`): every review's ids
laid end to end, the offsets where each review starts, and the labels. Reading a review is a
slice, not a row lookup in an Arrow table, so building a batch costs microseconds.

- :class:`PadCollator` cuts each review to ``max_length`` and pads the batch.
- :class:`LengthGroupedBatches` groups training reviews of similar length into batches (with
  transformers' length grouping), so a batch carries little padding.
- :func:`eval_batches` cuts a length-sorted split into large batches of a bounded token count,
  for evaluation under ``torch.inference_mode``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from datasets import Dataset
from transformers.trainer_pt_utils import get_length_grouped_indices

if TYPE_CHECKING:
    from core.models.configuration import TextClassifierConfig

# Evaluation batches: at most this many reviews, and this many tokens once padded.
EVAL_MAX_ROWS = 1024
EVAL_MAX_TOKENS = 131_072


@dataclass(frozen=True)
class TokenizedSplit(torch.utils.data.Dataset):
    """One split's token ids: review ``i`` is ``ids[offsets[i]:offsets[i + 1]]``.

    ``sorted_by_length`` (validation and test): reviews are ordered longest first, so
    :func:`eval_batches` gives batches with little padding.
    """

    ids: np.ndarray  # (total tokens,) int32
    offsets: np.ndarray  # (n + 1,) int64
    labels: np.ndarray  # (n,) int64
    sorted_by_length: bool = False
    # (n, classes) float32: each review's target distribution, where it is not its label alone
    # (a teacher's probabilities, core.training._teacher); None: the labels
    targets: np.ndarray | None = None

    @classmethod
    def from_dataset(cls, ds: Dataset, sorted_by_length: bool = False) -> TokenizedSplit:
        """Columns ``input_ids`` and ``label`` of a (disk-cached) ``datasets.Dataset``, copied out of
        Arrow once."""
        column = ds.data.table.column("input_ids").combine_chunks()
        offsets = column.offsets.to_numpy().astype(np.int64)
        ids = column.values.to_numpy().astype(np.int32)
        if offsets[0]:  # a sliced Arrow array starts mid-buffer
            ids, offsets = ids[offsets[0] : offsets[-1]], offsets - offsets[0]
        labels = np.asarray(ds.data.table.column("label").to_numpy(), dtype=np.int64)
        return cls(ids, offsets, labels, sorted_by_length)

    @classmethod
    def from_ids(cls, ids: list[list[int]], labels: np.ndarray) -> TokenizedSplit:
        """Reviews' token ids (:func:`core.training._tokenizer.token_ids`) and labels, in their order."""
        offsets = np.concatenate([[0], np.cumsum([len(x) for x in ids])]).astype(np.int64)
        flat = np.fromiter((t for x in ids for t in x), dtype=np.int32, count=int(offsets[-1]))
        return cls(flat, offsets, np.asarray(labels, dtype=np.int64))

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, Any]:
        row = {
            "input_ids": self.ids[self.offsets[i] : self.offsets[i + 1]],
            "label": int(self.labels[i]),
        }
        if self.targets is not None:
            row["target"] = self.targets[i]
        return row

    def with_targets(
        self,
        targets: np.ndarray,
        more: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> TokenizedSplit:
        """This split with a target distribution per review (``targets``, ``(n, classes)``),
        and with ``more`` (``(ids, offsets, targets)`` laid out as here) appended after its own
        reviews: reviews without a label, whose label is their target's most likely class."""
        ids, offsets, labels = self.ids, self.offsets, self.labels
        targets = np.asarray(targets, dtype=np.float32)
        if more is not None and len(more[1]) > 1:
            more_ids, more_offsets, more_targets = more
            ids = np.concatenate([ids, more_ids.astype(np.int32)])
            offsets = np.concatenate([offsets, offsets[-1] + more_offsets[1:]])
            labels = np.concatenate([labels, more_targets.argmax(axis=1).astype(np.int64)])
            targets = np.concatenate([targets, more_targets.astype(np.float32)])
        return TokenizedSplit(ids, offsets, labels, self.sorted_by_length, targets)

    def rows(self, index: Sequence[int]) -> list[dict[str, Any]]:
        return [self[int(i)] for i in index]


class PadCollator:
    """Cut each review to ``max_length`` tokens and pad the batch (on the right) to its longest.

    ``truncation_side="left"`` drops a long review's beginning, ``"right"`` its end.

    With ``padding="max_length"`` every batch is padded to ``max_length`` instead: the report's
    way, kept for the seed presets and the throughput benchmark. ``min_length`` keeps a CNN's
    widest filter inside the batch.
    """

    def __init__(
        self,
        max_length: int,
        pad_token_id: int = 0,
        padding: str = "longest",
        min_length: int = 1,
        truncation_side: str = "right",
    ) -> None:
        self.max_length = max_length
        self.truncation_side = truncation_side
        self.pad_token_id = pad_token_id
        self.padding = padding
        self.min_length = min_length

    def width(self, longest: int) -> int:
        """The padded width of a batch whose longest review has ``longest`` tokens."""
        if self.padding == "max_length":
            return self.max_length
        return max(self.min_length, min(longest, self.max_length))

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        if self.truncation_side == "left":  # keep each review's last max_length tokens
            seqs = [f["input_ids"][-self.max_length :] for f in features]
        else:
            seqs = [f["input_ids"][: self.max_length] for f in features]
        width = self.width(max(len(s) for s in seqs))
        input_ids = np.full((len(seqs), width), self.pad_token_id, dtype=np.int64)
        attention_mask = np.zeros((len(seqs), width), dtype=np.int64)
        for i, s in enumerate(seqs):
            input_ids[i, : len(s)] = s
            attention_mask[i, : len(s)] = 1
        batch = {
            "input_ids": torch.from_numpy(input_ids),
            "attention_mask": torch.from_numpy(attention_mask),
        }
        if "label" in features[0]:
            batch["labels"] = torch.tensor([f["label"] for f in features], dtype=torch.long)
        if "target" in features[0]:  # soft targets (a teacher's): the trainer's loss reads them
            batch["targets"] = torch.from_numpy(np.stack([f["target"] for f in features]))
        return batch


class LengthGroupedBatches(torch.utils.data.Sampler[int]):
    """Training order with batches of similar-length reviews, the batches in random order.

    The grouping is transformers' (``get_length_grouped_indices``, what ``LengthGroupedSampler``
    uses): random chunks of 50 batches, each sorted by length and cut into batches. That sampler
    then serves each chunk's batches longest first, a saw-tooth of lengths that hurts validation
    accuracy; this serves the same batches in random order, which keeps the speed. The last,
    partial batch stays last, so that the data loader's cut into batches of ``batch_size``
    matches these batches.
    """

    def __init__(
        self, lengths: Sequence[int], batch_size: int, generator: torch.Generator | None = None
    ) -> None:
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.generator = generator

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self) -> Iterator[int]:
        order = get_length_grouped_indices(self.lengths, self.batch_size, generator=self.generator)
        n_full = len(order) // self.batch_size
        batches = [order[i * self.batch_size : (i + 1) * self.batch_size] for i in range(n_full)]
        shuffled = torch.randperm(n_full, generator=self.generator).tolist()
        for b in shuffled:
            yield from batches[b]
        yield from order[n_full * self.batch_size :]


def eval_batches(
    split: TokenizedSplit,
    collator: PadCollator,
    max_rows: int = EVAL_MAX_ROWS,
    max_tokens: int = EVAL_MAX_TOKENS,
) -> Iterator[dict[str, torch.Tensor]]:
    """The whole split in large batches of consecutive reviews, each at most ``max_rows`` reviews
    and ``max_tokens`` padded tokens. On a length-sorted split, each batch is about as wide as its
    reviews."""
    lengths = split.lengths
    order = np.arange(len(split))
    if not split.sorted_by_length:
        order = np.argsort(-lengths, kind="stable")
    start = 0
    while start < len(order):
        width = collator.width(int(lengths[order[start : start + max_rows]].max()))
        rows = max(1, min(max_rows, max_tokens // max(width, 1)))
        index = order[start : start + rows]
        yield collator(split.rows(index)) | {"index": torch.from_numpy(index)}
        start += rows


def build_collator(cfg: TextClassifierConfig) -> PadCollator:
    """The batch builder a model was trained with (prediction must use the same)."""
    return PadCollator(
        cfg.max_length, cfg.pad_token_id or 0, cfg.padding, cfg.min_pad_length, cfg.truncation_side
    )
