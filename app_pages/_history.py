"""What Results and the Studies monitor share, per server and storage: the studies' counts, each
study's summary (best trial, pruning savings, history points) and its history drawn as SVG.

Both pages read studies through the server's one :class:`~core.studies.storage._snapshots.SnapshotReader`
(:func:`app_pages._resources.get_study_reader`); everything here is cached per snapshot version,
so a refresh while a study runs redraws only when a trial changed, and one page's work serves the
other.
"""

from __future__ import annotations

import optuna
import pandas as pd
import streamlit as st
from optuna.study import StudyDirection

from app_pages._resources import get_study_reader
from core.data import BaselineResult
from core.figures import draws_density, markdown_image, points_svg
from core.studies import StudySummary, SummaryTracker
from core.studies.storage import list_studies

INTERACTIVE_HELP = (
    "The history as a plotly chart you can zoom and hover. Slower to open: plotly.js is a 4.7 MB "
    "bundle, and every trial's point travels to the browser."
)


@st.cache_data(show_spinner=False, ttl=2)
def study_counts(storage_url: str) -> pd.DataFrame:
    """Every study's counts: one aggregate query (0.1 s at 50,000 trials), so pages refreshing
    a running study reuse it for 2 s, the Studies monitor's refresh period."""
    return list_studies(get_study_reader(storage_url).storage)


@st.cache_resource(show_spinner=False, max_entries=64, ttl=600)
def _tracker(storage_url: str, study_name: str) -> SummaryTracker:
    """The server's summary of one study, shared by every session: a refresh reads only the
    trials that changed."""
    return SummaryTracker()


@st.cache_resource(show_spinner=False, max_entries=32, ttl=600)
def study_summary(storage_url: str, version: str, name: str, _study: optuna.Study) -> StudySummary:
    """The best trial, datasets, failures, pruning savings and history points, once per
    snapshot version (``version`` names the snapshot ``_study`` exactly)."""
    return _tracker(storage_url, name).summarize(_study)


@st.cache_resource(show_spinner=False, max_entries=32, ttl=600)
def _history_svg(
    version: str,
    baseline_key: tuple | None,
    _summary: StudySummary,
    _maximize: bool,
    _baseline: BaselineResult | None = None,
) -> tuple[str, str, bool]:
    """The history as static SVG (a few kB whatever the study's size), its note, and whether it
    is a density image (nothing to hover), once per version, from the points the summary
    keeps."""
    svg, note = points_svg(_summary.points, _maximize, _baseline)
    return svg, note, draws_density(_summary.points)


def draw_history(
    name: str,
    version: str,
    study: optuna.Study,
    summary: StudySummary,
    baseline: BaselineResult | None = None,
) -> None:
    """The optimisation history as SVG: inline (each dot names its trial on hover) or, above
    :data:`~core.figures._history_svg.DOT_LIMIT` drawn points, a density image. No plotly.js (a
    4.7 MB bundle a new visitor's browser parses for over a second). Raises ``ValueError`` for
    a study with several objectives."""
    if len(study.directions) != 1:
        raise ValueError("the history figure needs a study with one objective.")
    maximize = study.direction == StudyDirection.MAXIMIZE
    baseline_key = None if baseline is None else (baseline.val_accuracy, baseline.test_accuracy)
    svg, note, density = _history_svg(version, baseline_key, summary, maximize, baseline)
    if density:  # a density image: nothing to hover
        st.markdown(markdown_image(svg, f"Optimisation history of {name}"))
    else:  # inline, so each trial's dot names it on hover
        st.markdown(svg, unsafe_allow_html=True)
    st.caption(note)


def warn_failures(summary: StudySummary) -> None:
    """One warning with the study's failed trials and the newest failures' reasons, if any."""
    if summary.failures:
        st.warning(f"{summary.n_failed} trial(s) failed. " + " ".join(summary.failures))
