"""The trials table of a study that keeps changing, updated row by row instead of rebuilt.

:func:`~core.studies.storage._queries.trials_frame` turns 50,000 trials into a table in about 0.35 s,
too slow for a page that refreshes a running study every few seconds. A
:class:`~core.studies.storage._snapshots.SnapshotReader` hands back the *same* ``FrozenTrial`` objects
for trials that did not change, so :class:`TrialTable` keeps the last list and table and
rebuilds only the rows whose trial object is new (added, or changed since the last read). The
result is the table ``trials_frame`` would give for the same list, column order aside for
parameters that appear only in new rows.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from functools import partial

import pandas as pd
from optuna.trial import FrozenTrial

from core.studies.storage._queries import trials_frame

# More changed rows than this share of the table and a full rebuild is as quick.
_MAX_CHANGED_SHARE = 0.2


class TrialTable:
    """One study's trial table, updated from each new snapshot's trial list. Thread-safe; the
    returned frames are never changed afterwards (callers may still want to copy before
    editing them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._trials: list[FrozenTrial] = []
        self._frame: pd.DataFrame | None = None
        self.rows_built = 0  # rows built by the last call (for tests and benchmarks)

    def frame(self, trials: list[FrozenTrial]) -> pd.DataFrame:
        with self._lock:
            frame = self._update(list(trials))
            self._trials, self._frame = list(trials), frame
            return frame

    def _update(self, trials: list[FrozenTrial]) -> pd.DataFrame:
        old, frame = self._trials, self._frame
        if frame is None or len(trials) < len(old) or not trials:
            return self._full(trials)
        changed = [i for i, (a, b) in enumerate(zip(old, trials, strict=False)) if a is not b]
        added = range(len(old), len(trials))
        if len(changed) > _MAX_CHANGED_SHARE * len(trials):
            return self._full(trials)
        positions = [*changed, *added]
        self.rows_built = len(positions)
        if not positions:
            return frame
        rows = trials_frame([trials[i] for i in positions])
        rows.index = pd.Index(positions)
        for c in rows.columns.intersection(frame.columns):  # e.g. a running trial's None value
            if rows[c].dtype != frame[c].dtype and frame[c].dtype != object:
                try:
                    rows[c] = rows[c].astype(frame[c].dtype)
                except (TypeError, ValueError):
                    pass
        if changed and set(rows.columns) <= set(frame.columns):
            # The usual change while a study runs: a running trial reported. Its rows are set in
            # a copy (one copy of the table instead of a drop, a concat and a sort).
            merged = frame.copy()
            fresh = rows.loc[changed]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error")  # an incompatible dtype: the general way
                    for c in fresh.columns:
                        merged.loc[changed, c] = fresh[c].to_numpy()
            except (FutureWarning, TypeError, ValueError):
                pass
            else:
                added_rows = rows.loc[list(added)]
                if len(added_rows):
                    merged = pd.concat([merged, added_rows])
                merged.index = pd.RangeIndex(len(merged))
                return merged
        kept = frame.drop(index=changed) if changed else frame
        merged = pd.concat([kept, rows])
        if changed:
            merged = merged.sort_index(kind="stable")
        merged.index = pd.RangeIndex(len(merged))
        return merged

    def _full(self, trials: list[FrozenTrial]) -> pd.DataFrame:
        self.rows_built = len(trials)
        return trials_frame(trials)


# Rows sent to the browser at once: a 50,000-trial table is 7.5 MB of Arrow on every rerun, a
# 1,000-row page is about 150 kB whatever the study's size.
PAGE_ROWS = 1000


@dataclass(frozen=True)
class TablePage:
    """One page of a sorted table: ``frame`` holds rows ``first``..``last`` (1-based) of
    ``total``, page ``page`` of ``pages``."""

    frame: pd.DataFrame
    page: int
    pages: int
    first: int
    last: int
    total: int


def page_count(rows: int, size: int = PAGE_ROWS) -> int:
    """Pages of ``size`` rows that ``rows`` rows fill (one, even when empty)."""
    return max(1, -(-rows // size))


def table_page(
    frame: pd.DataFrame,
    sort_by: str | None,
    descending: bool,
    page: int = 1,
    size: int = PAGE_ROWS,
) -> TablePage:
    """Rows of ``frame`` sorted by column ``sort_by`` (missing values last; a column mixing
    types sorts by its text), then page ``page`` (clamped to the pages there are) of ``size``."""
    if size < 1:
        raise ValueError(f"a page needs at least one row, got {size}.")
    order = None  # positions of the sorted rows; only the page's rows are then copied
    if sort_by is not None and sort_by in frame.columns:
        column = frame[sort_by].reset_index(drop=True)
        sort = partial(column.sort_values, ascending=not descending, na_position="last")
        try:
            order = sort(kind="stable").index
        except TypeError:  # e.g. a parameter that was a number in some trials, text in others
            order = sort(kind="stable", key=lambda c: c.map(lambda v: v if pd.isna(v) else str(v)))
            order = order.index
    total = len(frame)
    pages = page_count(total, size)
    page = min(max(int(page), 1), pages)
    start = (page - 1) * size
    rows = slice(start, start + size) if order is None else order[start : start + size]
    chunk = frame.iloc[rows]
    return TablePage(chunk, page, pages, start + 1 if total else 0, start + len(chunk), total)
