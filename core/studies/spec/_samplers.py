"""Samplers and pruners from a :class:`~core.studies.spec._parse.StudySpec`.

TPE is the default (``compare_at_rung = true`` ranks pruned trials where they were judged,
:mod:`core.studies.spec._rung_tpe`); random, grid, CMA-ES
and GP are available where they fit the space (grid needs a finite space; CMA-ES and GP need
their optional packages). Each worker gets its own seed so that workers started together, by
one launch or by several, do not propose the same trials (:func:`build_worker_sampler`); the grid
sampler is the exception, with one seed for all (see :func:`build_sampler`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import optuna
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial, TrialState

from core.errors import ConfigError
from core.knobs import TrainConfig
from core.studies.spec._halving import FirstRungCapPruner
from core.studies.spec._rung_tpe import RungTPESampler
from core.studies.spec._study_spec import StudySpec

_Built = TypeVar("_Built")


def build_sampler(spec: StudySpec, offset: int = 0) -> optuna.samplers.BaseSampler:
    """The spec's sampler, seeded with ``spec.seed + offset`` (the grid sampler: ``spec.seed``)."""
    seed = spec.seed + offset
    opts: dict[str, Any] = dict(spec.sampler_options)
    if spec.sampler == "tpe":
        # Conditional parameters (``when``) need the TPE's ``group`` mode to model them jointly.
        conditional = any(p.when for p in spec.params.values())
        defaults: dict[str, Any] = {"multivariate": True, "group": conditional}
        factory: Callable[..., optuna.samplers.BaseSampler] = optuna.samplers.TPESampler
        opts = defaults | opts
        ranked = opts.pop("compare_at_rung", False)
        if not isinstance(ranked, bool):
            raise ConfigError("compare_at_rung is true or false.")
        if ranked:
            factory = RungTPESampler
            opts.setdefault("min_trials_at_step", len(spec.params) + 1)
        elif "min_trials_at_step" in opts:
            raise ConfigError("min_trials_at_step needs compare_at_rung = true.")
    elif spec.sampler == "random":
        factory = optuna.samplers.RandomSampler
    elif spec.sampler == "grid":
        # One seed for every worker: the grid sampler shuffles the grid with it and gives trial
        # number k the k-th point, so workers with other seeds would map the same number to
        # different points, training some twice and others never (as Optuna's docs warn).
        return _with_options(
            optuna.samplers.GridSampler,
            spec,
            {"search_space": grid_space(spec), "seed": spec.seed} | spec.sampler_options,
        )
    elif spec.sampler == "cmaes":
        factory = optuna.samplers.CmaEsSampler
    else:
        factory = optuna.samplers.GPSampler
    return _with_options(factory, spec, opts | {"seed": seed})


def build_pruner(spec: StudySpec) -> optuna.pruners.BasePruner:
    """The spec's pruner; ``none`` never prunes (but trials still report their curves).

    Successive halving and Hyperband get budgets matched to the study unless the file sets them:
    the smallest budget is the first validation after the longest learning-rate warm-up a trial
    may have (one validation, ``eval_steps``, when there is no warm-up), the largest the most
    steps a trial may train (``max_steps``, its upper bound where it is searched). Trials report
    at every validation, by training step, so the rungs fall on validations: with
    ``eval_steps = 100`` and a reduction factor of 3, at 100, 300 and 900 steps. A trial still
    warming up is not yet comparable with one that finished: on rnn_pretrained_long.toml a rung
    at 100 steps pruned the two trials with the longest warm-up (100 and 120 steps).

    ``first_rung_cap = true`` (successive halving only) promotes at most one trial in
    ``reduction_factor`` out of the first rung, as asynchronous successive halving does
    (:mod:`core.studies.spec._halving`); with ``promote_later = true`` too, a trial pruned for want
    of room is trained again once the rung's top share includes it, as ASHA promotes late.
    """
    if spec.pruner == "none":
        return optuna.pruners.NopPruner()
    if spec.pruner == "median":
        defaults: dict[str, Any] = {"n_startup_trials": 5, "n_warmup_steps": 0}
        return _with_options(optuna.pruners.MedianPruner, spec, defaults | spec.pruner_options)
    eval_steps, max_steps = step_budget(spec)
    min_steps = first_rung(spec)
    if spec.pruner == "successive_halving":
        defaults = {"min_resource": min_steps, "reduction_factor": 3}
        options = dict(spec.pruner_options)
        capped = options.pop("first_rung_cap", False)
        if not isinstance(capped, bool):
            raise ConfigError("first_rung_cap is true or false.")
        if "promote_later" in options and not capped:
            raise ConfigError("promote_later needs first_rung_cap = true.")
        pruner: Callable[..., optuna.pruners.BasePruner] = (
            FirstRungCapPruner if capped else optuna.pruners.SuccessiveHalvingPruner
        )
        return _with_options(pruner, spec, defaults | options)
    defaults = {"min_resource": min_steps, "max_resource": max_steps, "reduction_factor": 3}
    return _with_options(optuna.pruners.HyperbandPruner, spec, defaults | spec.pruner_options)


