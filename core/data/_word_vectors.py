"""Pretrained word vectors: word2vec (gensim) over the run's own tokenizer, for ``embedding_init``.

The vectors are trained on the train part of the train/validation split plus the dataset's
unlabelled reviews (:func:`unlabelled_texts`: IMDB's 50,000), never on validation or test. They
are trained over the same WordPiece tokens the models read, so row ``i`` of the matrix is token
id ``i``'s vector. Labels are never used: that unlabelled text alone teaches which words are used
alike is the point of the knob.

Trained once per (data, unlabelled text, tokenizer, ``embedding_dim``, :class:`Word2VecSettings`)
and cached under ``<cache>/word_vectors/``; a file lock makes a second process (another job
worker) wait for the first instead of training the same vectors again, and the file is written
to a temporary name and renamed, so nobody reads half of it.

One worker thread: gensim's word2vec is reproducible only then, and the replay store relies on
a run's numbers following from its config. This module imports no torch; gensim is imported
when vectors are trained.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.data._npz_cache import computed_once, content_key, tokenizer_key
from core.settings import get_cache_dir

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

    from core.data._loading import TextData


# Files of unlabelled text looked for in a local data folder (any of core.data._loading's formats), and
# aclImdb's train/unsup/ folder.
UNLABELLED_NAMES = ("unsupervised", "unsup", "unlabelled", "unlabeled")
_BATCH = 2000


@dataclass(frozen=True)
class Word2VecSettings:
    """How the vectors are pretrained (the vector size is the model's ``embedding_dim``).

    Not knobs: changing one of these defaults changes what ``embedding_init = "word2vec"``
    means, so :func:`core.studies.run._replay.replay_key` hashes them into word2vec runs' keys.
    """

    algorithm: str = "cbow"  # "cbow" (fast) or "skipgram"
    window: int = 5  # tokens either side that count as context
    epochs: int = 5  # passes over the corpus
    min_count: int = 2  # tokens seen fewer times keep a random vector
    negative: int = 5  # negative samples per positive one
    sample: float = 1e-3  # down-sampling of very frequent tokens
    seed: int = 1
    workers: int = 1  # more threads are faster, but gensim is then not reproducible

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class PretrainStats:
    """What a pretraining cost (stored beside the vectors)."""

    wall_s: float
    cpu_s: float
    tokenize_s: float
    sentences: int
    tokens: int
    known: int  # token ids that got a word2vec vector


def unlabelled_texts(source: str) -> list[str]:
    """The unlabelled reviews beside a local dataset: the folder's ``unsupervised`` file (or
    ``unsup``/``unlabelled``; parquet, CSV, TSV or JSON lines; column ``text``, else its first
    text column) or aclImdb's ``train/unsup/*.txt``. None for a Hub id or a folder without one."""
    from core.data._files import SUFFIXES, read_table

    folder = Path(source).expanduser()
    if not folder.is_dir():
        return []
    for root in (folder, folder / "aclImdb"):
        unsup = root / "train" / "unsup"
        if unsup.is_dir():
            return [p.read_text(encoding="utf-8") for p in sorted(unsup.glob("*.txt"))]
    for name in UNLABELLED_NAMES:
        for suffix in SUFFIXES:
            path = folder / f"{name}{suffix}"
            if path.is_file():
                df = read_table(path)
                column = "text" if "text" in df.columns else None
                if column is None:
                    texts = [c for c in df.columns if df[c].dtype == object]
                    column = texts[0] if texts else None
                return [] if column is None else df[column].dropna().astype(str).tolist()
    return []


