"""A storage that refuses every write before it reaches the database (the viewer's second layer
of read-only; the first is the driver's, see :mod:`core.studies.storage._backend`)."""

from __future__ import annotations

from typing import Any

from optuna.storages import BaseStorage

from core.errors import ReadOnlyError
from core.studies._optuna_compat import storage_url_of


class ReadOnlyStorage(BaseStorage):
    """A storage that reads through to ``inner`` and refuses every write with one sentence.

    It is not an ``RDBStorage`` and has no heartbeat, so Optuna never tries to record one.
    """

    def __init__(self, inner: BaseStorage) -> None:
        self._inner = inner

    @property
    def url(self) -> str | None:
        return storage_url_of(self._inner)

    def _refuse(self, action: str) -> None:
        raise ReadOnlyError(f"This study storage is read-only, so it cannot {action}.")

    # ---- writes: every one refuses --------------------------------------------------------
    def create_new_study(self, directions: Any, study_name: str | None = None) -> int:
        self._refuse("create a study")

    def delete_study(self, study_id: int) -> None:
        self._refuse("delete a study")

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._refuse("change a study")

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._refuse("change a study")

    def create_new_trial(self, study_id: int, template_trial: Any = None) -> int:
        self._refuse("add a trial")

    def set_trial_param(self, trial_id: int, param_name: str, param_value_internal: float,
                        distribution: Any) -> None:  # fmt: skip
        self._refuse("change a trial")

    def set_trial_state_values(self, trial_id: int, state: Any, values: Any = None) -> bool:
        self._refuse("change a trial")

    def set_trial_intermediate_value(self, trial_id: int, step: int, intermediate_value: float
                                     ) -> None:  # fmt: skip
        self._refuse("change a trial")

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._refuse("change a trial")

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._refuse("change a trial")

    # ---- reads: passed through -------------------------------------------------------------
    def get_study_id_from_name(self, study_name: str) -> int:
        return self._inner.get_study_id_from_name(study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        return self._inner.get_study_name_from_id(study_id)

    def get_study_directions(self, study_id: int) -> Any:
        return self._inner.get_study_directions(study_id)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self._inner.get_study_user_attrs(study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self._inner.get_study_system_attrs(study_id)

    def get_all_studies(self) -> Any:
        return self._inner.get_all_studies()

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        return self._inner.get_trial_id_from_study_id_trial_number(study_id, trial_number)

    def get_trial(self, trial_id: int) -> Any:
        return self._inner.get_trial(trial_id)

    def get_all_trials(self, study_id: int, deepcopy: bool = True, states: Any = None) -> Any:
        return self._inner.get_all_trials(study_id, deepcopy=deepcopy, states=states)

    def get_n_trials(self, study_id: int, state: Any = None) -> int:
        return self._inner.get_n_trials(study_id, state)

    def get_best_trial(self, study_id: int) -> Any:
        return self._inner.get_best_trial(study_id)

    def remove_session(self) -> None:
        self._inner.remove_session()
