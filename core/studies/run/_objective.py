"""The study objective: train one configuration, report validation accuracy at every evaluation.

Each trial's learning curve goes to Optuna through ``trial.report`` (so pruners see it and the
study keeps it as intermediate values), and its outcome goes to user attributes:
:data:`core.results.RESULT_ATTRS` plus ``config`` (the fully resolved config), ``flat`` (every knob's value)
and ``message``. What a trial ends as:

- trained to the end or early-stopped: COMPLETE, value = best validation accuracy;
- stopped by the pruner or by a stop request: PRUNED, ``status`` says which;
- interrupted by Ctrl-C: FAIL, ``status = "interrupted"``, the step in ``message``;
- an impossible combination of values (e.g. a filter wider than max_length): PRUNED,
  ``status = "invalid"``, the reason in ``message``;
- an error inside training: FAIL with the error in ``message``; the study goes on, unless it is
  a user-caused :class:`~core.errors.ExplorerError` (missing data...), which stops this worker;
- the loss became NaN/inf: FAIL, reason in ``message`` (the objective returns NaN, which Optuna
  records as FAIL with a one-line warning rather than a traceback).

Test accuracy is that of the best-validation checkpoint, scored once; it never steers the search.

A trial whose run an earlier completed trial of the same study already trained (same replay key,
see :mod:`core.studies.run._replay`) copies that trial's numbers and curve instead of training, with
``replayed_from`` naming it: a grid over a conditional knob (``nonlinearity`` only for the plain
RNN cell) holds such duplicates, and training is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import optuna
from transformers import TrainerCallback

from core.errors import ConfigError, ExplorerError
from core.results import RESULT_ATTRS, RunResult, result_attrs
from core.studies.run._replay import REPLAY_ATTR, replay_key
from core.studies.spec import StudySpec, suggest_overrides
from core.training import build_run_config


class PruningCallback(TrainerCallback):
    """Report each validation to the trial; stop on pruning, a stop request, or an interrupt."""

    def __init__(
        self,
        trial: optuna.Trial,
        stop_requested: Callable[[], bool] = lambda: False,
        interrupted: Callable[[], bool] = lambda: False,
    ) -> None:
        self.trial = trial
        self.stop_requested = stop_requested
        self.interrupted = interrupted
        self.reason: str | None = None

    def on_step_end(self, args, state, control, **kwargs):
        if self.interrupted():  # Ctrl-C: do not wait for the next evaluation
            self.reason = "interrupted"
            control.should_training_stop = True

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        self.trial.report(float(metrics["eval_accuracy"]), state.global_step)
        if self.trial.should_prune():
            self.reason = "pruned"
        elif self.stop_requested():
            self.reason = "stopped"
        elif self.interrupted():
            self.reason = "interrupted"
        if self.reason:
            control.should_training_stop = True


class Objective:
    """Callable for ``study.optimize``: one trial trains one configuration of ``spec``."""

    def __init__(
        self,
        spec: StudySpec,
        *,
        stop_requested: Callable[[], bool] = lambda: False,
        interrupted: Callable[[], bool] = lambda: False,
        callbacks: Sequence[TrainerCallback] = (),
    ) -> None:
        self.spec = spec
        self.stop_requested = stop_requested
        self.interrupted = interrupted
        self.callbacks = list(callbacks)

    def __call__(self, trial: optuna.Trial) -> float:
        try:
            return self._train(trial)
        except optuna.TrialPruned:
            raise
        except Exception as err:  # recorded with the trial (FAIL); the worker goes on
            trial.set_user_attr("status", "error")
            trial.set_user_attr("message", f"{type(err).__name__}: {err}".splitlines()[0])
            if isinstance(err, ExplorerError):  # missing data etc.: every trial would fail
                trial.set_user_attr("message", str(err))
                trial.study.stop()
            raise

    def _train(self, trial: optuna.Trial) -> float:
        import torch  # only in processes that train

        from core.training import prepare_data, train_run

        overrides = suggest_overrides(trial, self.spec)
        try:
            run = build_run_config(
                self.spec.model, self.spec.preset, overrides, self.spec.data_config()
            )
        except ConfigError as err:
            trial.set_user_attr("status", "invalid")
            trial.set_user_attr("message", str(err))
            raise optuna.TrialPruned(str(err)) from None
        trial.set_user_attr("flat", run.to_flat())

        prepared = prepare_data(run.data)
        key = replay_key(run, prepared.fingerprint, torch.get_num_threads())
        trial.set_user_attr(REPLAY_ATTR, key)
        same = _finished_twin(trial, key)
        if same is not None:  # e.g. a grid point that differs only in a knob that does not apply
            return _copy_twin(trial, same)
        watch = PruningCallback(trial, self.stop_requested, self.interrupted)

        def beats_best(result: Any) -> bool:
            """Keep a trial's model only when it is the study's best so far (for Predict)."""
            try:
                best = trial.study.best_value
            except ValueError:  # no completed trial yet
                return result.best_val_accuracy is not None
            return result.best_val_accuracy is not None and result.best_val_accuracy > best

        result = train_run(
            run,
            [watch, *self.callbacks],
            save=beats_best,
            evaluate_test=self.spec.score_test,
            prepared=prepared,
        )
        set_result_attrs(trial, result)

        if result.status == "diverged":
            if not result.message:
                trial.set_user_attr("message", "The training loss became NaN or infinite.")
            return float("nan")
        if result.status == "cancelled":
            reason = watch.reason or "cancelled"
            trial.set_user_attr("status", reason)
            if reason == "interrupted":  # not the pruner's decision: never counted as pruned
                trial.set_user_attr(
                    "message", f"Interrupted (Ctrl-C) at step {result.steps}, before its end."
                )
                return float("nan")
            raise optuna.TrialPruned(f"{reason} at step {result.steps}")
        if result.best_val_accuracy is None:
            trial.set_user_attr("message", "The run ended before its first validation.")
            return float("nan")
        return result.best_val_accuracy


def _finished_twin(trial: optuna.Trial, key: str) -> optuna.trial.FrozenTrial | None:
    """An earlier completed trial of this study that trained exactly this run (same replay key:
    same data, resolved config and threads), whose numbers this trial would reproduce."""
    for t in trial.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        if t.user_attrs.get(REPLAY_ATTR) == key and t.value is not None:
            return t
    return None


def _copy_twin(trial: optuna.Trial, twin: optuna.trial.FrozenTrial) -> float:
    """Answer ``trial`` with ``twin``'s stored run instead of training it again."""
    for step, value in sorted(twin.intermediate_values.items()):
        trial.report(value, step)
    for k in (*RESULT_ATTRS, "config", "message"):
        if k in twin.user_attrs and k != "run_dir":
            trial.set_user_attr(k, twin.user_attrs[k])
    trial.set_user_attr("replayed_from", twin.number)
    return float(twin.value)


def set_result_attrs(trial: optuna.Trial, result: RunResult) -> None:
    for key, value in result_attrs(result).items():
        trial.set_user_attr(key, value)
