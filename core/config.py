"""The Hugging Face config classes and a training run's full configuration.

The knobs themselves (defaults, help, ranges) live in the torch-free :mod:`core.knobs`;
:class:`TextClassifierConfig` inherits them, so a default is written once:

- :class:`TextClassifierConfig` (a ``PretrainedConfig``): the model, saved with its weights;
- :class:`~core.knobs.TrainConfig`: the optimisation (learning rate, batch size, steps, ...);
- :class:`~core.knobs.DataConfig`: where the data comes from, the validation split and the tokenizer.

:func:`build_run_config` turns a family, a preset and flat knob values into a validated
:class:`RunConfig`. The knob names are re-exported here for the modules that import them from
their old home.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from transformers import PretrainedConfig

from core.errors import ConfigError
from core.knob_values import check_values, coerce, family_of, resolve
from core.knobs import (
    FAMILIES,
    FAMILY_OF_MODEL_TYPE,
    DataConfig,
    Knob,
    ModelKnobs,
    TrainConfig,
    get_knob,
    get_knobs,
    knob,
)
from core.presets import PRESETS

__all__ = [
    "CONFIG_CLASSES",
    "FAMILIES",
    "FAMILY_OF_MODEL_TYPE",
    "PRESETS",
    "ConfigError",
    "DataConfig",
    "Knob",
    "RunConfig",
    "TextCNNConfig",
    "TextClassifierConfig",
    "TextRNNConfig",
    "TrainConfig",
    "build_run_config",
    "coerce",
    "family_of",
    "get_knob",
    "get_knobs",
    "knob",
    "resolve",
    "validate",
]


class TextClassifierConfig(ModelKnobs, PretrainedConfig):
    """Knobs of the CNN and the RNN (from :class:`~core.knobs.ModelKnobs`). ``model_type`` picks
    the architecture (see ``core.models``).

    ``ModelKnobs`` comes first among the bases so that its fields would win over any
    ``PretrainedConfig`` field of the same name (dataclass fields are collected base-last).
    """

    model_type = "text_classifier"

    vocab_size: int = 20000  # set from the tokenizer; the knob is DataConfig.vocab_size
    pad_token_id: int | None = 0

    @property
    def min_pad_length(self) -> int:
        """Shortest padded length the model accepts (a CNN needs a full window)."""
        return max(self.filter_sizes) if self.model_type == TextCNNConfig.model_type else 1


class TextCNNConfig(TextClassifierConfig):
    model_type = "text_cnn"


class TextRNNConfig(TextClassifierConfig):
    model_type = "text_rnn"


CONFIG_CLASSES: dict[str, type[TextClassifierConfig]] = {"cnn": TextCNNConfig, "rnn": TextRNNConfig}


# core.knobs.FAMILY_OF_MODEL_TYPE is the one map; the classes must agree with it.
assert all(FAMILY_OF_MODEL_TYPE[cls.model_type] == f for f, cls in CONFIG_CLASSES.items())


@dataclass
class RunConfig:
    """One training run: model, optimisation and data knobs."""

    model: TextClassifierConfig = field(default_factory=TextCNNConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    data: DataConfig = field(default_factory=DataConfig)

    @property
    def family(self) -> str:
        return family_of(self.model)

    def to_flat(self) -> dict[str, Any]:
        """Knob values keyed by field name, plus ``model`` (the family): what a trial stores."""
        flat: dict[str, Any] = {"model": self.family}
        for k in get_knobs(self.family):
            flat[k.name] = getattr(self._owner(k.scope), k.name)
        return flat

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready: the fully resolved config."""
        return {
            "model": self.model.to_diff_dict() | {"model_type": self.model.model_type},
            "train": dataclasses.asdict(self.train),
            "data": dataclasses.asdict(self.data),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        model = dict(d["model"])
        family = family_of(model.pop("model_type"))
        model = {k: v for k, v in model.items() if k != "transformers_version"}
        return cls(
            model=CONFIG_CLASSES[family](**model),
            train=TrainConfig(**d["train"]),
            data=DataConfig(**d["data"]),
        )

    def _owner(self, scope: str) -> Any:
        return {"model": self.model, "train": self.train, "data": self.data}[scope]


def build_run_config(
    family: str = "cnn",
    preset: str = "default",
    overrides: dict[str, Any] | None = None,
    data: DataConfig | None = None,
) -> RunConfig:
    """A validated :class:`RunConfig` from a family, a preset and flat knob overrides."""
    values = resolve(family, preset, overrides, data)  # coerced and checked
    by_scope: dict[str, dict[str, Any]] = {"model": {}, "train": {}, "data": {}}
    for k in get_knobs(family):
        by_scope[k.scope][k.name] = values[k.name]
    data_cfg = dataclasses.replace(data if data is not None else DataConfig(), **by_scope["data"])
    return RunConfig(
        model=CONFIG_CLASSES[family](**by_scope["model"]),
        train=TrainConfig(**by_scope["train"]),
        data=data_cfg,
    )


def validate(run: RunConfig) -> None:
    """Raise :class:`ConfigError` with one sentence for the first impossible value found
    (:func:`core.knob_values.check_values` on the run's flat values)."""
    check_values(run.family, run.to_flat(), max_tokens=run.data.max_tokens)
