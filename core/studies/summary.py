"""What the Results page says about a study above its figures, from one pass over its trials.

At 50,000 trials each separate pass (datasets, completed trials, parameter names, failures,
pruning savings) costs 10-30 ms; a page that refreshes a running study computes them once per
snapshot, here, in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import optuna
from optuna.trial import FrozenTrial, TrialState

from core.studies.pruning import PruningSavings, pruning_savings
from core.studies.queries import describe_failures

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
    datasets: dict[str, str] = {}
    finished: list[FrozenTrial] = []  # completed or pruned: what pruning savings count
    failed: list[FrozenTrial] = []
    params: set[str] = set()
    n_completed = 0
    for t in trials:
        fp = t.user_attrs.get("data_fingerprint")
        if fp and (fp not in datasets or datasets[fp] == fp):
            datasets[fp] = t.user_attrs.get("dataset") or fp
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
        datasets=datasets,
        param_names=sorted(params),
        failures=describe_failures(failed),
        savings=pruning_savings(finished),
    )
