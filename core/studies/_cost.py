"""What a study will cost before it starts: steps x batch size over measured throughput."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

from optuna.storages import BaseStorage
from optuna.trial import TrialState

from core.knobs import resolve
from core.studies._optuna_compat import study_id_of
from core.studies.spec import StudySpec
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
    p = spec.params.get(name)
    if p is None:
        return float(base[name])
    if p.choices is not None:
        return float(statistics.mean(p.choices))
    if p.log:  # the mean of a log-uniform variable
        lo, hi = float(p.low), float(p.high)
        return lo if hi == lo else (hi - lo) / math.log(hi / lo)
    return (float(p.low) + float(p.high)) / 2


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
