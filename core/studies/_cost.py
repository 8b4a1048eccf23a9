"""What a study will cost before it starts: steps x batch size over measured throughput; and
what a compute budget buys, in trials with and without pruning."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, replace
from typing import Any

from optuna.storages import BaseStorage
from optuna.trial import TrialState

from core.knobs import resolve
from core.studies._optuna_compat import study_id_of
from core.studies.spec import Budget, StudySpec, halving_rungs
from core.studies.storage import StorageError, latest_user_attr, open_storage, rdb_of

# Training throughput (samples/s, all cores) assumed before anything was measured: the default
# knobs on a 2-core laptop-class CPU. Measured values from stored trials replace them.
DEFAULT_SAMPLES_PER_S = {"cnn": 900.0, "rnn": 300.0}
EVAL_SPEEDUP = 3.0  # inference is about 3x faster per sample than a training step
_MEASURED_RUNS = 200  # the newest completed runs per study that set the measured throughput
_KEY = "train_samples_per_s"  # the trials' user attribute that holds it


@dataclass
class CostEstimate:
    """Expected cost of a study before it starts: training plus evaluation work over throughput."""

    n_trials: int
    mean_steps: float
    mean_batch_size: float
    train_samples: float  # over the whole study
    eval_samples: float
    samples_per_s: float
    throughput_source: str  # "measured over N runs" or "assumed"
    expected_s: float  # every trial runs its full max_steps (pruning only makes it shorter)

    def describe(self) -> str:
        return (
            f"{self.n_trials} trials x ~{self.mean_steps:.0f} steps x ~{self.mean_batch_size:.0f} "
            f"reviews at {self.samples_per_s:.0f} samples/s ({self.throughput_source}): "
            f"about {_human_s(self.expected_s)} at most; pruning and early stopping cut this."
        )


def estimate_cost(
    spec: StudySpec,
    storage: str | BaseStorage | None = None,
    *,
    n_trials: int | None = None,
    n_train: int = 25000,
    n_test: int = 25000,
    samples_per_s: float | None = None,
) -> CostEstimate:
    """Expected wall time of ``spec``: steps x batch size / measured samples per second.

    Throughput is the median ``train_samples_per_s`` of the stored runs of the same model family
    (searched or playground), else an assumed value. Workers share the cores, so adding workers
    on one machine does not shorten this much.
    """
    base = resolve(spec.model, spec.preset, spec.fixed, spec.data_config())
    steps = _mean_value(spec, "max_steps", base)
    batch = _mean_value(spec, "batch_size", base)
    eval_steps = _mean_value(spec, "eval_steps", base)
    val_fraction = _mean_value(spec, "val_fraction", base)
    n_trials = n_trials or spec.n_trials or 1
    if spec.data.get("max_train_samples"):
        n_train = min(n_train, spec.data["max_train_samples"])
    if spec.data.get("max_test_samples"):
        n_test = min(n_test, spec.data["max_test_samples"])
    source = "given"
    if samples_per_s is None:
        samples_per_s, source = _measured_throughput(spec.model, storage)
    train = n_trials * steps * batch
    n_val = n_train * val_fraction
    evals_per_trial = math.ceil(steps / max(eval_steps, 1)) * n_val
    evals = n_trials * (evals_per_trial + (n_test if spec.score_test else 0))
    seconds = (train + evals / EVAL_SPEEDUP) / samples_per_s
    return CostEstimate(n_trials, steps, batch, train, evals, samples_per_s, source, seconds)


def _mean_value(spec: StudySpec, name: str, base: dict[str, Any]) -> float:
    return statistics.mean(_quantiles(spec, name, base))


def _measured_throughput(family: str, storage: str | BaseStorage | None) -> tuple[float, str]:
    """The median throughput of the newest 200 completed runs per study of ``family``. On an
    RDB storage one query per study reads just that attribute: loading every trial took 7.4 s
    per Studies page run beside a 10,000-trial study."""
    try:
        s = open_storage(storage)
        rdb = rdb_of(s)
        values = []
        for fs in s.get_all_studies():
            model = (fs.user_attrs.get("spec") or {}).get("model") or fs.user_attrs.get("model")
            if model != family:
                continue
            sid = study_id_of(fs)
            if rdb is not None:
                found = latest_user_attr(rdb, sid, _KEY, _MEASURED_RUNS)
            else:
                done = s.get_all_trials(sid, deepcopy=False, states=(TrialState.COMPLETE,))
                found = [t.user_attrs[_KEY] for t in done if _KEY in t.user_attrs]
                found = found[::-1][:_MEASURED_RUNS]
            values += [v for v in found if isinstance(v, (int, float)) and math.isfinite(v) and v]
    except StorageError:
        values = []
    if values:
        return float(statistics.median(values)), f"measured over {len(values)} runs"
    return DEFAULT_SAMPLES_PER_S[family], "assumed; no runs measured yet"


def _human_s(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@dataclass
class BudgetEstimate:
    """About how many trials a budget buys: unpruned, and with a pruner whose saving can be
    worked out before the study runs (successive halving and Hyperband): the spec's, or, when
    the spec prunes nothing, successive halving at factor 4 for comparison."""

    budget: Budget
    unpruned_trials: float
    unpruned_steps: float  # mean steps of a trial trained to its end
    pruned_trials: float | None
    pruned_steps: float | None  # mean steps of a trial under the pruner
    pruner: str  # the spec's
    compared: str | None = None  # the pruner the pruned figures are for, when not the spec's

    def describe(self) -> str:
        text = (
            f"With {self.budget.describe()}: about {self.unpruned_trials:.0f} trials without "
            f"pruning (~{self.unpruned_steps:.0f} steps each)"
        )
        if self.pruned_trials is not None:
            named = self.compared or self.pruner.replace("_", " ")
            text += (
                f", about {self.pruned_trials:.0f} with {named} (~{self.pruned_steps:.0f} "
                "steps each)"
            )
            if self.compared:
                text += ", which this study does not use"
        elif self.pruner != "none":
            text += f"; what the {self.pruner} pruner saves depends on the curves"
        return text + "; early stopping ends some trials sooner, so a few more."


# What a budget would buy pruned, shown beside a study that prunes nothing.
_COMPARED_PRUNER = ("successive_halving", {"reduction_factor": 4}, "successive halving at factor 4")


def estimate_budget(
    spec: StudySpec, budget: Budget, storage: str | BaseStorage | None = None
) -> BudgetEstimate:
    """What ``budget`` buys under ``spec``. A trial trained to its end costs its mean
    ``max_steps``; under successive halving with reduction factor eta, a trial reaches the k-th
    rung (first rung r, then r eta, r eta^2...) with probability eta^-k, so it costs the steps up
    to the first rung plus eta^-k of each later stretch. Hyperband averages that over its
    brackets (each starts one rung later). A time budget converts through
    :func:`estimate_cost` of one trial."""
    base = resolve(spec.model, spec.preset, spec.fixed, spec.data_config())
    lengths = _quantiles(spec, "max_steps", base)
    full = statistics.mean(lengths)
    compared = None
    if spec.pruner == "none":
        name, options, compared = _COMPARED_PRUNER
        pruned = _halving_steps(replace(spec, pruner=name, pruner_options=options), lengths)
    else:
        pruned = _halving_steps(spec, lengths)
    if budget.unit == "steps":
        per_trial = full
    else:  # a pruned trial's time taken as its share of a full one's steps
        per_trial = estimate_cost(spec, storage, n_trials=1).expected_s
    unpruned_n = budget.amount / per_trial
    pruned_n = None if pruned is None else budget.amount / (per_trial * pruned / full)
    return BudgetEstimate(budget, unpruned_n, full, pruned_n, pruned, spec.pruner, compared)


def _halving_steps(spec: StudySpec, lengths: list[float]) -> float | None:
    rungs = halving_rungs(spec)
    if rungs is None:
        return None
    first, eta = rungs
    brackets = [first]
    if spec.pruner == "hyperband":
        top = max(lengths)
        while brackets[-1] * eta < top:
            brackets.append(brackets[-1] * eta)
    costs = []
    for start in brackets:
        for m in lengths:
            cost, rung, k = min(m, start), start, 1
            while rung < m:
                cost += eta**-k * (min(m, rung * eta) - rung)
                rung, k = rung * eta, k + 1
            costs.append(cost)
    return statistics.mean(costs)


def _quantiles(spec: StudySpec, name: str, base: dict[str, Any], n: int = 200) -> list[float]:
    """``n`` evenly spread quantiles of a knob's value over the spec's trials."""
    p = spec.params.get(name)
    if p is None:
        return [float(base[name])]
    if p.choices is not None:
        return [float(c) for c in p.choices]
    assert p.low is not None and p.high is not None  # a range, since it has no choices
    lo, hi = float(p.low), float(p.high)
    qs = [(i + 0.5) / n for i in range(n)]
    if p.log:
        return [lo * (hi / lo) ** q for q in qs]
    return [lo + (hi - lo) * q for q in qs]
