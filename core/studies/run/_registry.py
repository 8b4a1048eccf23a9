"""The study worker processes one server launched, so they are reaped and counted.

The storage is the source of truth for a study's progress; this only knows which of the
processes this server started are still alive.
"""

from __future__ import annotations

import subprocess
import threading


class WorkerRegistry:
    """Live worker processes per study (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handles: dict[str, list[subprocess.Popen]] = {}

    def add(self, study: str, handles: list[subprocess.Popen]) -> None:
        with self._lock:
            self._handles.setdefault(study, []).extend(handles)

    def alive(self) -> dict[str, int]:
        """Live worker processes per study (finished ones are reaped and forgotten)."""
        with self._lock:
            for study in list(self._handles):
                self._handles[study] = [h for h in self._handles[study] if h.poll() is None]
                if not self._handles[study]:
                    del self._handles[study]
            return {s: len(h) for s, h in self._handles.items()}
