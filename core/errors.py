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


# The command line's exit statuses (``python -m core -h`` lists them).
EXIT_OK = 0  # done
EXIT_UNEXPECTED = 1  # an error nobody foresaw: a bug, with Python's traceback
EXIT_USAGE = 2  # a mistake in the command or its input: one sentence, nothing written
EXIT_NO_MODEL = 3  # it ran, but produced no usable model (diverged; every trial failed)
EXIT_INTERRUPTED = 130  # Ctrl-C

EXIT_STATUSES = f"""exit status:
  {EXIT_OK}    done
  {EXIT_USAGE}    a mistake in the command or its input: one sentence, nothing written
  {EXIT_NO_MODEL}    it ran, but produced no usable model: the run diverged, or no trial of the
       study completed
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C); a study's workers finish their current evaluation
  {EXIT_UNEXPECTED}    an unexpected error (a bug): Python's traceback"""
