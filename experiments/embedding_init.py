"""How much pretrained word vectors add at equal steps: the same run (same seed) with random
token vectors, word2vec vectors frozen, and word2vec vectors fine-tuned; validation and test
accuracy (the full test split) and wall time, one run at a time.

    EXPLORER_DATA=../shared/data/imdb python -m experiments.embedding_init --threads 2
    EXPLORER_DATA=../shared/data/imdb python -m experiments.embedding_init --threads 2 \\
        --set max_steps=1000 --set max_length=512

Any knob can be set with ``--set name=value`` (the default CNN otherwise). The vectors are
pretrained on the first word2vec run when not cached (``word_vectors.py`` times that).
"""

from __future__ import annotations

import argparse
import json
import time

VARIANTS = {
    "random": {"embedding_init": "random"},
    "word2vec, frozen": {"embedding_init": "word2vec", "freeze_embeddings": True},
    "word2vec, fine-tuned": {"embedding_init": "word2vec", "freeze_embeddings": False},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="cnn", choices=["cnn", "rnn"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="KNOB=VALUE")
    parser.add_argument("--only", help="only the variants whose name contains this")
    args = parser.parse_args()
    import torch

    from core.training import build_run_config, prepare_data, train_run, warm_up

    torch.set_num_threads(args.threads)
    overrides = dict(item.split("=", 1) for item in args.set)
    for name, variant in VARIANTS.items():
        if args.only and args.only not in name:
            continue
        run = build_run_config(args.model, overrides=overrides | variant)
        prepared = prepare_data(run.data)
        warm_up(run, prepared)
        t0 = time.perf_counter()
        result = train_run(run, save=False, prepared=prepared)
        row = {
            "variant": name,
            "model": args.model,
            **overrides,
            "best_val_accuracy": result.best_val_accuracy,
            "best_step": result.best_step,
            "test_accuracy": result.test_accuracy,
            "test_size": result.test_size,
            "train_wall_s": round(result.wall_s, 1),
            "total_s": round(time.perf_counter() - t0, 1),  # pretraining included, if any
            "trainable_params": result.params,
            "status": result.status,
        }
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
