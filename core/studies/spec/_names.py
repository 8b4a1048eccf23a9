"""Study names: they become file names (worker logs, kept models), so only one safe shape."""

from __future__ import annotations

import re

from core.errors import ConfigError

# Letters, digits, "-", "_" and ".", not starting with "." (so never "..", "/" or a hidden file).
STUDY_NAME_PATTERN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")


def check_study_name(name: object) -> str:
    """``name`` if it is a safe study name, else :class:`ConfigError` with one sentence."""
    if not isinstance(name, str) or not STUDY_NAME_PATTERN.fullmatch(name):
        raise ConfigError(
            f"The study name {name!r} is not allowed: use letters, digits, '-', '_' and '.', "
            "not starting with '.', at most 100 characters."
        )
    return name
