"""What a dataset's files hold: which column is the text, which the label, whether there is a
header, the label names. One reader for the CLI, the app and the study workers.

Where it comes from, the first that says it winning:

1. the command line or the run's :class:`~core.knobs._fields.DataConfig` (``--text-column``,
   ``--label-column``; ``text`` and ``label``, the defaults, mean "look for it");
2. environment variables: ``EXPLORER_TEXT_COLUMN`` (several, comma-separated, are joined),
   ``EXPLORER_LABEL_COLUMN``, ``EXPLORER_HEADER`` (true/false), ``EXPLORER_LABEL_NAMES``
   (comma-separated), ``EXPLORER_TEXT_SEPARATOR``, ``EXPLORER_DATA_NAME``;
3. ``dataset.toml`` in the data folder::

       name = "AG News"
       text_column = ["title", "description"]   # or one name
       text_separator = " - "
       label_column = "class"
       header = false                            # the CSV/TSV files have no header row
       label_names = ["World", "Sports", "Business", "Sci/Tech"]

4. inference (:func:`choose_columns`): a column named ``text``, else the one column of long
   strings; a column named ``label``, else one named like ``labels``, ``class``, ``sentiment``,
   ``target`` or ``category``, else the only other column. A CSV/TSV whose first row looks like data is read without a header
   (:func:`looks_headerless`); its columns are then ``col1``, ``col2``, ... and the text is the
   longest-string column, the label the one with the fewest distinct values.

Every mistake or ambiguity is one :class:`~core.errors.DataError` sentence that names the
candidates and the setting to use.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import DataError

DESCRIPTION_FILE = "dataset.toml"
LABEL_LIKE = ("label", "labels", "class", "sentiment", "target", "category")
MIN_TEXT_CHARS = 30  # a column of strings this long on average holds text, not codes or names
_ENV = {
    "name": "EXPLORER_DATA_NAME",
    "text_column": "EXPLORER_TEXT_COLUMN",
    "text_separator": "EXPLORER_TEXT_SEPARATOR",
    "label_column": "EXPLORER_LABEL_COLUMN",
    "header": "EXPLORER_HEADER",
    "label_names": "EXPLORER_LABEL_NAMES",
    "noun": "EXPLORER_DATA_NOUN",
}
_HOW = {
    "text": f"text_column in {DESCRIPTION_FILE} (or EXPLORER_TEXT_COLUMN, --text-column)",
    "label": f"label_column in {DESCRIPTION_FILE} (or EXPLORER_LABEL_COLUMN, --label-column)",
    "header": f"header in {DESCRIPTION_FILE} (or EXPLORER_HEADER)",
}


@dataclass(frozen=True)
class DataDescription:
    """A dataset's columns and labels, as told (empty or None: infer)."""

    name: str
    text_columns: tuple[str, ...] = ()
    text_separator: str = "\n"
    label_column: str | None = None
    header: bool | None = None
    label_names: tuple[str, ...] = ()
    noun: str = "text"  # what one row is, for the pages' wording: "review", "message"...

    @property
    def nouns(self) -> str:
        return plural(self.noun)


def plural(noun: str) -> str:
    """``noun`` with an "s", or "es" after s, x, z, ch and sh: texts, reviews, messages."""
    return noun + ("es" if noun.endswith(("s", "x", "z", "ch", "sh")) else "s")


def describe_data(
    source: str,
    text_column: str = "text",
    label_column: str = "label",
    label_names: tuple[str, ...] = (),
) -> DataDescription:
    """The description of ``source`` (a folder or a Hub id): ``dataset.toml``, then the
    environment, then the explicit arguments (``text``/``label`` mean "look for it")."""
    path = Path(source).expanduser()
    values: dict[str, Any] = {
        "name": path.name if path.is_dir() else path.stem if path.is_file() else source
    }
    if path.is_dir():
        values |= _read_toml(path / DESCRIPTION_FILE)
    values |= _read_env()
    if text_column != "text":  # several, comma-separated, are joined
        values["text_column"] = tuple(c.strip() for c in text_column.split(",") if c.strip())
    if label_column != "label":
        values["label_column"] = label_column
    if label_names:
        values["label_names"] = tuple(label_names)
    if "text_column" in values:  # the file's key names one or several: the field is plural
        values["text_columns"] = values.pop("text_column")
    return DataDescription(**values)


