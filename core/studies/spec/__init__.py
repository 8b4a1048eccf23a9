"""Study definitions as data: a small TOML file per study, checked against the knobs, and the
samplers and pruners it names.
"""

from __future__ import annotations

from core.studies.spec._budget import Budget, parse_budget, trial_cost
from core.studies.spec._halving import RERUN_ATTR, FirstRungCapPruner
from core.studies.spec._names import check_study_name
from core.studies.spec._params import active
from core.studies.spec._parse import load_spec, parse_spec
from core.studies.spec._samplers import (
    build_pruner,
    build_sampler,
    build_worker_sampler,
    grid_space,
    halving_rungs,
)
from core.studies.spec._study_spec import PRUNERS, SAMPLERS, StudySpec, suggest_overrides
from core.studies.spec._table import load_spec_files, spec_to_table, table_to_raw_spec

__all__ = [
    "active",
    "Budget",
    "build_pruner",
    "build_sampler",
    "build_worker_sampler",
    "check_study_name",
    "FirstRungCapPruner",
    "grid_space",
    "halving_rungs",
    "load_spec",
    "load_spec_files",
    "parse_budget",
    "parse_spec",
    "PRUNERS",
    "RERUN_ATTR",
    "SAMPLERS",
    "spec_to_table",
    "StudySpec",
    "suggest_overrides",
    "table_to_raw_spec",
    "trial_cost",
]
