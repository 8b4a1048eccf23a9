"""Manual runs live in the same store: each Playground run becomes a trial of a per-family study.

:func:`record_run` adds a finished :class:`~core.trainer.RunResult` to ``playground-cnn`` or
``playground-rnn`` with its knob values as params, its validation curve as intermediate values
and the same user attributes a searched trial has, so slider runs and searched trials can be
drawn on one plot. Distributions come from the knobs' own ranges (:func:`knob_distribution`),
so every playground trial has the same search space and Optuna's plots and importances work.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.storages import BaseStorage
from optuna.trial import TrialState

from core.config import FAMILIES, Knob, get_knobs
from core.settings import ensure_writable
from core.studies.objective import result_attrs
from core.studies.storage import open_storage

PLAYGROUND_PREFIX = "playground-"


def playground_study_name(family: str) -> str:
    return f"{PLAYGROUND_PREFIX}{family}"


def knob_distribution(k: Knob, value: Any = None) -> BaseDistribution:
    """The Optuna distribution of a knob's legal range, widened to hold ``value`` if needed."""
    if k.choices is not None:
        choices = list(k.choices)
        if value is not None and value not in choices:
            choices.append(value)
        return CategoricalDistribution(choices)
    if k.type is bool:
        return CategoricalDistribution([False, True])
    if k.type is str:
        return CategoricalDistribution([value])
    low, high = k.low, k.high
    if value is not None:
        low, high = min(low, value), max(high, value)
    if k.type is int:
        step = int(k.step or 1)
        if k.log or (value is not None and (value - low) % step):
            step = 1
        if step > 1:
            high = low + (high - low) // step * step
        return IntDistribution(int(low), int(high), log=k.log, step=step)
    step = k.step
    if step is not None and value is not None:
        n = (value - low) / step
        if not math.isclose(n, round(n), abs_tol=1e-9):
            step = None
    if step is not None:
        high = low + math.floor((high - low) / step + 1e-9) * step
    return FloatDistribution(float(low), float(high), log=k.log, step=step)


def knob_distributions(flat: dict[str, Any]) -> dict[str, BaseDistribution]:
    """Distributions for a run's flat knob values (``RunConfig.to_flat()``)."""
    family = flat["model"]
    dists: dict[str, BaseDistribution] = {"model": CategoricalDistribution(list(FAMILIES))}
    for k in get_knobs(family):
        if k.name in flat:
            dists[k.name] = knob_distribution(k, flat[k.name])
    return dists


def record_run(
    result: Any,
    storage: str | BaseStorage | None = None,
    *,
    study_name: str | None = None,
    kind: str = "playground",
    attrs: dict[str, Any] | None = None,
) -> int:
    """Store a Playground :class:`~core.trainer.RunResult` as a trial; return its number.

    completed / early_stopped: COMPLETE with the best validation accuracy as value;
    cancelled: PRUNED; diverged (or no validation at all): FAIL. ``study_name`` (default
    ``playground-<family>``), ``kind`` and ``attrs`` (extra user attributes) let other single
    runs, such as ``reproduce-seed``'s rows, be stored the same way.
    """
    from core.config import RunConfig

    ensure_writable("store a run")
    run = RunConfig.from_dict(result.config)
    flat = run.to_flat()
    s = open_storage(storage)
    study = optuna.create_study(
        study_name=study_name or playground_study_name(run.family),
        storage=s,
        direction="maximize",
        load_if_exists=True,
    )
    if study.user_attrs.get("kind") != kind:
        study.set_user_attr("kind", kind)
        study.set_user_attr("model", run.family)

    curve = {
        int(row["step"]): float(row["val_accuracy"])
        for row in result.history
        if row.get("val_accuracy") is not None and math.isfinite(row["val_accuracy"])
    }
    value = result.best_val_accuracy
    if result.status in ("completed", "early_stopped") and value is not None:
        state = TrialState.COMPLETE
    elif result.status == "cancelled":
        state, value = TrialState.PRUNED, (curve[max(curve)] if curve else None)
    else:
        state, value = TrialState.FAIL, None
    attrs = result_attrs(result) | {"flat": flat, "source": kind} | (attrs or {})
    if result.run_dir:
        attrs["run_dir"] = result.run_dir
    trial = optuna.trial.create_trial(
        state=state,
        value=value,
        params=flat,
        distributions=knob_distributions(flat),
        user_attrs=attrs,
        intermediate_values=curve,
    )
    end = dt.datetime.now()
    trial.datetime_complete = end
    trial.datetime_start = end - dt.timedelta(seconds=float(result.wall_s or 0.0))
    trial._validate()
    # Not study.add_trial + study.trials[-1]: that reads every trial, and races another writer.
    trial_id = s.create_new_trial(s.get_study_id_from_name(study.study_name), template_trial=trial)
    return s.get_trial_number_from_id(trial_id)