def _read_toml(file: Path) -> dict[str, Any]:
    if not file.is_file():
        return {}
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"{file} is not valid TOML ({err}).") from None
    unknown = sorted(set(raw) - set(_ENV))
    if unknown:
        raise DataError(
            f"{file} has an unknown key '{unknown[0]}'; the keys are {', '.join(_ENV)}."
        )
    out: dict[str, Any] = {}
    for key, value in raw.items():
        out[key] = _check(key, value, str(file))
    return out


def _read_env() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, var in _ENV.items():
        value = os.environ.get(var)
        if not value:
            continue
        if key in ("text_column", "label_names"):
            parsed: Any = [v.strip() for v in value.split(",") if v.strip()]
        elif key == "header":
            if value.lower() not in ("1", "true", "yes", "0", "false", "no"):
                raise DataError(f"{var} must be true or false, got '{value}'.")
            parsed = value.lower() in ("1", "true", "yes")
        else:
            parsed = value
        out[key] = _check(key, parsed, var)
    return out


def _check(key: str, value: Any, where: str) -> Any:
    """One setting's value, in the description's types, or one sentence."""
    if key == "text_column":
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise DataError(f"text_column in {where} must be a column name or a list of names.")
        return tuple(names)
    if key == "label_names":
        if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
            raise DataError(f"label_names in {where} must be a list of names.")
        if len(set(value)) != len(value):
            raise DataError(f"label_names in {where} repeat a name.")
        return tuple(value)
    if key == "header":
        if not isinstance(value, bool):
            raise DataError(f"header in {where} must be true or false, got {value!r}.")
        return value
    if not isinstance(value, str):
        raise DataError(f"{key} in {where} must be a string, got {value!r}.")
    if key == "noun" and not re.fullmatch(r"[A-Za-z][A-Za-z -]{0,30}", value):
        raise DataError(f'noun in {where} must be a word such as "review", got {value!r}.')
    return value.lower() if key == "noun" else value


# --------------------------------------------------------------------------------------------
# Header-less CSV/TSV files
# --------------------------------------------------------------------------------------------


