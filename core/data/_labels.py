"""How a label column becomes classes: ids 0..k-1 and their names, named by the data, by
``label_names``, or by a dataset known by its content; and a column of scores refused as not
classes."""

from __future__ import annotations

import pandas as pd

from core.data._npz_cache import rows_hash
from core.errors import DataError

# More distinct fractional numbers than this make a label column a score, not classes (ratings
# in half stars, 1.0 to 5.0, are 9 classes).
_MOST_FRACTIONAL_CLASSES = 20


def check_not_continuous(labels: pd.Series) -> None:
    """A label column of many distinct fractional numbers (a regression target: 0.37, 0.52...)
    is refused with what it is; otherwise each value would become a class, and a test file's
    values would be "labels that train lacks"."""
    numbers = pd.to_numeric(labels, errors="coerce")
    if numbers.isna().any() or not (numbers % 1 != 0).any():
        return
    distinct = numbers.unique()
    if len(distinct) <= _MOST_FRACTIONAL_CLASSES:
        return
    shown = ", ".join(f"{v:g}" for v in distinct[:4])
    raise DataError(
        f"The labels are continuous numbers ({shown}, ... {len(distinct):,} distinct values "
        f"from {numbers.min():g} to {numbers.max():g}), not classes: this app trains "
        "classifiers. Bin them into classes first (for example below and above a threshold), "
        "or name the column of classes with --label-column."
    )


# Datasets known by their content (:func:`~core.data._npz_cache.rows_hash` of their training rows): the names
# of their integer labels, which their files do not carry. IMDB (Maas et al. 2011), as the Hub's
# stanfordnlp/imdb exports it: 0 negative, 1 positive.
_KNOWN_LABELS: dict[str, tuple[str, ...]] = {
    "ce4e99ea6081251a": ("negative", "positive"),
}


def known_label_names(train: pd.DataFrame) -> tuple[str, ...]:
    """The names :data:`_KNOWN_LABELS` gives these training rows' integer labels, else ()."""
    if not pd.api.types.is_integer_dtype(train["label"]):  # the registry names integers only
        return ()
    return _KNOWN_LABELS.get(rows_hash(train["text"], train["label"].tolist()), ())


def label_ids(
    train: pd.Series, test: pd.Series, label_names: tuple[str, ...]
) -> tuple[list[str], list[int], list[int]]:
    """Map labels to ids 0..k-1: integers 0..k-1 keep their values, other integers and strings
    go in sorted order (strings in ``label_names``'s order when given)."""
    present = train.astype(str).unique()
    if len(present) < 2:
        raise DataError(
            f"The training data has only one label ('{present[0]}'); a classifier needs "
            f"at least two."
        )
    only_test = sorted(set(test.astype(str).unique()) - set(train.astype(str).unique()))
    if only_test:
        raise DataError(
            f"The test split has labels that train lacks: {', '.join(only_test[:5])}; a "
            "classifier cannot learn a class it never sees."
        )
    if pd.api.types.is_integer_dtype(train) and pd.api.types.is_integer_dtype(test):
        values = sorted(set(train.unique()) | set(test.unique()))
        if values[0] >= 0 and values[-1] < max(len(values), len(label_names)):
            k = max(values[-1] + 1, len(label_names))  # 0..k-1: the integers are the ids
            index = {v: v for v in range(k)}
        else:  # other integers (1..4, -1/1, ...): in order, named by their values
            k, index = len(values), {v: i for i, v in enumerate(values)}
        if label_names and len(label_names) != k:
            raise DataError(
                f"label_names has {len(label_names)} names, but the data has {k} classes "
                f"({', '.join(str(int(v)) for v in values[:10])})."
            )
        if label_names:
            names = list(label_names)
        else:  # named by their values: a 0/1 column is "0" and "1", whatever it means
            names = [str(v) for v in sorted(index, key=index.get)]
        train_ids, test_ids = train.map(index).tolist(), test.map(index).tolist()
    else:
        train, test = train.astype(str), test.astype(str)
        names = sorted(set(train.unique()))
        if label_names:  # string labels are their own names; label_names only orders them
            if set(label_names) != set(names):
                raise DataError(
                    f"label_names ({', '.join(label_names)}) are not the data's labels "
                    f"({', '.join(names[:10])})."
                )
            names = list(label_names)
        index = {n: i for i, n in enumerate(names)}
        train_ids, test_ids = train.map(index).tolist(), test.map(index).tolist()
    return names, train_ids, test_ids