class FirstTrialSeeded(optuna.samplers.BaseSampler):
    """A sampler built, and seeded, when this process's first trial exists: ``build`` gets that
    trial's number. The storage hands out each trial number once, so two workers never share a
    seed, whether one launch started both or two launches of one file started them at the same
    moment (their workers would all have had index 0 and proposed the same trials pairwise). A
    single worker's first trial of a new study is number 0, so it draws what the spec's seed
    draws."""

    def __init__(self, build: Callable[[int], optuna.samplers.BaseSampler]) -> None:
        self._build = build
        self._inner: optuna.samplers.BaseSampler | None = None

    def _for(self, trial: FrozenTrial) -> optuna.samplers.BaseSampler:
        if self._inner is None:
            self._inner = self._build(trial.number)
        return self._inner

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self._for(trial).before_trial(study, trial)

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self._for(trial).infer_relative_search_space(study, trial)

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self._for(trial).sample_relative(study, trial, search_space)

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._for(trial).sample_independent(study, trial, param_name, param_distribution)

    def after_trial(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._for(trial).after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        if self._inner is not None:
            self._inner.reseed_rng()


def build_worker_sampler(spec: StudySpec) -> optuna.samplers.BaseSampler:
    """The sampler of one study worker: the spec's, seeded with ``spec.seed`` plus the number
    of the worker's first trial (:class:`FirstTrialSeeded`); the grid sampler as it is, since its
    workers must share one seed."""
    if spec.sampler == "grid":
        return build_sampler(spec)
    return FirstTrialSeeded(lambda number: build_sampler(spec, number))


def first_rung(spec: StudySpec) -> int:
    """The default first rung of successive halving and Hyperband: the first validation after
    the longest warm-up a trial may have (see :func:`build_pruner`)."""
    eval_steps, _ = step_budget(spec)
    return eval_steps * max(1, math.ceil(longest_warmup(spec) / eval_steps))


def halving_rungs(spec: StudySpec) -> tuple[int, int] | None:
    """(first rung in steps, reduction factor) of the spec's successive halving or Hyperband
    pruner, as :func:`build_pruner` sets them; None for other pruners."""
    if spec.pruner not in ("successive_halving", "hyperband"):
        return None
    first = spec.pruner_options.get("min_resource", first_rung(spec))
    if not isinstance(first, (int, float)):  # "auto": Optuna picks it from the first trial
        first = step_budget(spec)[0]
    return int(first), int(spec.pruner_options.get("reduction_factor", 3))


def step_budget(spec: StudySpec) -> tuple[int, int]:
    """(steps between validations, most steps a trial may train) for this spec.

    Each is the spec's fixed value, else the searched range's bound (the smallest eval_steps,
    the largest max_steps), else the knob's default.
    """
    return int(_bound(spec, "eval_steps", min)), int(_bound(spec, "max_steps", max))


def longest_warmup(spec: StudySpec) -> int:
    """The most warm-up steps a trial of this spec may have: the largest ``warmup_ratio`` times
    the largest ``max_steps`` (as the trainer rounds it, up)."""
    return math.ceil(_bound(spec, "warmup_ratio", max) * _bound(spec, "max_steps", max))


def _bound(spec: StudySpec, name: str, pick: Callable[[list[float]], float]) -> float:
    """A knob's value for every trial of the spec: the fixed value, else ``pick`` (min or max)
    of its searched range or choices, else the knob's default."""
    if name in spec.fixed:
        return float(spec.fixed[name])
    p = spec.params.get(name)
    if p is not None:
        ends = cast(list[float], [p.low, p.high])  # a range: both ends are set
        return float(pick(list(p.choices) if p.choices is not None else ends))
    return float(getattr(TrainConfig(), name))


def _with_options(
    factory: Callable[..., _Built], spec: StudySpec, options: dict[str, Any]
) -> _Built:
    try:
        with warnings.catch_warnings():  # multivariate/group TPE is "experimental" since 2.x
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return factory(**options)
    except TypeError as err:
        raise ConfigError(f"Bad option for {factory.__name__}: {err}.") from None
    except ValueError as err:
        raise ConfigError(f"Bad option for {factory.__name__}: {err}") from None


def grid_space(spec: StudySpec) -> dict[str, list[Any]]:
    """Every parameter's values for the grid sampler."""
    space = {}
    for p in spec.params.values():
        if p.choices is not None:
            space[p.name] = list(p.choices)
        else:
            low, high = cast(float, p.low), cast(float, p.high)  # a range: both ends are set
            step = p.step or 1
            n = int(round((high - low) / step)) + 1
            space[p.name] = [low + i * step for i in range(n)]
    return space
