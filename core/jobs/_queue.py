"""When a waiting job will start: first in, first out, over the slots that train at once."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence

from core.jobs._snapshot import Job
from core.results import RunResult

# Seconds a training step takes, per family, before this server has measured any (the default
# knobs with two torch threads on a 2-core CPU), and the fixed part of a run (validation, test).
DEFAULT_STEP_S = {"cnn": 0.02, "rnn": 0.4}
DEFAULT_OVERHEAD_S = {"cnn": 3.0, "rnn": 30.0}


def estimate_starts(busy_for: Sequence[float], durations: Sequence[float]) -> list[float]:
    """Seconds until each waiting job starts.

    ``busy_for``: one entry per slot, the seconds until it is free (0 when idle).
    ``durations``: the waiting jobs' expected run times, in queue order. Each job takes the slot
    that frees first, as the workers do when they take jobs from the shared queue.
    """
    if not busy_for:
        raise ValueError("at least one slot is needed")
    free = [max(0.0, b) for b in busy_for]
    heapq.heapify(free)
    starts = []
    for duration in durations:
        at = heapq.heappop(free)
        starts.append(at)
        heapq.heappush(free, at + max(0.0, duration))
    return starts


class RunTimeModel:
    """Expected run time of a job from its family and step count, learned from finished jobs
    (mean seconds per step and fixed overhead, per family)."""

    def __init__(self) -> None:
        self._step_s = dict(DEFAULT_STEP_S)
        self._overhead_s = dict(DEFAULT_OVERHEAD_S)

    def expected_s(self, family: str, max_steps: int) -> float:
        return self._overhead_s.get(family, 5.0) + max_steps * self._step_s.get(family, 0.1)

    def observe(self, family: str, result: RunResult) -> None:
        """Fold in a finished run: of its wall time, its samples over its throughput went to
        training steps, the rest to loading and scoring."""
        steps, wall_s = result.steps, result.wall_s
        samples = steps * result.config.get("train", {}).get("batch_size", 1)
        train_s = samples / result.train_samples_per_s if result.train_samples_per_s else 0
        if steps <= 0 or wall_s <= 0:
            return
        old_step = self._step_s.get(family, train_s / steps)
        old_over = self._overhead_s.get(family, wall_s - train_s)
        self._step_s[family] = 0.5 * old_step + 0.5 * train_s / steps
        self._overhead_s[family] = 0.5 * old_over + 0.5 * max(0.0, wall_s - train_s)


def place_in_line(
    job: Job, jobs: Iterable[Job], running: Sequence[Job | None], times: RunTimeModel
) -> tuple[int, float]:
    """A job waiting for this server's slots: its place (1: the next to start) and the seconds
    until it starts, from the job each slot runs (``running``; None: idle)."""
    waiting = sorted(
        (j for j in jobs if j.snap.state == "queued" and not j.followed), key=lambda j: j.seq
    )
    position = waiting.index(job)
    busy = [_busy_for(j, times) for j in running] or [0.0]
    starts = estimate_starts(busy, [j.expected_s for j in waiting[: position + 1]])
    return position + 1, starts[-1]


def _busy_for(job: Job | None, times: RunTimeModel) -> float:
    """Seconds until the slot running ``job`` is free, from its progress (0 when idle)."""
    if job is None or job.snap.done:
        return 0.0
    if job.snap.eta_s is not None:
        return job.snap.eta_s + times.expected_s(job.snap.family, 0)
    return job.expected_s
