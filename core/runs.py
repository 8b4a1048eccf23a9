"""Find stored models: a runs folder, the example models committed under ``studies/models/``,
or the best trial of a study (its ``run_dir`` user attribute, else ``studies/models/<study>``).

Reads ``result.json`` and ``config.json`` only; loading a model is :mod:`core.predict`'s job.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import optuna

from core.errors import ExplorerError
from core.knobs import family_of
from core.results import StoredRun
from core.settings import get_runs_dir, get_studies_dir
from core.studies.names import check_study_name
from core.studies.storage import open_storage

__all__ = ["example_models_dir", "get_study_best_run", "list_saved_runs", "study_models_dir"]


def example_models_dir() -> Path:
    """Where the committed example models live: ``studies/models/<study>/``."""
    return get_studies_dir() / "models"


def list_saved_runs(runs_dir: Path | None = None) -> list[StoredRun]:
    """Every run under the runs folder that kept its model, newest first, then (without
    ``runs_dir``) the committed example models."""
    root = Path(runs_dir) if runs_dir is not None else get_runs_dir()
    found = sorted(root.glob("*/result.json"), reverse=True)
    if runs_dir is None:
        found += sorted(example_models_dir().glob("*/result.json"))
    runs = []
    for path in found:
        if not (path.parent / "model" / "config.json").exists():
            continue
        try:
            runs.append(_stored_run(path.parent, json.loads(path.read_text())))
        except (ValueError, KeyError, OSError):
            continue  # a half-written or foreign folder is not a model to offer
    return runs


def _stored_run(run_dir: Path, result: dict[str, Any]) -> StoredRun:
    model_type = result["config"]["model"]["model_type"]
    return StoredRun(
        run_dir=str(run_dir),
        family=family_of(model_type),
        status=result.get("status", ""),
        best_val_accuracy=result.get("best_val_accuracy"),
        test_accuracy=result.get("test_accuracy"),
        config=result["config"],
    )


def study_models_dir(study_name: str) -> Path:
    """Where ``study keep-best`` keeps a study's best model (the name is checked first)."""
    return example_models_dir() / check_study_name(study_name)


def get_study_best_run(study_name: str, storage: str) -> StoredRun:
    """The saved model of ``study_name``'s best trial (its ``run_dir`` user attribute)."""
    try:
        study = optuna.load_study(study_name=study_name, storage=open_storage(storage))
    except KeyError:
        raise ExplorerError(f"There is no study named '{study_name}' in this storage.") from None
    try:
        trial = study.best_trial
    except ValueError:
        raise ExplorerError(f"Study '{study_name}' has no completed trial yet.") from None
    run_dir = trial.user_attrs.get("run_dir")
    if not run_dir or not (Path(run_dir) / "model" / "config.json").exists():
        run_dir = study_models_dir(study_name)  # a clone has the committed copy only
    if not (Path(run_dir) / "model" / "config.json").exists():
        raise ExplorerError(
            f"The best trial (#{trial.number}) of study '{study_name}' kept no saved model."
        )
    result_file = Path(run_dir) / "result.json"
    if result_file.exists():
        return _stored_run(Path(run_dir), json.loads(result_file.read_text()))
    config = trial.user_attrs.get("config") or {}
    return StoredRun(
        run_dir=str(run_dir),
        family=_family_of_model(Path(run_dir)),
        status="completed",
        best_val_accuracy=trial.value,
        test_accuracy=trial.user_attrs.get("test_accuracy"),
        config=config,
    )


def _family_of_model(run_dir: Path) -> str:
    """The family of the model saved under ``run_dir/model`` (from its ``config.json``)."""
    return family_of(json.loads((run_dir / "model" / "config.json").read_text())["model_type"])
