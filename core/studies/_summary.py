"""What the Results page says about a study above its figures, and the history's points.

:func:`summarize` reads every trial: at 50,000 trials that is about 0.15 s, too slow for a page
that refreshes a running study every few seconds. A
:class:`~core.studies.storage._snapshots.SnapshotReader` hands back the *same* ``FrozenTrial`` objects for
trials that did not change, so :class:`SummaryTracker` keeps each trial's share of the summary
(its state, parameters, dataset, steps) and, on the next snapshot, takes out the shares of the
trials that changed and adds their new ones: the same summary, from the changed trials only.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import optuna
from optuna.trial import FrozenTrial, TrialState

from core.studies._savings import PruningSavings, pruning_savings, savings_of, trial_steps
from core.studies.storage import datasets_of, describe_failures

DRAWN_STATES = (TrialState.PRUNED, TrialState.FAIL, TrialState.COMPLETE)  # drawn in this order


@dataclass(frozen=True, eq=False)
class TrialPoints:
    """Every finished trial's point, as arrays: trial number, objective value (NaN when it has
    none) and state (its TrialState value). Never changed once made."""

    number: np.ndarray  # int64
    value: np.ndarray  # float64
    state: np.ndarray  # int8: TrialState values

    def __len__(self) -> int:
        return len(self.number)


def trial_points(trials: list[FrozenTrial]) -> TrialPoints:
    """The points of ``trials`` that have a finite value and a state the history draws."""
    kept = [t for t in trials if t.state in DRAWN_STATES and t.values and np.isfinite(t.values[0])]
    return TrialPoints(
        np.fromiter((t.number for t in kept), dtype=np.int64, count=len(kept)),
        np.fromiter((t.values[0] for t in kept), dtype=np.float64, count=len(kept)),
        np.fromiter((t.state.value for t in kept), dtype=np.int8, count=len(kept)),
    )


def drawn_mask(state: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Which points (per point: its ``TrialState`` value and its value) the history draws: a
    state it shows and a finite value."""
    return np.isin(state, [s.value for s in DRAWN_STATES]) & np.isfinite(value)


@dataclass(frozen=True)
class StudySummary:
    n_trials: int
    n_completed: int
    n_failed: int
    n_pruned: int
    n_running: int
    best: FrozenTrial | None  # the trial chosen on validation (Optuna's rule)
    datasets: dict[str, str]  # data fingerprint -> display name, as in queries.datasets_of
    param_names: list[str]  # the completed trials' parameters, sorted
    failures: list[str]  # the newest failures' reasons, as in queries.describe_failures
    savings: PruningSavings | None
    points: TrialPoints = field(compare=False, repr=False)  # the history's, every trial


def summarize(study: optuna.Study) -> StudySummary:
    trials = study.get_trials(deepcopy=False)
    finished: list[FrozenTrial] = []  # completed or pruned: what pruning savings count
    failed: list[FrozenTrial] = []
    params: set[str] = set()
    n_completed = n_pruned = n_running = 0
    for t in trials:
        if t.state == TrialState.COMPLETE:
            n_completed += 1
            params.update(t.params)
            finished.append(t)
        elif t.state == TrialState.PRUNED:
            n_pruned += 1
            finished.append(t)
        elif t.state == TrialState.RUNNING:
            n_running += 1
        elif t.state == TrialState.FAIL:
            failed.append(t)
    return StudySummary(
        points=trial_points(trials),
        n_trials=len(trials),
        n_completed=n_completed,
        n_failed=len(failed),
        n_pruned=n_pruned,
        n_running=n_running,
        best=study.best_trial if n_completed and len(study.directions) == 1 else None,
        datasets=datasets_of(trials),
        param_names=sorted(params),
        failures=describe_failures(failed),
        savings=pruning_savings(finished),
    )


class _Share(NamedTuple):  # a NamedTuple: 50,000 are made on a first read
    """One trial's share of the summary."""

    state: TrialState
    value: float  # its first objective value, NaN when it has none
    params: tuple[str, ...]  # a completed trial's parameter names
    dataset: tuple[str, str] | None  # (data fingerprint, display name or the fingerprint)
    steps: tuple[int, int, bool] | None  # pruning.trial_steps


def _share(t: FrozenTrial) -> _Share:
    attrs, state, values = t.user_attrs, t.state, t.values
    fp = attrs.get("data_fingerprint")
    value = float(values[0]) if values else math.nan
    return _Share(
        state,
        value if math.isfinite(value) else math.nan,
        tuple(t.params) if state == TrialState.COMPLETE else (),
        (fp, attrs.get("dataset") or fp) if fp else None,
        trial_steps(t),
    )


