"""Reading a dataset's files: a local folder (parquet, CSV, TSV, JSON lines, or the original
``aclImdb/`` layout), or a Hugging Face Hub dataset id; and finding the datasets a data setting
names (:func:`list_datasets`: one dataset, a folder of dataset folders, or a list).

Every problem a user can cause becomes a :class:`~core.errors.DataError` with one sentence.
Nothing here waits for the network: the Hub is probed first, and an unreachable Hub is one
sentence saying how to provide the data.
"""

from __future__ import annotations

import csv
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from datasets import ClassLabel, Dataset

from core.data._description import (
    DataDescription,
    describe_data,
    headerless_names,
    looks_headerless,
    read_sample,
)
from core.errors import DataError

SUFFIXES = {".parquet": "parquet", ".csv": "csv", ".tsv": "tsv", ".jsonl": "json", ".json": "json"}
HUB_HOST = "huggingface.co"
HOW_TO_PROVIDE = (
    "set EXPLORER_DATA (or --data) to a local folder holding train and test files "
    "(parquet, CSV, TSV or JSON lines) or an aclImdb/ folder"
)


def read_source(source: str, desc: DataDescription) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The train and test frames of ``source`` (test None: there is no test file). ``source`` is
    a folder, one file (the training file), or a Hub id. Each frame's ``attrs["path"]`` names
    the file it was read from."""
    path = Path(source).expanduser()
    if path.exists():
        if not path.is_dir():  # one file: the training file; a test split is carved from it
            return read_table(path, desc.header), None
        if (path / "train" / "pos").is_dir() or (path / "aclImdb").is_dir():
            return _read_aclimdb(path / "aclImdb" if (path / "aclImdb").is_dir() else path)
        return _read_folder(path, desc)
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


def _read_folder(folder: Path, desc: DataDescription) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The train file and the test file (None when there is none: one is carved from train)."""
    train_file = _find_split_file(folder, "train")
    if train_file is None:
        inner = sorted(p.name for p in folder.iterdir() if p.is_dir() and is_dataset_folder(p))
        if inner:
            raise DataError(
                f"The folder {folder} holds several datasets ({', '.join(inner)}); name one of "
                f"them (for example {folder / inner[0]}), or pick one in the app's sidebar."
            )
        if any(p.is_dir() for p in folder.iterdir()):
            raise DataError(
                f"The folder {folder} holds no dataset: neither train and test files (parquet, "
                "CSV, TSV or JSON lines) nor folders of them."
            )
        raise DataError(
            f"No train file (train.parquet, .csv, .tsv or .jsonl) in {folder}; {HOW_TO_PROVIDE}."
        )
    test_file = _find_split_file(folder, "test")
    train = read_table(train_file, desc.header)
    return train, read_table(test_file, desc.header) if test_file is not None else None


def read_table(path: Path, header: bool | None = None) -> pd.DataFrame:
    """One file as a DataFrame, with a one-sentence error for empty, non-UTF-8 or broken files.

    A CSV/TSV file has a header row when ``header`` says so, else when its first row does not
    look like data (:func:`~core.data._description.looks_headerless`); a header-less file's
    columns are ``col1``, ``col2``, .... ``df.attrs["header"]`` says which (None for formats
    without a header row), ``df.attrs["path"]`` names the file.
    """
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
    headerless = False
    if kind in ("csv", "tsv"):
        sep, quoting = (
            ("," if kind == "csv" else "\t"),
            (csv.QUOTE_MINIMAL if kind == "csv" else csv.QUOTE_NONE),
        )
        headerless = (
            not header if header is not None else looks_headerless(read_sample(path, sep, quoting))
        )
    try:
        if kind == "parquet":
            df = pd.read_parquet(path)
        elif kind in ("csv", "tsv"):
            df = _read_delimited(path, sep, quoting, headerless)
            if headerless:
                df.columns = headerless_names(len(df.columns))
        else:
            df = pd.read_json(path, lines=path.suffix == ".jsonl" or _is_json_lines(path))
    except Exception as err:  # noqa: BLE001 - any parser failure becomes one sentence
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"Cannot read {path}: {first_line.rstrip('.')}.") from None
    if len(df) == 0:
        raise DataError(f"File {path} has no rows.")
    df.attrs["header"] = None if kind not in ("csv", "tsv") else not headerless
    df.attrs["path"] = str(path)
    return df


