"""Playground jobs: each run trains in a worker process, several at once, and a run the store
already holds is answered from it.

- :class:`JobManager` (the server's side): submit, follow, cancel; first in, first out over
  ``EXPLORER_JOB_SLOTS`` worker processes of ``EXPLORER_JOB_THREADS`` torch threads each.
- :class:`JobSnapshot`: what a page reads about one job.
- :func:`estimate_starts`: when waiting jobs will start.
- :func:`serve_jobs`: ``python -m core worker``, which trains the jobs of every server that
  shares its storage, on any machine.

Importing this package does not import torch; only the worker processes do.
"""

from core.jobs._manager import CANCEL_GRACE_S, JobManager
from core.jobs._queue import estimate_starts
from core.jobs._snapshot import FINAL_STATES, JobSnapshot
from core.jobs._worker import serve_jobs

__all__ = [
    "CANCEL_GRACE_S",
    "FINAL_STATES",
    "JobManager",
    "JobSnapshot",
    "estimate_starts",
    "serve_jobs",
]
