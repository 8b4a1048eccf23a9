"""Errors a user can cause. Each carries one sentence that the CLI and the app show as is."""

from __future__ import annotations


class ExplorerError(Exception):
    """Base class: ``str(err)`` is a single sentence meant for the user, never a traceback."""


class DataError(ExplorerError):
    """The data could not be found, read or understood."""


class ConfigError(ExplorerError, ValueError):
    """A hyperparameter value or combination is not allowed."""


class ReadOnlyError(ExplorerError):
    """A write was attempted while the explorer runs as a read-only viewer."""
