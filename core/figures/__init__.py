"""Every figure the pages draw: data in, a plotly figure or a static SVG string out.

No streamlit here; the pages only call ``st.plotly_chart`` or ``st.markdown``. Study figures use
``optuna.visualization`` where it draws what is wanted; the history, the timeline and Explore's
landscapes are drawn here, with static SVG versions for the first render.
"""

from __future__ import annotations

from core.figures._base import FigureResult
from core.figures._dataset import build_length_histogram, get_data_summary
from core.figures._history_svg import draws_density, history_svg, markdown_image, points_svg
from core.figures._landscape import build_curves_figure, build_heatmap_figure, build_sweep_figure
from core.figures._landscape_svg import curves_svg, heatmap_svg, sweep_svg
from core.figures._prediction import (
    build_highlighted_html,
    build_state_gap_figure,
    get_evidence_table,
    get_top_words,
)
from core.figures._run_curves import build_run_curve_figure, build_runs_figure, run_curve_svg
from core.figures._study import FIGURES, build_comparison_figure, build_figure, build_history_figure

__all__ = [
    "build_comparison_figure",
    "build_curves_figure",
    "build_figure",
    "build_heatmap_figure",
    "build_highlighted_html",
    "build_history_figure",
    "build_length_histogram",
    "build_run_curve_figure",
    "build_runs_figure",
    "build_state_gap_figure",
    "build_sweep_figure",
    "curves_svg",
    "draws_density",
    "FigureResult",
    "FIGURES",
    "get_data_summary",
    "get_evidence_table",
    "get_top_words",
    "heatmap_svg",
    "history_svg",
    "markdown_image",
    "points_svg",
    "run_curve_svg",
    "sweep_svg",
]
