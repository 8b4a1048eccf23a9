"""Stop requests: a study user attribute that every worker checks at each evaluation."""

from __future__ import annotations

import datetime as dt

from optuna.storages import BaseStorage

from core.settings import ensure_writable
from core.studies.storage._backend import open_storage
from core.studies.storage._files import StorageError

STOP_ATTR = "stop_requested"


def request_stop(study_name: str, storage: str | BaseStorage | None = None) -> None:
    """Ask every worker of ``study_name`` to finish its current evaluation and exit."""
    ensure_writable("stop a study")
    s = open_storage(storage)
    study_id = _study_id(s, study_name)
    s.set_study_user_attr(study_id, STOP_ATTR, dt.datetime.now().isoformat(timespec="seconds"))


def clear_stop(study_name: str, storage: str | BaseStorage | None = None) -> None:
    """Withdraw a stop request, so that new workers run (done when workers are launched)."""
    ensure_writable("change a study")
    s = open_storage(storage)
    s.set_study_user_attr(_study_id(s, study_name), STOP_ATTR, None)


def stop_requested(study_name: str, storage: str | BaseStorage | None = None) -> bool:
    """Whether a stop request for ``study_name`` is pending."""
    s = open_storage(storage)
    return is_stop_requested(s, _study_id(s, study_name))


def is_stop_requested(storage: BaseStorage, study_id: int) -> bool:
    return bool(storage.get_study_user_attrs(study_id).get(STOP_ATTR))


def _study_id(storage: BaseStorage, study_name: str) -> int:
    try:
        return storage.get_study_id_from_name(study_name)
    except KeyError:
        raise StorageError(f"There is no study named '{study_name}' in this storage.") from None
