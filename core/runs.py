"""Find stored models: a runs folder, and the example models committed under ``studies/models/``
(a study's best trial's model is found by :mod:`core.studies.best_run`).

Reads ``result.json`` and ``config.json`` only; loading a model is :mod:`core.predict`'s job.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.knob_values import family_of
from core.results import StoredRun
from core.settings import get_runs_dir, get_studies_dir

__all__ = ["example_models_dir", "list_saved_runs", "load_stored_run"]


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


def load_stored_run(run_dir: str | Path) -> StoredRun:
    """The saved model under ``run_dir``: its ``result.json`` (numbers, config), else only its
    ``config.json`` (family; no numbers)."""
    run_dir = Path(run_dir)
    result_file = run_dir / "result.json"
    if result_file.exists():
        return _stored_run(run_dir, json.loads(result_file.read_text()))
    return StoredRun(
        run_dir=str(run_dir),
        family=_family_of_model(run_dir),
        status="completed",
        best_val_accuracy=None,
        test_accuracy=None,
        config={},
    )


def _family_of_model(run_dir: Path) -> str:
    """The family of the model saved under ``run_dir/model`` (from its ``config.json``)."""
    return family_of(json.loads((run_dir / "model" / "config.json").read_text())["model_type"])
