"""What pretraining word2vec vectors costs (``embedding_init = "word2vec"``): wall and CPU seconds,
corpus size, for each embedding_dim, on the data's train part plus its unlabelled reviews.

    EXPLORER_DATA=../shared/data/imdb python -m benchmarks.word_vectors --dims 64 128

Trains afresh (the cached vectors for these settings are replaced), so the vectors are in the
cache afterwards for ``python -m core train --embedding-init word2vec``.
"""

from __future__ import annotations

import argparse
import json
import time

from core.data import (
    Word2VecSettings,
    pretrain_vectors,
    texts_fingerprint,
    unlabelled_texts,
    vectors_cache_path,
)
from core.knobs import DataConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--algorithm", default=Word2VecSettings.algorithm)
    parser.add_argument("--epochs", type=int, default=Word2VecSettings.epochs)
    parser.add_argument("--workers", type=int, default=Word2VecSettings.workers)
    args = parser.parse_args()
    from core.data import load_data
    from core.training import get_tokenizer

    cfg = DataConfig()
    t0 = time.perf_counter()
    data = load_data(cfg)
    tokenizer = get_tokenizer(data, cfg)
    unlabelled = unlabelled_texts(data.source)
    print(
        f"data and tokenizer ready in {time.perf_counter() - t0:.1f} s: "
        f"{data.sizes['train']:,} training reviews + {len(unlabelled):,} unlabelled, "
        f"vocab {len(tokenizer):,}"
    )
    settings = Word2VecSettings(algorithm=args.algorithm, epochs=args.epochs, workers=args.workers)
    for dim in args.dims:
        path = vectors_cache_path(data, tokenizer, dim, settings, texts_fingerprint(unlabelled))
        path.unlink(missing_ok=True)
        _, known, stats = pretrain_vectors(data, tokenizer, dim, settings)
        row = {"embedding_dim": dim, **settings.as_dict(), **(stats.__dict__ if stats else {})}
        print(json.dumps(row))


if __name__ == "__main__":
    main()
