"""What the pages read about a job, and what the manager sends its worker processes."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field, replace
from typing import Any

from core.results import RunResult

# queued -> preparing (data, tokenizer) -> training -> a final state.
# "replayed": answered from the store without training; "failed": an error, with its reason.
FINAL_STATES = ("completed", "early_stopped", "cancelled", "diverged", "failed", "replayed")


@dataclass
class JobSnapshot:
    """A copy of a job's progress, safe to read while the job runs."""

    id: str
    owner: str
    family: str
    state: str  # queued, preparing, training, cancelling or one of FINAL_STATES
    step: int = 0
    max_steps: int = 0
    submitted_at: float = 0.0  # wall clock
    started_at: float | None = None  # wall clock when training began
    finished_at: float | None = None
    eta_s: float | None = None  # training: seconds left; queued: seconds until it starts
    queue_position: int | None = None  # queued: 1 for the next job to start
    history: list[dict[str, float]] = field(default_factory=list)
    result: RunResult | None = None
    study: str | None = None  # the study its trial is in (a replay may point at a study trial)
    trial_number: int | None = None
    message: str = ""  # one sentence for the user: why it failed, or a note
    flat_config: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False
    worker: str | None = None  # the host of the worker that trains it, when not this server

    @property
    def done(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.max_steps) if self.max_steps else 0.0


@dataclass(frozen=True)
class JobTask:
    """One job, as a worker process receives it."""

    job_id: str
    seq: int  # the job's index in the cancel flags
    config: dict[str, Any]  # RunConfig.to_dict()
    trial_id: int
    storage_url: str


def replayed_snapshot(snap: JobSnapshot, result: RunResult, study: str, number: int) -> JobSnapshot:
    """``snap`` answered from the store: done at once, with trial ``number`` of ``study``'s
    numbers and curves."""
    return replace(
        snap,
        state="replayed",
        replayed=True,
        step=result.steps,
        finished_at=time.time(),
        history=list(result.history),
        result=result,
        study=study,
        trial_number=number,
        message=f"Answered from the store: this exact run is trial #{number} of {study}, and "
        "training is deterministic, so it would repeat it.",
    )


def answer_from_store(
    storage_url: str, snap: JobSnapshot, hit: Any, fingerprint: str, tags: dict | None
) -> JobSnapshot:
    """``snap`` answered by ``hit`` (a :class:`~core.studies.run._replay.StoredRunTrial`). With
    ``tags`` (who clicked, through which link), the click is also recorded for the class view,
    though nothing trained; a storage that refuses the record costs the user nothing."""
    from core.studies.run import record_replay

    answered = replayed_snapshot(snap, hit.result, hit.study, hit.number)
    if tags:
        record = {"flat": snap.flat_config, "value": hit.result.best_val_accuracy}
        record |= {"test_accuracy": hit.result.test_accuracy, "number": hit.number}
        record |= {"study": hit.study, "data_fingerprint": fingerprint}
        with contextlib.suppress(Exception):
            record_replay(storage_url, snap.family, record | {"dataset": hit.result.dataset} | tags)
    return answered


class Job:
    """The manager's record of one job: its snapshot and where it runs."""

    def __init__(self, snap: JobSnapshot, seq: int, expected_s: float) -> None:
        self.snap = snap
        self.seq = seq
        self.expected_s = expected_s
        self.trial_id: int | None = None
        self.slot: int | None = None
        self.cancel_at: float | None = None  # monotonic time of the cancel request
        self.finishing = False
        self.followed = False  # another process trains it: read through its trial


def apply_progress(snap: JobSnapshot, kind: str, payload: dict[str, Any]) -> None:
    """Fold a worker's ``state`` event (fields to set) or ``log`` event (one logged step, merged
    with a record of the same step) into ``snap``. A job being cancelled keeps that state."""
    if kind == "state":
        if snap.state == "cancelling":
            payload = {k: v for k, v in payload.items() if k != "state"}
        for name, value in payload.items():
            setattr(snap, name, value)
    elif kind == "log":
        history = snap.history
        if history and history[-1]["step"] == payload["step"]:
            history[-1] = history[-1] | payload
        else:
            history.append(payload)
