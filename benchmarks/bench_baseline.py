"""The linear baseline's numbers and cost: TF-IDF unigrams and bigrams with logistic regression,
fit on the train part of the train/validation split, C chosen on validation, scored on the full
test split (what ``python -m core.baseline`` caches), timed afresh, data loading excluded.

    EXPLORER_DATA=../shared/data/imdb python benchmarks/bench_baseline.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.baseline import BaselineSettings, fit_baseline  # noqa: E402
from core.data import load_data  # noqa: E402
from core.knobs import DataConfig  # noqa: E402


def main() -> None:
    t0 = time.perf_counter()
    data = load_data(DataConfig())
    load_s = time.perf_counter() - t0
    splits = data.splits
    numbers = fit_baseline(
        {name: ds["text"] for name, ds in splits.items()},
        {name: list(ds["label"]) for name, ds in splits.items()},
        BaselineSettings(),
    )
    print(json.dumps({"sizes": data.sizes, "data_load_s": round(load_s, 1), **numbers}))


if __name__ == "__main__":
    main()
