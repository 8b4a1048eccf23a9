"""Manual runs live in the same store: each Playground run is a trial of a per-family study.

A Playground job's trial follows it from the click to the result, so the storage is the contract
between the job's process and every page:

- :func:`create_job_trial` (at submit): a WAITING trial of ``playground-cnn`` / ``playground-rnn``
  with the run's knob values as params, its fully resolved config and who asked for it;
- :func:`~core.studies.run._job_queue.claim_job` (a worker takes it): RUNNING, for exactly one
  worker, unless it was cancelled first;
- :func:`report_job_trial`: each validation as an intermediate value (the learning curve);
- :func:`finish_job_trial`: the outcome, with the same user attributes a searched trial has;
- :func:`fail_job_trial`: FAIL (or PRUNED, for a cancel) with the reason in ``message``;
- :func:`recover_interrupted_jobs`: after a restart, a run its server no longer holds is marked
  FAIL with the reason, so that no trial stays RUNNING for ever.

:func:`record_run` stores a finished run in one go (``reproduce-seed`` rows). Distributions come
from the knobs' own ranges (:func:`knob_distribution`), so every playground trial has the same
search space and Optuna's plots and importances work.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import BaseStorage
from optuna.trial import TrialState

from core.knobs import FAMILIES, Knob, flat_of_config, get_knobs
from core.results import RunResult, result_attrs
from core.settings import ensure_writable
from core.studies._optuna_compat import study_id_of, trial_id_of, validate_trial
from core.studies.storage import open_storage

if TYPE_CHECKING:
    from core.training import RunConfig

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


# --------------------------------------------------------------------------------------------
# A job's trial, from the click to the result
# --------------------------------------------------------------------------------------------


def create_job_trial(
    storage: str | BaseStorage | None, run: RunConfig, attrs: dict[str, Any]
) -> tuple[int, int]:
    """A WAITING trial for a Playground job: params, config and ``attrs`` (owner, job id,
    replay key...). Returns ``(trial_id, trial_number)``."""
    ensure_writable("store a run")
    s = open_storage(storage)
    study_id = _playground_study_id(s, run.family)
    flat = run.to_flat()
    trial = optuna.trial.create_trial(
        state=TrialState.WAITING,
        params=flat,
        distributions=knob_distributions(flat),
        user_attrs={"flat": flat, "config": run.to_dict(), "source": "playground"} | attrs,
    )
    validate_trial(trial)
    trial_id = s.create_new_trial(study_id, template_trial=trial)
    return trial_id, s.get_trial_number_from_id(trial_id)


REPLAY_RECORD = "replayed:"  # the prefix of a replay's record among the study's user attributes


def record_replay(storage: str | BaseStorage | None, family: str, record: dict[str, Any]) -> None:
    """Note that a session's click was answered from the store (no trial of its own): who
    clicked, the run's knobs and the stored numbers it got, for the class view. Kept as a user
    attribute of ``playground-<family>``, so no page counts it as another trained run."""
    ensure_writable("store a run")
    s = open_storage(storage)
    study_id = _playground_study_id(s, family)
    s.set_study_user_attr(study_id, f"{REPLAY_RECORD}{time.time():.6f}", record)


def replay_records(storage: str | BaseStorage | None, family: str) -> list[dict[str, Any]]:
    """The replays :func:`record_replay` noted for ``family``, oldest first."""
    s = open_storage(storage)
    try:
        attrs = s.get_study_user_attrs(s.get_study_id_from_name(playground_study_name(family)))
    except KeyError:
        return []
    return [attrs[k] for k in sorted(attrs) if k.startswith(REPLAY_RECORD)]


def report_job_trial(
    storage: str | BaseStorage | None, trial_id: int, step: int, val_accuracy: float
) -> None:
    """One validation of a running job: a point of its learning curve."""
    if math.isfinite(val_accuracy):
        open_storage(storage).set_trial_intermediate_value(trial_id, step, val_accuracy)


def finish_job_trial(storage: str | BaseStorage | None, trial_id: int, result: RunResult) -> None:
    """A job's outcome: COMPLETE (completed, early stopped), PRUNED (cancelled) or FAIL
    (diverged), with the same user attributes a searched trial has."""
    s = open_storage(storage)
    for key, value in _result_user_attrs(result).items():
        s.set_trial_user_attr(trial_id, key, value)
    for step, value in _curve_points(result).items():
        s.set_trial_intermediate_value(trial_id, step, value)
    state, value = _state_and_value(result)
    try:
        s.set_trial_state_values(trial_id, state, None if value is None else [value])
    except UpdateFinishedTrialError:
        pass  # finished meanwhile (a cancel past its deadline): the first word stands


def fail_job_trial(
    storage: str | BaseStorage | None, trial_id: int, message: str, *, cancelled: bool = False
) -> None:
    """End a job's trial without a result: PRUNED when cancelled, else FAIL; ``message`` says
    why. A trial that already finished is left as it is."""
    s = open_storage(storage)
    try:
        if s.get_trial(trial_id).state.is_finished():
            return
        s.set_trial_user_attr(trial_id, "status", "cancelled" if cancelled else "error")
        s.set_trial_user_attr(trial_id, "message", message)
        s.set_trial_state_values(trial_id, TrialState.PRUNED if cancelled else TrialState.FAIL)
    except UpdateFinishedTrialError:
        pass


def recover_interrupted_jobs(
    storage: str | BaseStorage | None, still_held: Callable[[dict[str, Any]], bool]
) -> int:
    """Mark FAIL every WAITING or RUNNING Playground trial that no live server holds
    (``still_held(user_attrs)`` says False), with the reason; return how many."""
    s = open_storage(storage)
    n = 0
    for summary in s.get_all_studies():
        if not summary.study_name.startswith(PLAYGROUND_PREFIX):
            continue
        states = (TrialState.WAITING, TrialState.RUNNING)
        for trial in s.get_all_trials(study_id_of(summary), deepcopy=False, states=states):
            if trial.user_attrs.get("source") != "playground" or still_held(trial.user_attrs):
                continue
            where = "training" if trial.state == TrialState.RUNNING else "waiting to start"
            fail_job_trial(
                s,
                trial_id_of(trial),
                f"The app's server stopped while this run was {where}; train it again.",
            )
            n += 1
    return n


def _playground_study_id(s: BaseStorage, family: str, kind: str = "playground") -> int:
    study = optuna.create_study(
        study_name=playground_study_name(family),
        storage=s,
        direction="maximize",
        load_if_exists=True,
    )
    if study.user_attrs.get("kind") != kind:
        study.set_user_attr("kind", kind)
        study.set_user_attr("model", family)
    return s.get_study_id_from_name(study.study_name)


def _result_user_attrs(result: RunResult) -> dict[str, Any]:
    attrs = result_attrs(result)
    if not result.run_dir:
        attrs.pop("run_dir", None)
    return attrs


def _curve_points(result: RunResult) -> dict[int, float]:
    return {
        int(row["step"]): float(row["val_accuracy"])
        for row in result.history
        if row.get("val_accuracy") is not None and math.isfinite(row["val_accuracy"])
    }


def _state_and_value(result: RunResult) -> tuple[TrialState, float | None]:
    """completed / early_stopped: COMPLETE, valued by the best validation accuracy; cancelled:
    PRUNED at its last validation; diverged (or no validation at all): FAIL."""
    curve = _curve_points(result)
    if result.status in ("completed", "early_stopped") and result.best_val_accuracy is not None:
        return TrialState.COMPLETE, result.best_val_accuracy
    if result.status == "cancelled":
        return TrialState.PRUNED, (curve[max(curve)] if curve else None)
    return TrialState.FAIL, None


# --------------------------------------------------------------------------------------------
# A finished run in one go
# --------------------------------------------------------------------------------------------


def record_run(
    result: RunResult,
    storage: str | BaseStorage | None = None,
    *,
    study_name: str | None = None,
    kind: str = "playground",
    attrs: dict[str, Any] | None = None,
) -> int:
    """Store a finished :class:`~core.results.RunResult` as a trial; return its number.

    States as :func:`finish_job_trial`. ``study_name`` (default ``playground-<family>``),
    ``kind`` and ``attrs`` (extra user attributes) let other single runs, such as
    ``reproduce-seed``'s rows, be stored the same way.
    """
    ensure_writable("store a run")
    flat = flat_of_config(result.config)
    s = open_storage(storage)
    study = optuna.create_study(
        study_name=study_name or playground_study_name(flat["model"]),
        storage=s,
        direction="maximize",
        load_if_exists=True,
    )
    if study.user_attrs.get("kind") != kind:
        study.set_user_attr("kind", kind)
        study.set_user_attr("model", flat["model"])
    state, value = _state_and_value(result)
    user_attrs = _result_user_attrs(result) | {"flat": flat, "source": kind} | (attrs or {})
    trial = optuna.trial.create_trial(
        state=state,
        value=value,
        params=flat,
        distributions=knob_distributions(flat),
        user_attrs=user_attrs,
        intermediate_values=_curve_points(result),
    )
    end = dt.datetime.now()
    trial.datetime_complete = end
    trial.datetime_start = end - dt.timedelta(seconds=float(result.wall_s or 0.0))
    validate_trial(trial)
    # Not study.add_trial + study.trials[-1]: that reads every trial, and races another writer.
    trial_id = s.create_new_trial(s.get_study_id_from_name(study.study_name), template_trial=trial)
    return s.get_trial_number_from_id(trial_id)
