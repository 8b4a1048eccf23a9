"""Does the validation split share groups with train that the test set does not? For the data
``EXPLORER_DATA`` names:

1. **Stored together.** The share of rare words (in at most 30 training rows: names, titles,
   plot words) that two rows have in common (Jaccard), for neighbours in the file's order against
   random pairs. Much higher for neighbours: rows are stored in groups (in the Hub's IMDB files,
   one film's reviews), so a random validation split has rows of nearly every group in train.
2. **What each ``val_split`` measures.** For ``random`` and ``tail`` (each class's last rows in
   file order): how much of validation's rare vocabulary train has seen, the same for test, and
   the linear baseline's validation and test accuracy (fit on that split's train part, C chosen
   on its validation; cached like ``core.data._baseline``).

    EXPLORER_DATA=../shared/data/imdb python -m experiments.val_split
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from core.data import (
    get_baseline,
    load_data,
)
from core.knobs import DataConfig

RARE = 30  # a word in at most this many training rows
WORD = re.compile(r"[^\W\d_]{3,}")


def _words(text: str) -> set[str]:
    return set(WORD.findall(text.lower()))


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def main() -> None:
    rng = np.random.default_rng(0)
    # The training file in its own order: train and validation together, before any split.
    data = load_data(DataConfig(val_split="tail"))
    rows = [*data.splits["train"]["text"], *data.splits["validation"]["text"]]
    words = [_words(t) for t in rows]
    df = Counter(w for ws in words for w in ws)
    rare = [{w for w in ws if df[w] <= RARE} for ws in words]
    # train then validation above is each class's head then each class's tail, not file order:
    # neighbours are taken within the training part, which keeps the file's order per class.
    n = len(data.splits["train"])
    at = rng.choice(n - 1, size=5000, replace=False)
    labels = np.asarray(data.splits["train"]["label"])
    pairs = [i for i in at if labels[i] == labels[i + 1]]
    near = float(np.mean([_jaccard(rare[i], rare[i + 1]) for i in pairs]))
    far = float(
        np.mean([_jaccard(rare[i], rare[j]) for i, j in rng.integers(0, n, size=(5000, 2))])
    )
    print(
        f"rare words shared (Jaccard; words in <= {RARE} training rows): neighbours in the file "
        f"{near:.4f}, random pairs {far:.4f} ({near / far:.0f}x)"
    )
    for how in ("random", "tail"):
        cfg = DataConfig(val_split=how)
        split = load_data(cfg).splits
        seen = Counter(w for t in split["train"]["text"] for w in _words(t))

        def coverage(texts, seen=seen) -> float:
            """The share of a split's rare words (<= RARE training rows overall) train has."""
            got = [w for t in texts for w in _words(t) if df[w] <= RARE]
            return sum(1 for w in got if seen[w]) / max(len(got), 1)

        base = get_baseline(cfg)
        print(
            f"val_split={how}: rare words of validation seen in train {coverage(split['validation']['text']):.1%}, "
            f"of test {coverage(split['test']['text']):.1%}; baseline validation "
            f"{base.val_accuracy:.2%}, test {base.test_accuracy:.2%}"
        )


if __name__ == "__main__":
    main()
