"""What the Results page says about a study above its figures, computed once per snapshot.

At 50,000 trials each pass over the trials (datasets, completed trials, parameter names,
failures, pruning savings) costs 10-30 ms; a page that refreshes a running study computes them
here once per snapshot version: the datasets with :func:`~core.studies.queries.datasets_of`, the
rest in one pass that sorts the trials by state for the others' helpers.
"""

from __future__ import annotations

from dataclasses import dataclass

import optuna
from optuna.trial import FrozenTrial, TrialState

from core.studies.pruning import PruningSavings, pruning_savings
from core.studies.queries import datasets_of, describe_failures

__all__ = ["StudySummary", "summarize"]


@dataclass(frozen=True)
class StudySummary:
    n_trials: int
    n_completed: int
    n_failed: int
    best: FrozenTrial | None  # the trial chosen on validation (Optuna's rule)
    datasets: dict[str, str]  # data fingerprint -> display name, as in queries.datasets_of
    param_names: list[str]  # the completed trials' parameters, sorted
    failures: list[str]  # the newest failures' reasons, as in queries.describe_failures
    savings: PruningSavings | None


def summarize(study: optuna.Study) -> StudySummary:
    trials = study.get_trials(deepcopy=False)
    finished: list[FrozenTrial] = []  # completed or pruned: what pruning savings count
    failed: list[FrozenTrial] = []
    params: set[str] = set()
    n_completed = 0
    for t in trials:
        if t.state == TrialState.COMPLETE:
            n_completed += 1
            params.update(t.params)
            finished.append(t)
        elif t.state == TrialState.PRUNED:
            finished.append(t)
        elif t.state == TrialState.FAIL:
            failed.append(t)
    return StudySummary(
        n_trials=len(trials),
        n_completed=n_completed,
        n_failed=len(failed),
        best=study.best_trial if n_completed else None,
        datasets=datasets_of(trials),
        param_names=sorted(params),
        failures=describe_failures(failed),
        savings=pruning_savings(finished),
    )
