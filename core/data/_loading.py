"""Load a text-classification dataset into train / validation / test splits.

Sources (the ``data`` setting, ``EXPLORER_DATA`` or ``--data``):

- a local folder with ``train`` (and ``test``) files in parquet, CSV, TSV or JSON lines, with or
  without a header row, any column names and any number of classes (integer or string labels):
  :mod:`core.data._description` says which columns hold the text and the label (``dataset.toml``,
  ``EXPLORER_*`` settings, or inference);
- a local folder in the original ``aclImdb/`` layout (``train/pos/*.txt`` ...);
- a Hugging Face Hub dataset id (default ``stanfordnlp/imdb``).

Validation is carved from train, the same share of each class, at random (seeded) or as each
class's last rows in the file's order (``val_split``, see :func:`_carve_validation`); the test
split is never used for model selection. Without a test file, a seeded test split
(:data:`CARVED_TEST_FRACTION`) is carved from train first, and :attr:`TextData.test_carved` says
so. Reading the files is :mod:`core.data._files`. Every problem a user can cause becomes a
:class:`~core.errors.DataError` with one sentence.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from datasets import ClassLabel, Dataset, DatasetDict, Features, Value
from datasets.utils.logging import disable_progress_bar

from core.data._description import DataDescription, choose_columns, describe_data, join_text
from core.data._files import read_source
from core.data._labels import check_not_continuous, known_label_names, label_ids
from core.data._npz_cache import rows_hash
from core.errors import DataError
from core.knobs import DataConfig
from core.settings import get_data_source

disable_progress_bar()  # datasets' own bars (map, cache writes) only add noise to ours

CARVED_TEST_FRACTION = 0.2  # of train, when a dataset has no test file


@dataclass(frozen=True)
class DataReading:
    """How a dataset's files were read: what a user checks to see that the guess was right."""

    files: tuple[str, ...]  # the train file and the test file, or the folder or Hub id
    header: bool | None  # a CSV/TSV file's header row; None for other formats
    text_columns: tuple[str, ...]
    label_column: str
    class_counts: dict[str, int]  # rows per class in the training file, as read
    test_carved: bool  # no test file: a test split was carved from the training file

    def describe(self) -> str:
        """One line: ``read train.csv (no header; text: col2, label: col1) and test.csv; ...``."""
        header = "" if self.header is None else ("header; " if self.header else "no header; ")
        columns = f"{header}text: {', '.join(self.text_columns)}, label: {self.label_column}"
        counts = ", ".join(f"{name} {n:,}" for name, n in self.class_counts.items())
        test = (
            f"test carved from train ({CARVED_TEST_FRACTION:.0%}, seeded, stratified)"
            if self.test_carved
            else "test from its own file"
        )
        return (
            f"read {' and '.join(self.files)} ({columns}); {len(self.class_counts)} classes in "
            f"train: {counts}; {test}"
        )

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class TextData:
    """The three splits (columns ``text`` and ``label``), with label names and a content hash."""

    splits: DatasetDict
    label_names: list[str]
    source: str
    fingerprint: str
    split_fingerprints: dict[str, str]  # per split, so the tokenizer's key needs no rehash
    reading: DataReading  # how the files were read
    name: str = ""  # the dataset's display name (dataset.toml's name, else the folder's)
    noun: str = "text"  # what one row is (dataset.toml's noun)

    @property
    def test_carved(self) -> bool:
        """No test file: the test split was carved from train."""
        return self.reading.test_carved

    @property
    def sizes(self) -> dict[str, int]:
        return {name: len(ds) for name, ds in self.splits.items()}


def load_data(cfg: DataConfig | None = None) -> TextData:
    """Load, check and split the data named by ``cfg.data`` (or the ``EXPLORER_DATA`` setting)."""
    cfg = cfg or DataConfig()
    key = _cache_key(cfg)
    data = _load_data_cached(*key)
    _FINGERPRINTS[key] = data.fingerprint
    return data


def loaded_fingerprint(cfg: DataConfig) -> str | None:
    """The fingerprint of ``cfg``'s data if this process has loaded it, else None (never loads:
    for a page that must not wait for the data)."""
    try:
        return _FINGERPRINTS.get(_cache_key(cfg))
    except DataError:
        return None


