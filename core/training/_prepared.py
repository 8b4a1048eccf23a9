"""A data configuration made ready to train on: loaded, tokenized, and kept in memory.

:func:`prepare_data` loads the splits (:mod:`core.data._loading`), trains or reads the tokenizer and the
cached token ids (:mod:`core.training._tokenizer`), and with a teacher adds its targets and the unlabelled
reviews to the training split (:func:`with_teacher`, :mod:`core.training._teacher`). The result is kept
for the next run with the same data in this process.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from transformers import PreTrainedTokenizerFast

from core.data import TextData, load_data
from core.knobs import DataConfig
from core.training._batching import TokenizedSplit
from core.training._teacher import get_teacher_targets, soft_targets
from core.training._tokenizer import get_tokenizer, tokenize_splits


@dataclass
class PreparedData:
    """Data, tokenizer and token ids for one :class:`DataConfig`; built once per process."""

    data: TextData
    tokenizer: PreTrainedTokenizerFast
    splits: dict[str, TokenizedSplit]

    @property
    def label_names(self) -> list[str]:
        return self.data.label_names

    @property
    def fingerprint(self) -> str:
        return self.data.fingerprint


def prepare_data(cfg: DataConfig) -> PreparedData:
    """Load, tokenize (cached on disk) and keep in memory for the next run with the same data."""
    key = tuple(tuple(v) if isinstance(v, list) else v for v in dataclasses.astuple(cfg))
    if key not in _PREPARED:
        data = load_data(cfg)
        tokenizer = get_tokenizer(data, cfg)
        tokenized = tokenize_splits(data, tokenizer, cfg)
        splits = {
            name: TokenizedSplit.from_dataset(ds, sorted_by_length=name != "train")
            for name, ds in tokenized.items()
        }
        if cfg.teacher != "none":
            splits["train"] = with_teacher(splits["train"], data, tokenizer, cfg)
        _PREPARED[key] = PreparedData(data, tokenizer, splits)
        while len(_PREPARED) > 4:
            _PREPARED.pop(next(iter(_PREPARED)))
    return _PREPARED[key]


_PREPARED: dict[tuple, PreparedData] = {}  # read-only after creation: safe to share


def with_teacher(
    train: TokenizedSplit, data: TextData, tokenizer: PreTrainedTokenizerFast, cfg: DataConfig
) -> TokenizedSplit:
    """The training split with the teacher's targets (:mod:`core.training._teacher`): each training
    review's label mixed with the teacher's probabilities (``teacher_weight``), and the
    unlabelled reviews after them with the teacher's probabilities alone."""
    t = get_teacher_targets(data, tokenizer, cfg.max_tokens, teacher_model=cfg.teacher_model)
    own = soft_targets(train.labels, t.train_probabilities, cfg.teacher_weight)
    more = (t.unlabelled_ids, t.unlabelled_offsets, t.unlabelled_probabilities)
    return train.with_targets(own, more)
