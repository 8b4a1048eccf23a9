"""A dataset's text and labels, and what is learnt from them alone, without torch.

- reading the files (a local folder in parquet, CSV, TSV or JSON lines, or a Hub id) and
  describing them (text and label columns, header, label names);
- loading the train / validation / test splits (:func:`load_data`), carved and fingerprinted;
- arrays computed once and cached on disk (:func:`computed_once`, :func:`content_key`);
- word2vec vectors over the run's own tokenizer (``embedding_init``);
- the linear baseline (TF-IDF with logistic regression) a network has to beat.

The tokenizer, built on transformers, is in :mod:`core.training`.
"""

from __future__ import annotations

from core.data._baseline import (
    BaselineResult,
    BaselineSettings,
    find_baseline,
    fit_baseline,
    fit_baseline_model,
    get_baseline,
    load_baseline,
)
from core.data._description import DataDescription, describe_data, plural
from core.data._files import HOW_TO_PROVIDE, DatasetEntry, hub_reachable, list_datasets, usable
from core.data._loading import TextData, load_data, loaded_fingerprint
from core.data._npz_cache import computed_once, content_key, tokenizer_key
from core.data._word_vectors import (
    Word2VecSettings,
    get_token_vectors,
    pretrain_vectors,
    texts_fingerprint,
    unlabelled_texts,
    vectors_cache_path,
)

__all__ = [
    "BaselineResult",
    "BaselineSettings",
    "computed_once",
    "content_key",
    "DataDescription",
    "describe_data",
    "DatasetEntry",
    "find_baseline",
    "fit_baseline",
    "fit_baseline_model",
    "get_baseline",
    "get_token_vectors",
    "HOW_TO_PROVIDE",
    "hub_reachable",
    "list_datasets",
    "load_baseline",
    "load_data",
    "loaded_fingerprint",
    "plural",
    "pretrain_vectors",
    "TextData",
    "texts_fingerprint",
    "tokenizer_key",
    "unlabelled_texts",
    "usable",
    "vectors_cache_path",
    "Word2VecSettings",
]
