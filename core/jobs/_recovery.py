"""Which stored Playground trials are still held by a live server, so that a new server can end
the others (:func:`core.studies.run._playground.recover_interrupted_jobs`) as interrupted.

A job's trial records the host, process id and server id of the manager that queued it. On
another host nothing can be judged; on this host the process must be alive and, when it is this
very process, the manager must still be running (a process may outlive one manager, e.g. when
the app's resource cache is cleared).
"""

from __future__ import annotations

import os
import socket
from typing import Any

# The managers alive in this process.
_LIVE_SERVERS: set[str] = set()


def server_started(server_id: str) -> None:
    _LIVE_SERVERS.add(server_id)


def server_stopped(server_id: str) -> None:
    _LIVE_SERVERS.discard(server_id)


def server_attrs(server_id: str) -> dict[str, Any]:
    """What a job's trial records about the server that queued it."""
    return {
        "job_host": socket.gethostname(),
        "job_server_pid": os.getpid(),
        "job_server": server_id,
    }


def held_by_live_server(attrs: dict[str, Any]) -> bool:
    """Whether a live server holds the job whose trial has these user attributes."""
    if attrs.get("job_host") != socket.gethostname():
        return True  # another machine's server: not ours to judge
    pid = attrs.get("job_server_pid")
    if not isinstance(pid, int):
        return False
    if pid == os.getpid():  # this process: held if that manager still runs here
        return attrs.get("job_server") in _LIVE_SERVERS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