class SummaryTracker:
    """One study's :class:`StudySummary`, updated from each new snapshot's trial list by the
    trials whose object is new. Equal to :func:`summarize` (the datasets' order aside).
    Thread-safe; what it returns is never changed afterwards."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset()
        self.trials_read = 0  # trials whose share the last call (re)computed, for tests

    def _reset(self) -> None:
        self._trials: list[FrozenTrial] = []
        self._shares: list[_Share] = []
        self._states: Counter[TrialState] = Counter()
        self._params: Counter[str] = Counter()
        self._datasets: Counter[tuple[str, str]] = Counter()
        self._steps: Counter[tuple[int, int, bool]] = Counter()
        self._failed: set[int] = set()  # positions
        self._state = np.zeros(0, np.int8)  # per position: TrialState value
        self._value = np.zeros(0)  # first objective value, NaN when none
        self._number = np.zeros(0, np.int64)

    def summarize(self, study: optuna.Study) -> StudySummary:
        trials = study.get_trials(deepcopy=False)
        with self._lock:
            if len(trials) < len(self._trials):
                self._reset()
            old = self._trials
            changed = [i for i, (a, b) in enumerate(zip(old, trials, strict=False)) if a is not b]
            for i in changed:
                self._take(i)
            self._shares.extend([None] * (len(trials) - len(old)))  # type: ignore[list-item]
            fresh = [*changed, *range(len(old), len(trials))]
            for i in fresh:
                self._add(i, _share(trials[i]))
            # New arrays (the last ones may be in a returned summary's points), changed rows set
            grow = len(trials) - len(old)
            self._state = np.concatenate([self._state, np.zeros(grow, np.int8)])
            self._value = np.concatenate([self._value, np.zeros(grow)])
            self._number = np.concatenate([self._number, np.zeros(grow, np.int64)])
            at, n = np.asarray(fresh, dtype=np.int64), len(fresh)
            shares = [self._shares[i] for i in fresh]
            self._state[at] = np.fromiter((s.state.value for s in shares), np.int8, n)
            self._value[at] = np.fromiter((s.value for s in shares), np.float64, n)
            self._number[at] = np.fromiter((trials[i].number for i in fresh), np.int64, n)
            self._trials = list(trials)
            self.trials_read = len(fresh)
            return self._summary(study, trials)

    def _take(self, i: int) -> None:
        share = self._shares[i]
        self._states[share.state] -= 1
        if share.params:
            self._params.subtract(share.params)
        if share.dataset is not None:
            self._datasets[share.dataset] -= 1
        if share.steps is not None:
            self._steps[share.steps] -= 1
        self._failed.discard(i)

    def _add(self, i: int, share: _Share) -> None:
        self._shares[i] = share
        self._states[share.state] += 1
        if share.params:
            self._params.update(share.params)
        if share.dataset is not None:
            self._datasets[share.dataset] += 1
        if share.steps is not None:
            self._steps[share.steps] += 1
        if share.state == TrialState.FAIL:
            self._failed.add(i)

    def _summary(self, study: optuna.Study, trials: list[FrozenTrial]) -> StudySummary:
        state, value, number = self._state, self._value, self._number
        n_completed = self._states[TrialState.COMPLETE]
        best = None
        if n_completed and len(study.directions) == 1:
            scored = np.where(state == TrialState.COMPLETE.value, value, np.nan)
            if not np.isnan(scored).all():
                maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
                best = trials[int(np.nanargmax(scored) if maximize else np.nanargmin(scored))]
        datasets: dict[str, str] = {}
        for (fp, named), count in self._datasets.items():
            if count > 0 and (fp not in datasets or datasets[fp] == fp):
                datasets[fp] = named
        drawn = drawn_mask(state, value)
        newest_failed = sorted(self._failed, key=lambda i: trials[i].number)[-3:]
        return StudySummary(
            n_trials=len(trials),
            n_completed=n_completed,
            n_failed=self._states[TrialState.FAIL],
            n_pruned=self._states[TrialState.PRUNED],
            n_running=self._states[TrialState.RUNNING],
            best=best,
            datasets=datasets,
            param_names=sorted(k for k, c in self._params.items() if c > 0),
            failures=describe_failures([trials[i] for i in newest_failed]),
            savings=savings_of(self._steps.elements()),
            points=TrialPoints(number[drawn], value[drawn], state[drawn]),
        )
