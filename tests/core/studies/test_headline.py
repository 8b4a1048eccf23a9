"""The best run per family of one dataset, chosen only among runs validated the same way."""

from __future__ import annotations

import pandas as pd

from core.studies import headlines
from core.studies.storage import RUN_COLUMNS

FAMILIES = {"cnn-random": "cnn", "cnn-tail": "cnn", "spam-cnn": "cnn", "rnn": "rnn", "old": "cnn"}


def _runs(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


RUNS = _runs(
    [
        # study, number, value, test, dataset, val_split, val_fraction, test_size
        ("cnn-random", 0, 0.914, 0.900, "imdb", None, 0.1, 25000),  # predates val_split: random
        ("cnn-random", 1, 0.905, 0.899, "imdb", "random", 0.1, 25000),
        ("cnn-tail", 0, 0.900, 0.910, "imdb", "tail", 0.1, 25000),
        ("cnn-tail", 1, 0.897, 0.905, "imdb", "tail", 0.1, 25000),
        ("spam-cnn", 0, 0.987, 0.985, "spam", None, 0.1, 1115),  # another dataset
        ("old", 0, 0.999, 0.5, None, None, 0.1, 25000),  # records no dataset
        ("rnn", 0, 0.9128, 0.8993, "imdb", None, 0.1, 25000),
        ("rnn", 1, 0.9120, 0.9014, "imdb", None, 0.1, 25000),
        ("rnn", 2, 0.95, 0.85, "imdb", None, 0.1, 500),  # another test set: a subsample
    ]
)


def test_the_tail_split_is_preferred_and_other_protocols_are_not_compared() -> None:
    """The random split's 91.4 % does not beat the tail split's 90.0 %: they were measured on
    other rows. The spam run and a run with no dataset are never counted."""
    cnn, rnn = headlines(RUNS, FAMILIES, "imdb")
    assert (cnn.study, cnn.number, cnn.test_accuracy) == ("cnn-tail", 0, 0.910)
    assert cnn.protocol == "the last 10 % of each class (tail)"
    assert (cnn.compared, cnn.not_compared, cnn.recommended) == (2, 2, True)
    # one protocol on the full test set (the 500-row test set is another group, fewer runs)
    assert (rnn.study, rnn.number, rnn.value) == ("rnn", 0, 0.9128)
    assert rnn.protocol == "a random 10 % of each class"
    assert (rnn.compared, rnn.not_compared, rnn.recommended) == (2, 1, False)


def test_another_datasets_runs_never_make_its_headline() -> None:
    (spam,) = headlines(RUNS, FAMILIES, "spam")
    assert (spam.study, spam.value) == ("spam-cnn", 0.987)
    assert headlines(RUNS, FAMILIES, "news") == []