_FINGERPRINTS: dict[tuple, str] = {}  # what load_data has loaded in this process


def _cache_key(cfg: DataConfig) -> tuple:
    source = cfg.data or get_data_source()
    desc = describe_data(source, cfg.text_column, cfg.label_column, tuple(cfg.label_names or ()))
    return (
        source,
        desc,
        cfg.val_fraction,
        cfg.val_split,
        cfg.split_seed,
        cfg.max_train_samples,
        cfg.max_test_samples,
    )


@lru_cache(maxsize=4)
def _load_data_cached(
    source: str,
    desc: DataDescription,
    val_fraction: float,
    val_split: str,
    split_seed: int,
    max_train: int | None,
    max_test: int | None,
) -> TextData:
    train_df, test_df = read_source(source, desc)
    files = tuple(df.attrs.get("path", source) for df in (train_df, test_df) if df is not None)
    header = train_df.attrs.get("header")
    train_df = _select_columns(train_df, desc, f"{source} (train)")
    text_columns, label_column = train_df.attrs["text_columns"], train_df.attrs["label_column"]
    train_df = train_df[train_df["label"].astype(str) != "-1"]  # unlabelled rows (aclImdb unsup)
    carved = test_df is None
    if carved:
        check_not_continuous(train_df["label"])  # before a split stratified on its values
        train_df, test_df = _carve_test(train_df, split_seed, source)
    else:
        test_df = _select_columns(test_df, desc, f"{source} (test)")
        test_df = test_df[test_df["label"].astype(str) != "-1"]
        check_not_continuous(pd.concat([train_df["label"], test_df["label"]]))
    label_names = desc.label_names or known_label_names(train_df)
    names, train_ids, test_ids = label_ids(train_df["label"], test_df["label"], label_names)
    read_counts = np.bincount(
        train_ids + (test_ids if carved else []), minlength=len(names)
    )  # the training file as read, the carved test rows included
    reading = DataReading(
        files=tuple(dict.fromkeys(files)),
        header=header,
        text_columns=tuple(text_columns),
        label_column=label_column,
        class_counts={name: int(n) for name, n in zip(names, read_counts, strict=True)},
        test_carved=carved,
    )
    features = Features({"text": Value("string"), "label": ClassLabel(names=names)})
    train = Dataset.from_dict({"text": train_df["text"].tolist(), "label": train_ids}, features)
    test = Dataset.from_dict({"text": test_df["text"].tolist(), "label": test_ids}, features)
    if len(train) < 2:
        raise DataError(f"The training data in {source} has fewer than 2 labelled rows.")
    train, val = _carve_validation(train, val_fraction, val_split, split_seed, names)
    if max_train is not None and max_train < len(train):
        train = train.shuffle(seed=split_seed).select(range(max_train))
        val = val.select(range(min(len(val), max(max_train // 5, 16))))
    if max_test is not None and max_test < len(test):
        test = test.shuffle(seed=split_seed).select(range(max_test))
    splits = DatasetDict(train=train, validation=val, test=test)
    prints = {name: split_fingerprint(ds) for name, ds in splits.items()}
    fingerprint = _fingerprint(prints, val_fraction, split_seed)  # the splits' contents tell
    return TextData(splits, names, source, fingerprint, prints, reading, desc.name, desc.noun)


def _carve_validation(
    train: Dataset, val_fraction: float, how: str, seed: int, names: list[str]
) -> tuple[Dataset, Dataset]:
    """(train, validation): ``val_fraction`` of each class, drawn at random (``"random"``) or
    the last rows of each class in the file's order (``"tail"``).

    A random split puts rows that are stored together on both sides: in the Hub's IMDB files one
    film's reviews sit together, so nearly every validation review has reviews of its film in
    train, while the test reviews' films are all unseen. The tail split keeps such groups (and
    time-ordered rows) on one side, cutting at most one group per class.
    """
    if how == "tail":
        labels = np.asarray(train["label"])
        val_rows: list[int] = []
        for label in np.unique(labels):
            rows = np.flatnonzero(labels == label)
            n_val = int(round(len(rows) * val_fraction))
            if not 0 < n_val < len(rows):
                raise DataError(
                    f"Cannot carve a {val_fraction:.0%} validation split from {len(rows)} rows "
                    f"of class '{names[label]}': each side needs at least one, so add rows of "
                    "it or change val_fraction."
                )
            val_rows.extend(rows[len(rows) - n_val :].tolist())
        held = set(val_rows)
        return (
            train.select([i for i in range(len(train)) if i not in held]),
            train.select(sorted(val_rows)).shuffle(seed=seed),  # classes mixed, for capping
        )
    _check_stratified_split(np.asarray(train["label"]), val_fraction, names)
    try:
        parts = train.train_test_split(
            test_size=val_fraction, seed=seed, stratify_by_column="label"
        )
    except ValueError:
        raise DataError(
            f"Cannot carve a {val_fraction:.0%} validation split from {len(train)} rows; "
            "add rows or change val_fraction."
        ) from None
    return parts["train"], parts["test"]


def _check_stratified_split(labels: np.ndarray, val_fraction: float, names: list[str]) -> None:
    """One sentence, before the split library's own, when a stratified ``val_fraction`` split
    of these rows is impossible: a class of one row, or a side with fewer rows than classes."""
    counts = np.bincount(labels, minlength=len(names))
    present = np.flatnonzero(counts)
    rows, classes = len(labels), len(present)
    smallest = int(present[np.argmin(counts[present])])
    if counts[smallest] < 2:
        raise DataError(
            f"Class '{names[smallest]}' has only {counts[smallest]} row: every class needs at "
            "least 2 (one to train on, one to validate on), so add rows of it."
        )
    n_val = math.ceil(rows * val_fraction)
    if n_val < classes:
        raise DataError(
            f"A {val_fraction:g} validation split of {rows} rows holds {n_val}, fewer than the "
            f"{classes} classes: add rows (at least {math.ceil(classes / val_fraction)}) or raise "
            f"val_fraction to {classes / rows:.2f} or more."
        )
    if rows - n_val < classes:
        raise DataError(
            f"A {val_fraction:g} validation split of {rows} rows leaves {rows - n_val} to train "
            f"on, fewer than the {classes} classes: add rows or lower val_fraction to "
            f"{(rows - classes) / rows:.2f} or less."
        )


def _carve_test(train: pd.DataFrame, seed: int, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded test split from ``train``, the same share of every class (no test file)."""
    rng = np.random.default_rng(seed)
    picked: list[int] = []
    for _, rows in sorted(train.groupby(train["label"].astype(str)).indices.items()):
        n = round(len(rows) * CARVED_TEST_FRACTION)
        picked.extend(rng.permutation(rows)[: n or (1 if len(rows) > 1 else 0)])
    mask = np.zeros(len(train), dtype=bool)
    mask[picked] = True
    if not mask.any() or mask.all():
        raise DataError(
            f"{source} has no test file, and a {CARVED_TEST_FRACTION:.0%} test split cannot be "
            f"carved from its {len(train)} training rows."
        )
    return train[~mask], train[mask]


# --------------------------------------------------------------------------------------------
# Columns and labels
# --------------------------------------------------------------------------------------------


def _select_columns(df: pd.DataFrame, desc: DataDescription, where: str) -> pd.DataFrame:
    """``text`` and ``label`` columns, as :func:`~core.data._description.choose_columns` picks."""
    headerless = df.attrs.get("header") is False
    df = df.set_axis([str(c) for c in df.columns], axis=1)
    text_cols, label_col = choose_columns(df, desc, where, headerless)
    out = pd.DataFrame(
        {"text": join_text(df, text_cols, desc.text_separator), "label": df[label_col]}
    )
    if out["label"].isna().any():
        raise DataError(f"Column '{label_col}' in {where} has empty labels.")
    out.attrs.update(text_columns=tuple(text_cols), label_column=str(label_col))
    return out


def split_fingerprint(ds: Dataset) -> str:
    """A content hash of one split (texts and labels)."""
    return rows_hash(ds["text"], list(ds["label"]))


def _fingerprint(split_prints: dict[str, str], val_fraction: float, split_seed: int) -> str:
    """The whole dataset's hash, from its splits' hashes (each text is hashed once)."""
    parts = [f"{val_fraction}:{split_seed}"] + [
        f"{n}:{split_prints[n]}" for n in sorted(split_prints)
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
