"""Every knob of a run: its declaration (default, help, legal range), the presets, a run's
values resolved and checked, and the exercise links that hide or lock knobs.

The single source of truth for a hyperparameter. Torch-free: listing studies, reading a study
file, the sidebar and exercise links never pay for importing torch or transformers.
"""

from __future__ import annotations

from core.knobs._exercise_links import exercise_query, parse_exercise
from core.knobs._fields import (
    FAMILIES,
    FAMILY_OF_MODEL_TYPE,
    DataConfig,
    Knob,
    ModelKnobs,
    TrainConfig,
    get_knob,
    get_knobs,
)
from core.knobs._fitted import FittedDefaults, fit_defaults
from core.knobs._presets import PRESETS
from core.knobs._values import (
    check_values,
    coerce,
    describe_validation,
    family_of,
    flat_of_config,
    resolve,
)

__all__ = [
    "check_values",
    "coerce",
    "DataConfig",
    "describe_validation",
    "FAMILIES",
    "exercise_query",
    "family_of",
    "fit_defaults",
    "FittedDefaults",
    "FAMILY_OF_MODEL_TYPE",
    "flat_of_config",
    "get_knob",
    "get_knobs",
    "Knob",
    "ModelKnobs",
    "parse_exercise",
    "PRESETS",
    "resolve",
    "TrainConfig",
]