def texts_fingerprint(texts: Sequence[str]) -> str:
    h = hashlib.sha256(str(len(texts)).encode())
    for text in texts:
        h.update(text.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()[:16]


def build_corpus(
    texts: Iterable[Sequence[str]], tokenizer: PreTrainedTokenizerFast
) -> list[list[str]]:
    """Each text as its token ids written as strings (gensim's keys): ``"17"`` is token id 17.

    ``texts``: batches of texts. Ids as keys, not the token strings, so that two tokens that
    print alike (``"##s"`` and ``"s"`` are distinct) never share a vector.
    """
    names = [str(i) for i in range(len(tokenizer))]
    backend = tokenizer.backend_tokenizer
    corpus: list[list[str]] = []
    for batch in texts:
        for enc in backend.encode_batch(list(batch), add_special_tokens=False):
            if enc.ids:
                corpus.append([names[i] for i in enc.ids])
    return corpus


def _batches(texts: Sequence[str]) -> Iterable[Sequence[str]]:
    return (texts[i : i + _BATCH] for i in range(0, len(texts), _BATCH))


def train_word2vec(corpus: list[list[str]], dim: int, settings: Word2VecSettings) -> Any:
    """gensim's ``Word2Vec`` on ``corpus`` with ``settings`` (vector size ``dim``)."""
    from gensim.models import Word2Vec

    return Word2Vec(
        sentences=corpus,
        vector_size=dim,
        window=settings.window,
        min_count=settings.min_count,
        sg=1 if settings.algorithm == "skipgram" else 0,
        negative=settings.negative,
        sample=settings.sample,
        seed=settings.seed,
        workers=settings.workers,
        epochs=settings.epochs,
    )


def vectors_cache_path(
    data: TextData,
    tokenizer: PreTrainedTokenizerFast,
    dim: int,
    settings: Word2VecSettings,
    unlabelled_fingerprint: str,
) -> Path:
    """Where the vectors for this data, tokenizer, size and settings are cached."""
    key = content_key(
        {
            "data": data.fingerprint,
            "unlabelled": unlabelled_fingerprint,
            "tokenizer": tokenizer_key(tokenizer),  # its whole vocabulary included
            "dim": dim,
            "settings": settings.as_dict(),
        }
    )
    return get_cache_dir() / "word_vectors" / f"w2v-{data.fingerprint}-d{dim}-{key}.npz"


def pretrain_vectors(
    data: TextData,
    tokenizer: PreTrainedTokenizerFast,
    dim: int,
    settings: Word2VecSettings | None = None,
) -> tuple[np.ndarray, np.ndarray, PretrainStats | None]:
    """The raw word2vec matrix ``(vocab, dim)`` for ``tokenizer``'s ids (zero rows for ids
    word2vec did not keep), the mask of kept ids, and what training them cost (None when they
    came from the cache). Trained at most once per key, across processes."""
    settings = settings or Word2VecSettings()
    unlabelled = unlabelled_texts(data.source)
    path = vectors_cache_path(data, tokenizer, dim, settings, texts_fingerprint(unlabelled))

    def train() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        t0, c0 = time.perf_counter(), time.process_time()
        texts = list(data.splits["train"]["text"]) + unlabelled  # never validation or test
        corpus = build_corpus(_batches(texts), tokenizer)
        tokenize_s = time.perf_counter() - t0
        model = train_word2vec(corpus, dim, settings)
        vectors = np.zeros((len(tokenizer), dim), dtype=np.float32)
        known = np.zeros(len(tokenizer), dtype=bool)
        for key, index in model.wv.key_to_index.items():
            vectors[int(key)] = model.wv.vectors[index]
            known[int(key)] = True
        stats = PretrainStats(
            wall_s=time.perf_counter() - t0,
            cpu_s=time.process_time() - c0,
            tokenize_s=tokenize_s,
            sentences=len(corpus),
            tokens=sum(len(s) for s in corpus),
            known=int(known.sum()),
        )
        return {"vectors": vectors, "known": known}, dataclasses.asdict(stats)

    arrays, trained = computed_once(path, train)
    stats = PretrainStats(**arrays["meta"]) if trained else None
    return arrays["vectors"], arrays["known"], stats


def get_token_vectors(
    data: TextData,
    tokenizer: PreTrainedTokenizerFast,
    dim: int,
    std: float,
    settings: Word2VecSettings | None = None,
) -> np.ndarray:
    """The model's starting embedding matrix ``(vocab, dim)``: word2vec's vectors, rescaled so
    their spread is ``std`` (the model's ``embedding_init_std``: Adam then moves them at the
    same pace as a random start), ids word2vec did not keep drawn from N(0, std), and the
    padding row zero."""
    settings = settings or Word2VecSettings()
    raw, known, _ = pretrain_vectors(data, tokenizer, dim, settings)
    out = np.random.default_rng(settings.seed).normal(0.0, std, raw.shape).astype(np.float32)
    if known.any():
        spread = float(raw[known].std()) or 1.0
        out[known] = raw[known] * (std / spread)
    if tokenizer.pad_token_id is not None:
        out[tokenizer.pad_token_id] = 0.0
    return out
