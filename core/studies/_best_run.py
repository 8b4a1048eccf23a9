"""Where a study's chosen model is: the saved model of its best trial (chosen on validation), or,
in a clone that lacks the original runs, the copy ``study keep-best`` committed under
``studies/models/<study>``. Returns a folder; reading what is in it is
:func:`core.results.load_stored_run`'s job, loading the model :func:`core.training.load_model`'s."""

from __future__ import annotations

from pathlib import Path

from core.errors import ExplorerError
from core.settings import get_studies_dir
from core.studies.spec import check_study_name
from core.studies.storage import open_storage


def study_models_dir(study_name: str) -> Path:
    """Where ``study keep-best`` keeps a study's best model (the name is checked first)."""
    return get_studies_dir() / "models" / check_study_name(study_name)


def find_best_run_dir(study_name: str, storage: str) -> Path:
    """The folder of the saved model of ``study_name``'s best trial (its ``run_dir`` user
    attribute, else the committed copy); one sentence when there is none."""
    s = open_storage(storage)
    try:
        study_id = s.get_study_id_from_name(study_name)
    except KeyError:
        raise ExplorerError(f"There is no study named '{study_name}' in this storage.") from None
    try:
        trial = s.get_best_trial(study_id)
    except ValueError:
        raise ExplorerError(f"Study '{study_name}' has no completed trial yet.") from None
    for candidate in (trial.user_attrs.get("run_dir"), study_models_dir(study_name)):
        if candidate and (Path(candidate) / "model" / "config.json").exists():
            return Path(candidate)
    raise ExplorerError(
        f"The best trial (#{trial.number}) of study '{study_name}' kept no saved model."
    )
