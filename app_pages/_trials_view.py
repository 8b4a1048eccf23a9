"""Results' trial table: the States and pandas-query filters, sorting and paging on the server
(the browser gets one page of rows, not the whole study: 7.5 MB at 50,000 trials, on every
refresh), and the CSV of every matching row."""

from __future__ import annotations

from functools import partial

import optuna
import pandas as pd
import streamlit as st
from optuna.study import StudyDirection

from core.studies.storage import PAGE_ROWS, TablePage, page_count, table_page


def draw_trials(name: str, study: optuna.Study, table: pd.DataFrame) -> None:
    """The table of ``study`` (named ``name``), from its :class:`TrialTable` frame."""
    if table.empty:
        st.info("No trials yet.")
        return
    table = table.rename(columns=lambda c: c.removeprefix("params_"))
    shown = _filtered(table)
    maximize = len(study.directions) > 1 or study.direction == StudyDirection.MAXIMIZE
    page, sort_by = _page(shown, maximize)
    if page.pages > 1:
        st.caption(
            f"showing {len(shown)} of {len(table)} trials: rows {page.first:,}–{page.last:,}, "
            f"page {page.page} of {page.pages}, sorted by {sort_by}. Clicking a column sorts "
            f"this page only; the CSV has all {len(shown):,} rows."
        )
    else:
        st.caption(
            f"showing {len(shown)} of {len(table)} trials, sorted by {sort_by} "
            "(click a column to sort)"
        )
    st.dataframe(page.frame, hide_index=True, key="results_trials")
    st.download_button(
        "Download CSV",
        partial(_csv_bytes, shown),  # written on click only: 10,000 rows take ~0.15 s
        file_name=f"{name}-trials.csv",
        mime="text/csv",
        key="results_csv",
    )


def _filtered(table: pd.DataFrame) -> pd.DataFrame:
    """The rows the States filter and the pandas query keep."""
    left, right = st.columns(2)
    options = sorted(table["state"].unique())
    _follow_new_states(options)
    states = left.multiselect("States", options, key="results_states")
    query = right.text_input(
        "Filter (pandas query, e.g. `value > 0.8 and batch_size == 64`)", key="results_query"
    )
    shown = table[table["state"].isin(states)]
    if query.strip():
        try:
            shown = shown.query(query)
        except Exception as err:  # noqa: BLE001 - a user's expression: one sentence back
            st.error(f"The filter could not be applied: {err}.")
    return shown


def _page(shown: pd.DataFrame, maximize: bool) -> tuple[TablePage, str]:
    """The page of ``shown`` the Sort by, Descending and Rows controls pick, and the sort column."""
    rows = PAGE_ROWS  # read at each run, so a test can shrink the pages
    columns = list(shown.columns)
    sort_col, order_col, page_col = st.columns([2, 1, 1])
    sort_by = sort_col.selectbox(
        "Sort by",
        columns,
        index=columns.index("value") if "value" in columns else 0,
        key="results_sort",
    )
    descending = order_col.toggle("Descending", value=maximize, key="results_descending")
    pages = page_count(len(shown), rows)
    if st.session_state.get("results_page", 1) > pages:  # the filter left fewer pages
        st.session_state["results_page"] = pages
    number = 1
    if pages > 1:  # a selectbox, not a number input: one widget type fewer to load
        number = page_col.selectbox(
            "Rows",
            range(1, pages + 1),
            format_func=lambda p: f"{(p - 1) * rows + 1:,}–{min(p * rows, len(shown)):,}",
            key="results_page",
        )
    return table_page(shown, sort_by, descending, number, size=rows), sort_by


def _follow_new_states(options: list[str]) -> None:
    """Keep the States filter's choice across refreshes, but show a state that was not there
    before (say, the first running trial of a study being watched): selected unless deselected."""
    known = st.session_state.get("_results_states_seen")
    chosen = st.session_state.get("results_states")
    if chosen is None or known is None:
        st.session_state["results_states"] = list(options)
    else:
        new = [s for s in options if s not in known]
        st.session_state["results_states"] = [s for s in options if s in chosen or s in new]
    st.session_state["_results_states_seen"] = list(options)


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()
