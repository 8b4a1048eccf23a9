"""Tokenizer training and tokenized-split caching.

No pretrained tokenizer is needed: a WordPiece tokenizer is trained on the training split (never on
validation or test) and cached on disk, keyed by the split's content hash and the vocab size.
Each split is tokenized once, capped at ``DataConfig.max_tokens`` (a longer review keeps its first
and last halves), and cached too; ``max_length`` then cuts per batch
(:class:`core.training._batching.PadCollator`), so changing it never re-tokenizes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from datasets import Dataset, DatasetDict, load_from_disk
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from core.data import HOW_TO_PROVIDE, TextData, hub_reachable, load_data, tokenizer_key
from core.errors import DataError
from core.knobs import DataConfig, FittedDefaults, fit_defaults
from core.settings import get_cache_dir

SPECIAL_TOKENS = ["[PAD]", "[UNK]"]
_BATCH = 2000


def _atomic_save(target: Path, save: Any) -> None:
    """Write into a temporary folder, then rename: parallel workers never see half a cache."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    try:
        save(tmp)
        os.replace(tmp, target)
    except OSError:
        if not target.exists():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def build_wordpiece(texts: Any, vocab_size: int) -> Tokenizer:
    """Train a lower-casing WordPiece tokenizer (IMDB's ``<br />`` tags removed) on ``texts``."""
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace("<br />", " "),
            normalizers.NFD(),
            normalizers.Lowercase(),
            normalizers.StripAccents(),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    # The trainer numbers the "##" continuation tokens in hash-map order, so two trainings on
    # the same reviews gave different ids (other initial vectors for the same seed), and on count
    # ties it can even merge differently (tokenizers#1794, unfixed in 0.23). WordPiece matches by
    # string, not by id: the special tokens keep their ids and the rest are numbered in sorted
    # order, so the same vocabulary always gets the same ids. On IMDB's train split repeated
    # trainings learned the same vocabulary; a small corpus with many ties may not.
    trained = tok.model
    rest = sorted(t for t in tok.get_vocab() if t not in SPECIAL_TOKENS)
    tok.model = models.WordPiece(
        {t: i for i, t in enumerate([*SPECIAL_TOKENS, *rest])},
        unk_token=trained.unk_token,
        max_input_chars_per_word=trained.max_input_chars_per_word,
        continuing_subword_prefix=trained.continuing_subword_prefix,
    )
    return tok


def get_tokenizer(data: TextData, cfg: DataConfig) -> PreTrainedTokenizerFast:
    """The pretrained tokenizer ``cfg.tokenizer``, or one trained on ``data``'s train split (cached)."""
    if cfg.tokenizer:
        return _load_pretrained(cfg.tokenizer)
    train = data.splits["train"]
    key = f"wordpiece-sorted-{data.split_fingerprints['train']}-v{cfg.vocab_size}"
    path = get_cache_dir() / "tokenizers" / key
    if not (path / "tokenizer.json").exists():
        texts = train["text"]
        batches = (texts[i : i + _BATCH] for i in range(0, len(train), _BATCH))
        tok = build_wordpiece(batches, cfg.vocab_size)
        wrapped = PreTrainedTokenizerFast(
            tokenizer_object=tok,
            pad_token="[PAD]",
            unk_token="[UNK]",
            model_max_length=cfg.max_tokens,
        )
        _atomic_save(path, wrapped.save_pretrained)
    tokenizer = PreTrainedTokenizerFast.from_pretrained(str(path))
    tokenizer.name_or_path = key
    return tokenizer


def _load_pretrained(name: str) -> PreTrainedTokenizerFast:
    local = Path(name).expanduser()
    offline = os.environ.get("HF_HUB_OFFLINE") == "1"
    if not local.exists() and not offline and not hub_reachable():
        raise DataError(
            f"Cannot reach the Hugging Face Hub to download the tokenizer '{name}'; leave "
            f"--tokenizer unset to train one on the data, or give a local tokenizer folder."
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(local) if local.exists() else name)
    except Exception as err:  # noqa: BLE001
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(
            f"Cannot load the tokenizer '{name}' ({first}); {HOW_TO_PROVIDE}."
        ) from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.unk_token or tokenizer.eos_token
    return tokenizer


def tokenize_splits(
    data: TextData, tokenizer: PreTrainedTokenizerFast, cfg: DataConfig
) -> DatasetDict:
    """Token ids for every split, cut at ``cfg.max_tokens`` and cached on disk.

    Columns: ``input_ids``, ``label``, ``length``. Validation and test are sorted by length
    (longest first) so that evaluation batches carry little padding; order does not change
    accuracy.
    """
    key = f"{data.fingerprint}-{tokenizer_key(tokenizer)}-{cfg.max_tokens}"
    path = get_cache_dir() / "tokenized" / key
    if not (path / "dataset_dict.json").exists():
        out = {}
        for name, split in data.splits.items():
            ids = token_ids(tokenizer, split["text"], cfg.max_tokens)
            ds = Dataset.from_dict(
                {"input_ids": ids, "label": list(split["label"]), "length": [len(x) for x in ids]}
            )
            if name != "train":
                ds = ds.sort("length", reverse=True)
            out[name] = ds
        _atomic_save(path, DatasetDict(out).save_to_disk)
    return load_from_disk(str(path))


def token_ids(
    tokenizer: PreTrainedTokenizerFast, texts: Sequence[str], max_tokens: int
) -> list[list[int]]:
    """Each text's token ids as the models train on them, in the texts' order: no special tokens,
    capped by :func:`cap_tokens`, and the unknown token for an empty text (never an empty review)."""
    backend = tokenizer.backend_tokenizer
    unk = tokenizer.unk_token_id if tokenizer.unk_token_id is not None else 0
    ids: list[list[int]] = []
    for i in range(0, len(texts), _BATCH):
        for enc in backend.encode_batch(texts[i : i + _BATCH], add_special_tokens=False):
            ids.append(cap_tokens(enc.ids, max_tokens) or [unk])
    return ids


def cap_tokens(ids: list[int], cap: int) -> list[int]:
    """Keep a long review's first and last ``cap // 2`` tokens, so either truncation side works."""
    if len(ids) <= cap:
        return ids
    return ids[: cap // 2] + ids[len(ids) - (cap - cap // 2) :]


def fitted_defaults(cfg: DataConfig, sample: int = 2000) -> FittedDefaults:
    """The Playground's defaults fitted to the data ``cfg`` names (:mod:`core.knobs._fitted`),
    from the token lengths of the first ``sample`` training texts under the run's tokenizer."""
    data = load_data(cfg)
    train = data.splits["train"]
    texts = train.select(range(min(sample, len(train))))["text"]
    lengths = [len(ids) for ids in token_ids(get_tokenizer(data, cfg), texts, cfg.max_tokens)]
    return fit_defaults(lengths, len(train), data.name)
