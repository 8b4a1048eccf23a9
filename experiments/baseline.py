"""The linear baseline's numbers and cost: TF-IDF unigrams and bigrams with logistic regression,
fit on the train part of the train/validation split, C chosen on validation, scored on the full
test split (what ``python -m core.data._baseline`` caches), timed afresh, data loading excluded.

    EXPLORER_DATA=../shared/data/imdb python -m experiments.baseline
"""

from __future__ import annotations

import json
import time

from core.data import (
    BaselineSettings,
    fit_baseline,
    load_data,
)
from core.knobs import DataConfig


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
