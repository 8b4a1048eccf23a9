"""A training run's full configuration: the model's config, the optimisation and the data.

- the model: a :class:`~core.models.TextClassifierConfig` (a ``PretrainedConfig``), saved with
  its weights;
- :class:`~core.knobs._fields.TrainConfig`: the optimisation (learning rate, batch size, steps, ...);
- :class:`~core.knobs._fields.DataConfig`: where the data comes from, the validation split and the tokenizer.

:func:`build_run_config` turns a family, a preset and flat knob values into a validated
:class:`RunConfig`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from core.knobs import DataConfig, TrainConfig, check_values, family_of, get_knobs, resolve
from core.models.configuration import CONFIG_CLASSES, TextClassifierConfig, TextCNNConfig


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
    (:func:`core.knobs._values.check_values` on the run's flat values)."""
    check_values(run.family, run.to_flat(), max_tokens=run.data.max_tokens)