def _read_delimited(path: Path, sep: str, quoting: int, headerless: bool) -> pd.DataFrame:
    """A CSV/TSV file. A TSV is read without quote characters (a review may start with one);
    one that cannot be read so, because a field holding a tab or a line break was quoted (as
    Python's ``csv`` and pandas write it), is read again with quotes."""
    header = None if headerless else "infer"
    try:
        return pd.read_csv(path, sep=sep, encoding="utf-8", quoting=quoting, header=header)
    except pd.errors.ParserError:
        if quoting == csv.QUOTE_MINIMAL:
            raise
    return pd.read_csv(path, sep=sep, encoding="utf-8", quoting=csv.QUOTE_MINIMAL, header=header)


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


def hub_reachable(timeout: float = 3.0) -> bool:
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
    if not offline and not hub_reachable():
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
# Which datasets a data setting names
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetEntry:
    """One dataset a data setting names: its display name and its source (folder or Hub id).
    ``problem``: why it cannot be used (one sentence), empty when it can."""

    name: str
    source: str
    problem: str = ""


def is_dataset_folder(path: Path) -> bool:
    """Whether ``path`` holds one dataset: a train file, or the ``aclImdb/`` layout."""
    return (
        _find_split_file(path, "train") is not None
        or (path / "train" / "pos").is_dir()
        or (path / "aclImdb").is_dir()
    )


NO_TRAIN_FILE = "it has no train file (parquet, CSV, TSV or JSON lines)."


def _unusable(path: Path, problem: str) -> DatasetEntry:
    return DatasetEntry(path.name, str(path), f"{path.name}: {problem}")


def _entry(path: Path) -> DatasetEntry:
    """A dataset folder of a folder of datasets; one whose description fails is unusable."""
    try:
        return DatasetEntry(describe_data(str(path)).name, str(path))
    except DataError as err:
        return _unusable(path, str(err))


def list_datasets(setting: str) -> list[DatasetEntry]:
    """The datasets ``setting`` (``EXPLORER_DATA``) names, in order: one dataset (a folder or a Hub
    id), a folder of dataset folders, or several of these separated by ``os.pathsep``.

    Names come from each folder's ``dataset.toml`` (else the folder's name) and are made unique.
    A folder that holds no dataset is one sentence. In a folder of datasets, a sub-folder with no
    train file, or whose description fails, is listed with its ``problem``; pages offer only the
    entries without one (:func:`usable`).
    """
    entries: list[DatasetEntry] = []
    for part in (p.strip() for p in setting.split(os.pathsep)):
        if not part:
            continue
        path = Path(part).expanduser()
        if path.is_file() or path.is_dir() and is_dataset_folder(path):  # one dataset
            entries.append(DatasetEntry(describe_data(str(path)).name, str(path)))
            continue
        if not path.is_dir():
            if _looks_like_path(part):
                raise DataError(f"Data path {part} does not exist; {HOW_TO_PROVIDE}.")
            entries.append(DatasetEntry(part, part))  # a Hub id (or a path read_source refuses)
            continue
        folders = sorted(p for p in path.iterdir() if p.is_dir() and p.name[:1] not in "._")
        inner = [p for p in folders if is_dataset_folder(p)]
        if not inner:
            raise DataError(
                f"The folder {part} holds no dataset: neither train and test files (parquet, CSV, "
                "TSV or JSON lines) nor folders of them."
            )
        for p in folders:
            entries.append(_entry(p) if p in inner else _unusable(p, NO_TRAIN_FILE))
    if not entries:
        raise DataError(f"No dataset is named; {HOW_TO_PROVIDE}.")
    seen: dict[str, int] = {}
    unique = []
    for e in entries:
        seen[e.name] = seen.get(e.name, 0) + 1
        name = e.name if seen[e.name] == 1 else f"{e.name} ({seen[e.name]})"
        unique.append(DatasetEntry(name, e.source, e.problem))
    return unique


def usable(entries: list[DatasetEntry]) -> list[DatasetEntry]:
    """The entries that can be picked: those without a problem."""
    return [e for e in entries if not e.problem]