def looks_headerless(sample: pd.DataFrame) -> bool:
    """Whether a CSV/TSV file's first row is data, from its first rows read without a header.

    Headerless when some column holds few distinct values (a label) and its first cell is one of
    the values below it, when a column's first cell is a number like every cell below it, or
    when the first cell of the text column is itself a text (a header
    names a column; it is not a paragraph). Otherwise a header: :class:`csv.Sniffer` is not used,
    because it answers "no header" whenever it cannot tell (every column's cells of varying
    length, as with reviews and string labels).
    """
    if len(sample) < 3:
        return False
    first, rest = sample.iloc[0].astype(str), sample.iloc[1:].astype(str)
    for col in sample.columns:
        values = set(rest[col])
        if 1 < len(values) <= max(2, min(50, len(rest) // 2)) and first[col] in values:
            return True
    for col in sample.columns:  # a header names its columns: a number is a value
        if _is_number(first[col]) and rest[col].map(_is_number).all():
            return True
    lengths = {col: rest[col].str.len().mean() for col in sample.columns}
    text = max(lengths, key=lambda c: lengths[c])
    return bool(lengths[text] >= MIN_TEXT_CHARS and len(first[text]) >= MIN_TEXT_CHARS)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return cell.strip().lower() not in ("nan", "inf", "-inf", "infinity")


def headerless_names(n: int) -> list[str]:
    """The names a header-less file's columns get: ``col1``, ``col2``, ..."""
    return [f"col{i}" for i in range(1, n + 1)]


def read_sample(path: Path, sep: str, quoting: int, rows: int = 200) -> pd.DataFrame:
    """The file's first ``rows`` rows, read without a header (with quotes if it cannot be read
    with ``quoting``, as :func:`core.data._files.read_table` does)."""
    opening = _opening(path)
    for how in dict.fromkeys((quoting, csv.QUOTE_MINIMAL)):
        try:
            return pd.read_csv(
                io.StringIO(opening),
                sep=sep,
                quoting=how,
                header=None,
                nrows=rows,
                dtype=str,
                keep_default_na=False,
            )
        except Exception:  # noqa: BLE001, S112 - an unreadable sample: the full read says why
            continue
    return pd.DataFrame()


def _opening(path: Path, limit: int = 256 * 1024) -> str:
    """The file's opening, cut at a line end."""
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        text = fh.read(limit)
    return text.rsplit("\n", 1)[0] if len(text) == limit and "\n" in text else text


# --------------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------------


def choose_columns(
    df: pd.DataFrame, desc: DataDescription, where: str, headerless: bool = False
) -> tuple[list[str], str]:
    """The text column(s) and the label column of ``df`` (read from ``where``)."""
    columns = [str(c) for c in df.columns]
    df = df.set_axis(columns, axis=1)
    text = _choose_text(df, desc, where, headerless)
    label = _choose_label(df, desc, where, headerless, text)
    for col in text:
        _check_is_text(df[col], col, where)
    return text, label


def _missing(col: str, columns: list[str], where: str, what: str) -> DataError:
    return DataError(
        f"Column '{col}' is not in {where}; its columns are {', '.join(columns)}. Set "
        f"{_HOW[what]} to one of them."
    )


def _choose_text(
    df: pd.DataFrame, desc: DataDescription, where: str, headerless: bool
) -> list[str]:
    columns = list(df.columns)
    if desc.text_columns:
        for col in desc.text_columns:
            if col not in columns:
                raise _missing(col, columns, where, "text")
        return list(desc.text_columns)
    if "text" in columns:
        return ["text"]
    lengths = {c: _mean_length(df[c]) for c in columns}
    long = sorted((c for c, n in lengths.items() if n >= MIN_TEXT_CHARS), key=lambda c: -lengths[c])
    if headerless and lengths:
        best = max(lengths, key=lambda c: lengths[c])
        if lengths[best] > 0:
            return [best]
    if len(long) == 1:
        return long
    if not long:
        raise DataError(
            f"No column of {where} holds text (its columns are {', '.join(columns)}); set "
            f"{_HOW['text']}."
        )
    raise DataError(
        f"Several columns of {where} hold text ({', '.join(long)}); set {_HOW['text']} to one "
        "of them, or to a list of them to join."
    )


def _choose_label(
    df: pd.DataFrame, desc: DataDescription, where: str, headerless: bool, text: list[str]
) -> str:
    columns = list(df.columns)
    if desc.label_column is not None:
        if desc.label_column not in columns:
            raise _missing(desc.label_column, columns, where, "label")
        if desc.label_column in text:
            raise DataError(f"Column '{desc.label_column}' cannot be both the text and the label.")
        return desc.label_column
    if "label" in columns:
        return "label"
    named = [c for c in columns if c.lower() in LABEL_LIKE and c not in text]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise DataError(
            f"Several columns of {where} could be the label ({', '.join(named)}); set "
            f"{_HOW['label']} to one of them."
        )
    others = [c for c in columns if c not in text]
    if len(others) == 1:  # text and one more column: that one is the label
        return others[0]
    if headerless and others:
        distinct = {c: df[c].nunique() for c in others}
        fewest = min(distinct.values())
        picks = [c for c in others if distinct[c] == fewest]
        if len(picks) == 1 and fewest >= 2:
            return picks[0]
        if len(picks) > 1:
            raise DataError(
                f"Several columns of {where} could be the label ({', '.join(picks)}); set "
                f"{_HOW['label']} to one of them."
            )
    raise DataError(
        f"No label column in {where} (its columns are {', '.join(columns)}); set "
        f"{_HOW['label']}, or name the column label."
    )


def _mean_length(col: pd.Series) -> float:
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return 0.0
    values = col.dropna().astype(str)
    if not len(values) or _mostly_numbers(values):
        return 0.0
    return float(values.str.len().mean())


def _mostly_numbers(values: pd.Series) -> bool:
    sample = values.head(1000)
    return bool(pd.to_numeric(sample, errors="coerce").notna().mean() > 0.9)


def _check_is_text(col: pd.Series, name: str, where: str) -> None:
    values = col.dropna()
    if pd.api.types.is_numeric_dtype(col) or (len(values) and _mostly_numbers(values.astype(str))):
        raise DataError(
            f"Column '{name}' of {where} holds numbers, not text; set {_HOW['text']} to the "
            "column with the text."
        )


def join_text(df: pd.DataFrame, columns: list[str], separator: str) -> pd.Series:
    """One text per row: the text columns joined with ``separator`` (empty cells left out)."""
    if len(columns) == 1:
        return df[columns[0]].fillna("").astype(str)
    rows = df[columns].fillna("").astype(str).values.tolist()
    return pd.Series([separator.join(p for p in row if p) for row in rows], index=df.index)
