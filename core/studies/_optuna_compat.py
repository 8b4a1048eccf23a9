"""Every use of Optuna's private API, in one place.

Optuna's public API has no way to find trials by a user attribute without loading every trial,
no study or trial id on a ``Study`` or ``FrozenTrial``, no check of a hand-built
``FrozenTrial``, no file path on a journal storage, no way to show a sampler other values
for a study's trials, and no way to quiet its warning about a failed trial (the study worker
prints its own one-sentence reason) without quieting every warning. The explorer needs all
these, so they are reached here and nowhere else; ``tests/core/studies/test_optuna_compat.py``
pins the behaviour each one relies on, so an Optuna upgrade that changes it fails there first.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Container, Sequence
from typing import Any

import optuna
from optuna.storages import BaseStorage, RDBStorage
from optuna.trial import FrozenTrial, TrialState


def study_id_of(study: optuna.Study | optuna.study.StudySummary | Any) -> int:
    """The storage's id of a ``Study`` or ``FrozenStudy`` (``_study_id``)."""
    return study._study_id


def study_storage(study: optuna.Study) -> BaseStorage:
    """The storage a ``Study`` reads and writes (``_storage``)."""
    return study._storage


def trial_id_of(trial: FrozenTrial) -> int:
    """The storage's id of a ``FrozenTrial`` (``_trial_id``)."""
    return trial._trial_id


def journal_file_of(storage: BaseStorage) -> str | None:
    """The file behind a ``JournalStorage`` with a file backend (``_backend._file_path``)."""
    backend = getattr(storage, "_backend", None)
    path = getattr(backend, "_file_path", None)
    return str(path) if path else None


def validate_trial(trial: FrozenTrial) -> None:
    """Optuna's own consistency check of a hand-built trial (``FrozenTrial._validate``)."""
    trial._validate()


def rdb_models() -> Any:
    """Optuna's SQLAlchemy models (``optuna.storages._rdb.models``), for reads in SQL."""
    from optuna.storages._rdb import models

    return models


def trials_with_user_attr(
    storage: RDBStorage,
    key: str,
    value: Any,
    states: Sequence[TrialState] = (TrialState.COMPLETE,),
) -> list[tuple[int, int]]:
    """``(trial_id, study_id)`` of the trials, in any study, whose user attribute ``key`` equals
    ``value``; newest first. One query instead of loading every trial of every study."""
    from sqlalchemy import select

    models = rdb_models()
    attr, trial = models.TrialUserAttributeModel, models.TrialModel
    query = (
        select(trial.trial_id, trial.study_id)
        .join(attr, attr.trial_id == trial.trial_id)
        .where(attr.key == key, attr.value_json == json.dumps(value))
        .where(trial.state.in_(list(states)))
        .order_by(trial.trial_id.desc())
    )
    with storage.engine.connect() as conn:
        return [(row[0], row[1]) for row in conn.execute(query)]


class TrialsView:
    """A ``Study`` whose trials a sampler reads through ``transform``.

    Optuna's samplers read a study's trials with ``Study._get_trials``; this stands in for the
    study there, hands them ``transform(trials)`` instead, and passes every other attribute
    (directions, storage, ids) to the real study, so what a sampler writes lands in it.
    """

    def __init__(
        self,
        study: optuna.Study,
        transform: Callable[[list[FrozenTrial]], list[FrozenTrial]],
    ) -> None:
        self._study = study
        self._transform = transform

    def __getattr__(self, name: str) -> Any:
        return getattr(self._study, name)

    def _get_trials(
        self,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
        use_cache: bool = False,
    ) -> list[FrozenTrial]:
        trials = self._transform(self._study._get_trials(deepcopy=False, use_cache=use_cache))
        if states is not None:
            trials = [t for t in trials if t.state in states]
        return copy.deepcopy(trials) if deepcopy else trials

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        return self._get_trials(deepcopy=deepcopy, states=states)

    @property
    def trials(self) -> list[FrozenTrial]:
        return self.get_trials()


def storage_url_of(storage: BaseStorage) -> str | None:
    """The URL a worker process can use to open the same storage, or None (in-memory)."""
    if isinstance(storage, RDBStorage):
        return storage.url
    path = journal_file_of(storage)
    return f"journal:{path}" if path else None


# The logger of the module that warns "Trial N failed ..." when a trial fails (optuna 5).
FAILED_TRIAL_LOGGER = "optuna.study._optimize"


class _FailedTrialAtDebug(logging.Filter):
    """Optuna's "Trial N failed ..." warnings, lowered to debug level."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.levelno == logging.WARNING and text.startswith("Trial ") and " failed " in text:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger("optuna").isEnabledFor(logging.DEBUG)
        return True


def failed_trials_at_debug() -> None:
    """Log Optuna's own warnings about a failed trial at debug level (shown with Optuna's
    verbosity at DEBUG), leaving every other warning as it is."""
    logger = logging.getLogger(FAILED_TRIAL_LOGGER)
    if not any(isinstance(f, _FailedTrialAtDebug) for f in logger.filters):
        logger.addFilter(_FailedTrialAtDebug())
