"""What a run produces and what the app shows of it: plain dataclasses, no torch.

:class:`RunResult` is what :func:`core.trainer.train_run` returns (and what a job hands back);
:class:`StoredRun` is a saved model on disk and what it scored. Pages, charts, the study
queries and the job manager import these without loading torch or transformers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RESULT_ATTRS", "STATUSES", "RunResult", "StoredRun", "result_attrs"]

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

    @property
    def name(self) -> str:
        return Path(self.run_dir).name

    @property
    def model_config(self) -> dict[str, Any]:
        return self.config.get("model", {})


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
