"""Optuna studies: search spaces as data, shared storage, background workers, and what the
pages read of them.

- :mod:`core.studies.spec`: study files (TOML) read into a :class:`~core.studies.spec.StudySpec`,
  samplers and pruners;
- :mod:`core.studies.storage`: the storage every process shares, study files, fast reads;
- :mod:`core.studies.run`: study workers, the objective, Playground trials, replay;
- here: landscapes (grid studies for Explore), the Results page's summary, cost estimates and
  the exported best models.

``core.studies.cli`` holds the ``python -m core study ...`` commands.
"""

from __future__ import annotations

from core.studies._best_run import find_best_run_dir
from core.studies._cost import BudgetEstimate, estimate_budget, estimate_cost
from core.studies._headline import WHY_RECOMMENDED, Headline, datasets_run, headlines
from core.studies._landscape import (
    Landscape,
    LandscapePoint,
    describe_point,
    format_value,
    list_landscapes,
    load_landscape,
    off_grid_points,
)
from core.studies._summary import (
    DRAWN_STATES,
    StudySummary,
    SummaryTracker,
    TrialPoints,
    drawn_mask,
    trial_points,
)

__all__ = [
    "describe_point",
    "drawn_mask",
    "DRAWN_STATES",
    "BudgetEstimate",
    "datasets_run",
    "estimate_budget",
    "estimate_cost",
    "find_best_run_dir",
    "format_value",
    "Headline",
    "headlines",
    "Landscape",
    "LandscapePoint",
    "list_landscapes",
    "load_landscape",
    "off_grid_points",
    "StudySummary",
    "SummaryTracker",
    "trial_points",
    "TrialPoints",
    "WHY_RECOMMENDED",
]
