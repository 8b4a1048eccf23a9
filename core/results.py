"""What a run produces, and the stored runs on disk: plain dataclasses and JSON, no torch.

:class:`RunResult` is what :func:`core.training.train_run` returns (and what a job hands back);
:class:`StoredRun` is a saved model on disk and what it scored. :func:`list_saved_runs` finds
them in a runs folder and among the example models committed under ``studies/models/`` (a
study's best trial's model is found by :func:`core.studies.find_best_run_dir`). Only
``result.json`` and ``config.json`` are read; loading a model is :func:`core.training.load_model`'s
job. Pages, charts, the study queries and the job manager import this without loading torch or
transformers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.knobs import family_of
from core.settings import get_runs_dir, get_studies_dir

__all__ = [
    "RESULT_ATTRS",
    "STATUSES",
    "RunResult",
    "StoredRun",
    "example_models_dir",
    "list_saved_runs",
    "load_stored_run",
    "model_fingerprint",
    "result_attrs",
]

# How a run ends: trained to max_steps, stopped early on validation, stopped by its owner,
# or stopped because its training loss blew up.
STATUSES = ("completed", "early_stopped", "cancelled", "diverged")


@dataclass
class RunResult:
    """What a run produced. ``status`` is one of :data:`STATUSES`."""

    status: str
    history: list[dict[str, float]]  # step, train_loss, val_accuracy, val_loss
    best_val_accuracy: float | None
    best_step: int | None
    test_accuracy: float | None
    test_size: int
    params: int
    wall_s: float
    train_samples_per_s: float
    steps: int
    run_dir: str | None = None
    message: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    threads: int | None = None  # torch threads the run trained with
    data_fingerprint: str | None = None  # the content hash of the data it trained on
    dataset: str | None = None  # the data's display name (dataset.toml's name, else the folder)
    test_carved: bool = False  # the data had no test file: its test split was carved from train
    test_macro_f1: float | None = None  # set when the test split's classes are unbalanced

    def summary(self) -> dict[str, Any]:
        """The headline numbers (the CLI's last line)."""
        return {
            "status": self.status,
            "best_val_accuracy": self.best_val_accuracy,
            "best_step": self.best_step,
            "test_accuracy": self.test_accuracy,
            "test_size": self.test_size,
            "train_samples_per_s": round(self.train_samples_per_s, 1),
            "wall_s": round(self.wall_s, 2),
            "params": self.params,
            "steps": self.steps,
            "run_dir": self.run_dir,
            "message": self.message,
            "dataset": self.dataset,
            "test_carved": self.test_carved,
            "test_macro_f1": self.test_macro_f1,
        }

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunResult:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass(frozen=True)
class StoredRun:
    """A saved model: where it is and what it scored."""

    run_dir: str
    family: str
    status: str
    best_val_accuracy: float | None
    test_accuracy: float | None
    config: dict[str, Any]
    dataset: str | None = None  # the data's display name, where the run recorded it

    @property
    def name(self) -> str:
        return Path(self.run_dir).name

    @property
    def model_config(self) -> dict[str, Any]:
        model: dict[str, Any] = self.config.get("model", {})
        return model


# What a trial stores of a RunResult as user attributes (with ``config`` and ``message``).
RESULT_ATTRS = (
    "status",
    "test_accuracy",
    "test_size",
    "params",
    "wall_s",
    "train_samples_per_s",
    "steps",
    "best_step",
    "best_val_accuracy",
    "run_dir",  # set only for a trial that was the study's best when it ended (model kept)
    "history",  # every logged step: train loss, validation accuracy and loss
    "threads",
    "data_fingerprint",
    "dataset",
    "test_carved",
    "test_macro_f1",
)


def result_attrs(result: RunResult) -> dict[str, Any]:
    """The user attributes a trial stores for a :class:`~core.results.RunResult`."""
    attrs = {k: getattr(result, k) for k in RESULT_ATTRS}
    attrs["config"] = result.config
    attrs["message"] = result.message
    return attrs


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
        dataset=result.get("dataset"),
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


def model_fingerprint(folder: str | Path) -> str:
    """A saved model's content hash (its weights and tokenizer files), not its location."""
    root = Path(folder) / "model"
    h = hashlib.sha256()
    for path in sorted(root.glob("*")):
        if path.is_file():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]
