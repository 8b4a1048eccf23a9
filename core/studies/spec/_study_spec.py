"""A study definition as data: :class:`StudySpec`, what a study file says once it has been
checked (:func:`~core.studies.spec._parse.load_spec` reads one), and :func:`suggest_overrides`, which asks
a trial for every searched knob.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.knobs import DataConfig
from core.studies.spec._budget import Budget
from core.studies.spec._params import ParamSpec, active

SAMPLERS = ("tpe", "random", "grid", "cmaes", "gp")
PRUNERS = ("median", "successive_halving", "hyperband", "none")


@dataclass
class StudySpec:
    """A validated study definition (see the module docstring for the file format)."""

    name: str
    model: str
    params: dict[str, ParamSpec]
    preset: str = "default"
    description: str = ""
    n_trials: int | None = None
    timeout_s: float | None = None
    budget: Budget | None = None
    seed: int = 0
    sampler: str = "tpe"
    sampler_options: dict[str, Any] = field(default_factory=dict)
    pruner: str = "none"
    pruner_options: dict[str, Any] = field(default_factory=dict)
    score_test: bool = True
    data: dict[str, Any] = field(default_factory=dict)
    fixed: dict[str, Any] = field(default_factory=dict)
    enqueue: list[dict[str, Any]] = field(default_factory=list)

    def data_config(self) -> DataConfig:
        """The :class:`DataConfig` every trial uses (searched data knobs are set per trial)."""
        return DataConfig(**self.data)

    def to_dict(self) -> dict[str, Any]:
        """The TOML file's content as a plain dict (stored with the study)."""
        return {
            "name": self.name,
            "model": self.model,
            "preset": self.preset,
            "description": self.description,
            "n_trials": self.n_trials,
            "timeout_s": self.timeout_s,
            "budget": None if self.budget is None else str(self.budget),
            "seed": self.seed,
            "sampler": {"name": self.sampler, **self.sampler_options},
            "pruner": {"name": self.pruner, **self.pruner_options},
            "score_test": self.score_test,
            "data": dict(self.data),
            "fixed": dict(self.fixed),
            "params": {n: p.to_dict() for n, p in self.params.items()},
            "enqueue": [dict(point) for point in self.enqueue],
        }


def suggest_overrides(trial: Any, spec: StudySpec) -> dict[str, Any]:
    """Ask ``trial`` (an ``optuna.Trial``) for every active parameter; return all knob overrides."""
    chosen: dict[str, Any] = dict(spec.fixed)
    for p in spec.params.values():
        if not active(p, chosen):
            continue
        if p.choices is not None:
            chosen[p.name] = trial.suggest_categorical(p.name, list(p.choices))
        elif isinstance(p.low, int) and isinstance(p.high, int):
            chosen[p.name] = trial.suggest_int(p.name, p.low, p.high, step=p.step or 1, log=p.log)
        else:
            chosen[p.name] = trial.suggest_float(p.name, p.low, p.high, step=p.step, log=p.log)
    return chosen
