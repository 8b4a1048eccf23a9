"""Load a text-classification dataset into train / validation / test splits.

Sources (the ``data`` setting, ``EXPLORER_DATA`` or ``--data``):

- a local folder with ``train`` and ``test`` files in parquet, CSV, TSV or JSON lines;
- a local folder in the original ``aclImdb/`` layout (``train/pos/*.txt`` ...);
- a Hugging Face Hub dataset id (default ``stanfordnlp/imdb``).

Validation is carved from train, stratified and seeded; the test split is never used for model
selection. Every problem a user can cause becomes a :class:`~core.errors.DataError` with one
sentence.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd
from datasets import ClassLabel, Dataset, DatasetDict, Features, Value
from datasets.utils.logging import disable_progress_bar

from core.errors import DataError
from core.knobs import DataConfig
from core.settings import get_data_source

disable_progress_bar()  # datasets' own bars (map, cache writes) only add noise to ours

SUFFIXES = {".parquet": "parquet", ".csv": "csv", ".tsv": "tsv", ".jsonl": "json", ".json": "json"}
HUB_HOST = "huggingface.co"
HOW_TO_PROVIDE = (
    "set EXPLORER_DATA (or --data) to a local folder holding train and test files "
    "(parquet, CSV, TSV or JSON lines) or an aclImdb/ folder"
)


@dataclass
class TextData:
    """The three splits (columns ``text`` and ``label``), with label names and a content hash."""

    splits: DatasetDict
    label_names: list[str]
    source: str
    fingerprint: str
    split_fingerprints: dict[str, str]  # per split, so the tokenizer's key needs no rehash

    @property
    def sizes(self) -> dict[str, int]:
        return {name: len(ds) for name, ds in self.splits.items()}


def load_data(cfg: DataConfig | None = None) -> TextData:
    """Load, check and split the data named by ``cfg.data`` (or the ``EXPLORER_DATA`` setting)."""
    cfg = cfg or DataConfig()
    source = cfg.data or get_data_source()
    return _load_data_cached(
        source,
        cfg.text_column,
        cfg.label_column,
        tuple(cfg.label_names or ()),
        cfg.val_fraction,
        cfg.split_seed,
        cfg.max_train_samples,
        cfg.max_test_samples,
    )


@lru_cache(maxsize=4)
def _load_data_cached(
    source: str,
    text_col: str,
    label_col: str,
    label_names: tuple[str, ...],
    val_fraction: float,
    split_seed: int,
    max_train: int | None,
    max_test: int | None,
) -> TextData:
    train_df, test_df = _read_source(source)
    train_df = _select_columns(train_df, text_col, label_col, f"{source} (train)")
    test_df = _select_columns(test_df, text_col, label_col, f"{source} (test)")
    train_df = train_df[train_df["label"].astype(str) != "-1"]  # unlabelled rows (aclImdb unsup)
    test_df = test_df[test_df["label"].astype(str) != "-1"]
    names, train_ids, test_ids = _label_ids(train_df["label"], test_df["label"], label_names)
    features = Features({"text": Value("string"), "label": ClassLabel(names=names)})
    train = Dataset.from_dict({"text": train_df["text"].tolist(), "label": train_ids}, features)
    test = Dataset.from_dict({"text": test_df["text"].tolist(), "label": test_ids}, features)
    if len(train) < 2:
        raise DataError(f"The training data in {source} has fewer than 2 labelled rows.")
    try:
        parts = train.train_test_split(
            test_size=val_fraction, seed=split_seed, stratify_by_column="label"
        )
    except ValueError as err:
        raise DataError(
            f"Cannot carve a {val_fraction:.0%} validation split from {len(train)} rows ({err})."
        ) from None
    train, val = parts["train"], parts["test"]
    if max_train is not None and max_train < len(train):
        train = train.shuffle(seed=split_seed).select(range(max_train))
        val = val.select(range(min(len(val), max(max_train // 5, 16))))
    if max_test is not None and max_test < len(test):
        test = test.shuffle(seed=split_seed).select(range(max_test))
    splits = DatasetDict(train=train, validation=val, test=test)
    prints = {name: split_fingerprint(ds) for name, ds in splits.items()}
    return TextData(splits, names, source, _fingerprint(prints, val_fraction, split_seed), prints)


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _read_source(source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    path = Path(source).expanduser()
    if path.exists():
        if not path.is_dir():
            raise DataError(
                f"Data path {source} is a file; point it at the folder holding train and test files."
            )
        if (path / "train" / "pos").is_dir() or (path / "aclImdb").is_dir():
            return _read_aclimdb(path / "aclImdb" if (path / "aclImdb").is_dir() else path)
        return _read_folder(path)
    if _looks_like_path(source):
        raise DataError(f"Data path {source} does not exist; {HOW_TO_PROVIDE}.")
    return _read_hub(source)


def _looks_like_path(source: str) -> bool:
    return (
        source.startswith((".", "/", "~"))
        or source.count("/") > 1
        or Path(source).suffix in SUFFIXES
        or os.sep != "/"
        and os.sep in source
    )


def _find_split_file(folder: Path, split: str) -> Path | None:
    for suffix in SUFFIXES:
        for candidate in (folder / f"{split}{suffix}", *sorted(folder.glob(f"{split}-*{suffix}"))):
            if candidate.is_file():
                return candidate
    return None


def _read_folder(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    train_file = _find_split_file(folder, "train")
    if train_file is None:
        raise DataError(
            f"No train file (train.parquet, .csv, .tsv or .jsonl) in {folder}; {HOW_TO_PROVIDE}."
        )
    test_file = _find_split_file(folder, "test")
    if test_file is None:
        raise DataError(f"No test file (test.parquet, .csv, .tsv or .jsonl) in {folder}.")
    return read_table(train_file), read_table(test_file)


def read_table(path: Path) -> pd.DataFrame:
    """One file as a DataFrame, with a one-sentence error for empty, non-UTF-8 or broken files."""
    kind = SUFFIXES.get(path.suffix)
    if kind is None:
        raise DataError(
            f"Unsupported file type {path.suffix} for {path}; use parquet, CSV, TSV or JSON lines."
        )
    if path.stat().st_size == 0:
        raise DataError(f"File {path} is empty.")
    if kind != "parquet":
        raw = path.read_bytes()
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise DataError(
                f"File {path} is not valid UTF-8 (byte 0x{raw[err.start]:02x} at offset "
                f"{err.start}); save it as UTF-8."
            ) from None
    try:
        if kind == "parquet":
            df = pd.read_parquet(path)
        elif kind == "csv":
            df = pd.read_csv(path, encoding="utf-8")
        elif kind == "tsv":
            df = pd.read_csv(path, sep="\t", encoding="utf-8", quoting=3)
        else:
            df = pd.read_json(path, lines=path.suffix == ".jsonl" or _is_json_lines(path))
    except Exception as err:  # noqa: BLE001 - any parser failure becomes one sentence
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"Cannot read {path}: {first_line.rstrip('.')}.") from None
    if len(df) == 0:
        raise DataError(f"File {path} has no rows.")
    return df


def _is_json_lines(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(1) != b"["


def _read_aclimdb(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    def read_split(split: str) -> pd.DataFrame:
        split_dir = root / split
        if not split_dir.is_dir():
            raise DataError(f"The aclImdb folder {root} has no {split}/ folder.")
        rows = []
        for label_dir in sorted(p for p in split_dir.iterdir() if p.is_dir() and p.name != "unsup"):
            for file in sorted(label_dir.glob("*.txt")):
                try:
                    rows.append((file.read_text(encoding="utf-8"), label_dir.name))
                except UnicodeDecodeError:
                    raise DataError(f"File {file} is not valid UTF-8; save it as UTF-8.") from None
        if not rows:
            raise DataError(f"The aclImdb folder {split_dir} has no labelled .txt files.")
        return pd.DataFrame(rows, columns=["text", "label"])

    return read_split("train"), read_split("test")


def _hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hub answers a TCP connect within ``timeout`` (DNS included, in a thread)."""
    result: list[bool] = []

    def probe() -> None:
        try:
            socket.create_connection((HUB_HOST, 443), timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


def _read_hub(dataset_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    offline = (
        os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("HF_DATASETS_OFFLINE") == "1"
    )
    if not offline and not _hub_reachable():
        raise DataError(
            f"Cannot reach the Hugging Face Hub to download '{dataset_id}'; {HOW_TO_PROVIDE} "
            f"(with a cached copy, set HF_HUB_OFFLINE=1)."
        )
    from datasets import load_dataset

    try:
        ds = load_dataset(dataset_id)
    except Exception as err:  # noqa: BLE001 - the Hub raises many kinds
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(
            f"Cannot load '{dataset_id}' from the Hub ({first_line}); {HOW_TO_PROVIDE}."
        ) from None
    if "train" not in ds or "test" not in ds:
        raise DataError(f"The Hub dataset '{dataset_id}' has no train and test splits.")

    def to_frame(split: Dataset) -> pd.DataFrame:
        df = split.to_pandas()
        for name, feature in split.features.items():
            if isinstance(feature, ClassLabel):  # keep the Hub's label names
                df[name] = [feature.names[i] if i >= 0 else "-1" for i in df[name]]
        return df

    return to_frame(ds["train"]), to_frame(ds["test"])


# --------------------------------------------------------------------------------------------
# Columns and labels
# --------------------------------------------------------------------------------------------


def _select_columns(df: pd.DataFrame, text_col: str, label_col: str, where: str) -> pd.DataFrame:
    for col, flag in ((text_col, "--text-column"), (label_col, "--label-column")):
        if col not in df.columns:
            raise DataError(
                f"Column '{col}' is not in {where}; its columns are "
                f"{', '.join(map(str, df.columns))}. Rename one to '{col}' (on the command line, "
                f"{flag} chooses another)."
            )
    out = pd.DataFrame({"text": df[text_col].fillna("").astype(str), "label": df[label_col]})
    if out["label"].isna().any():
        raise DataError(f"Column '{label_col}' in {where} has empty labels.")
    return out


def _label_ids(
    train: pd.Series, test: pd.Series, label_names: tuple[str, ...]
) -> tuple[list[str], list[int], list[int]]:
    """Map labels to ids 0..k-1. Integer labels keep their values; strings are sorted."""
    present = train.astype(str).unique()
    if len(present) < 2:
        raise DataError(
            f"The training data has only one label ('{present[0]}'); a classifier needs "
            f"at least two."
        )
    if pd.api.types.is_integer_dtype(train) and pd.api.types.is_integer_dtype(test):
        values = sorted(set(train.unique()) | set(test.unique()))
        if values[0] < 0 or values[-1] >= max(len(values), len(label_names)):
            raise DataError(f"Integer labels must be 0..k-1, got {[int(v) for v in values[:10]]}.")
        k = max(values[-1] + 1, len(label_names))
        if label_names:
            names = list(label_names)
        elif k == 2:
            names = ["negative", "positive"]  # the IMDB convention: 0 negative, 1 positive
        else:
            names = [str(i) for i in range(k)]
        train_ids, test_ids = train.astype(int).tolist(), test.astype(int).tolist()
    else:
        train, test = train.astype(str), test.astype(str)
        names = sorted(set(train.unique()))
        unknown = sorted(set(test.unique()) - set(names))
        if unknown:
            raise DataError(
                f"The test split has labels that train lacks: {', '.join(unknown[:5])}."
            )
        index = {n: i for i, n in enumerate(names)}
        train_ids, test_ids = train.map(index).tolist(), test.map(index).tolist()
    return names, train_ids, test_ids


def split_fingerprint(ds: Dataset) -> str:
    """A content hash of one split (texts and labels)."""
    h = hashlib.sha256(str(len(ds)).encode())
    for text in ds["text"]:
        h.update(text.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    h.update(bytes(str(list(ds["label"])), "ascii"))
    return h.hexdigest()[:16]


def _fingerprint(split_prints: dict[str, str], val_fraction: float, split_seed: int) -> str:
    """The whole dataset's hash, from its splits' hashes (each text is hashed once)."""
    parts = [f"{val_fraction}:{split_seed}"] + [
        f"{n}:{split_prints[n]}" for n in sorted(split_prints)
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
