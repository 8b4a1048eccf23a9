"""A saved model and the linear baseline together: their class probabilities averaged, the
weight chosen on validation, the test set scored once with that weight.

For a model saved by training or ``study keep-best`` (``studies/models/NAME``): its data
configuration (the split it was chosen on) is read from its ``result.json``; the baseline
(``core.data._baseline``'s TF-IDF uni- and bigrams with logistic regression) is fit on the same train
part with C chosen on the same validation. The weight of the model, ``w`` in
``w * p_model + (1 - w) * p_baseline``, goes over a grid and the best on validation is kept (ties:
the one nearest an even mix). Test is read once, for that weight; the model's and the baseline's
own test accuracies are printed beside it, as each was chosen on validation alone.

    EXPLORER_DATA=../shared/data/imdb python -m experiments.ensemble \\
        studies/models/cnn-pretrained-tail
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np


def accuracy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    return float((probabilities.argmax(axis=1) == labels).mean())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model_dir", help="A saved model's folder (with model/ and result.json).")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()

    import torch

    from core.data import fit_baseline_model
    from core.training import (
        RunConfig,
        TokenizedSplit,
        build_collator,
        choose_weight,
        load_model,
        prepare_data,
        score_split,
        token_ids,
    )

    torch.set_num_threads(args.threads)
    folder = Path(args.model_dir)
    stored = json.loads((folder / "result.json").read_text())
    run = RunConfig.from_dict(stored["config"])
    prepared = prepare_data(run.data)
    if stored.get("data_fingerprint") not in (None, prepared.fingerprint):
        sys.exit(f"{folder} was trained on other data than {run.data.data or 'EXPLORER_DATA'}.")
    loaded = load_model(folder)
    if loaded.label_names != prepared.label_names:
        sys.exit(f"{folder}'s labels {loaded.label_names} are not the data's.")
    collator = build_collator(loaded.config)

    def model_probabilities(split: str) -> np.ndarray:
        """The model's class probabilities in the data's order (the cached tokenized splits are
        sorted by length): the reviews tokenized as in training, then cut by its collator."""
        ids = token_ids(loaded.tokenizer, texts[split], run.data.max_tokens)
        reviews = TokenizedSplit.from_ids(ids, labels[split])
        return score_split(loaded.model, reviews, collator).probabilities

    texts = {name: list(ds["text"]) for name, ds in prepared.data.splits.items()}
    labels = {name: np.asarray(ds["label"]) for name, ds in prepared.data.splits.items()}

    t0 = time.perf_counter()
    fitted = fit_baseline_model(texts, {k: list(v) for k, v in labels.items()})
    print(
        f"baseline: C {fitted.c:g}, val {fitted.val_accuracy:.4f} ({time.perf_counter() - t0:.0f} s)"
    )
    t0 = time.perf_counter()
    p_model = model_probabilities("validation")
    p_base = fitted.predict_proba(texts["validation"])
    print(
        f"model: val {accuracy(p_model, labels['validation']):.4f} ({time.perf_counter() - t0:.0f} s)"
    )
    weight, by_weight = choose_weight(p_model, p_base, labels["validation"])
    print(
        "validation by model weight: " + ", ".join(f"{w:g}: {a:.4f}" for w, a in by_weight.items())
    )
    print(f"chosen on validation: model weight {weight:g} (validation {by_weight[weight]:.4f})")

    test = labels["test"]
    p_model = model_probabilities("test")
    p_base = fitted.predict_proba(texts["test"])
    together = accuracy(weight * p_model + (1 - weight) * p_base, test)
    print(
        f"test ({len(test):,} reviews): together {together:.4f}; the model alone {accuracy(p_model, test):.4f} (stored {stored.get('test_accuracy')}), "
        f"the baseline alone {accuracy(p_base, test):.4f}"
    )


if __name__ == "__main__":
    main()
