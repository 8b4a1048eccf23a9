"""Exercise links: a Playground link that hides or locks knobs (``?hide=...&lock=...``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from core.errors import ConfigError
from core.knobs._fields import FAMILIES, Knob, get_knob, get_knobs
from core.knobs._values import coerce


@dataclass
class Exercise:
    """What an exercise link fixes on the Playground (``?hide=...&lock=...``).

    ``family``: the model family, when the link locks ``model``. ``hidden``: knobs not drawn at
    all; they keep their locked value, or else their default. ``locked``: knobs drawn but fixed at
    a value. ``problems``: one sentence per item of the link that was ignored.
    """

    family: str | None = None
    hidden: frozenset[str] = frozenset()
    locked: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.family or self.hidden or self.locked)

    @property
    def key(self) -> str:
        """The exercise as one canonical string (what it hides and locks, sorted), stored on the
        runs made through its link so that the class view can show only those; "" for none."""
        locks = [f"model:{self.family}"] if self.family else []
        locks += [f"{name}:{value}" for name, value in sorted(self.locked.items())]
        parts = [f"hide={','.join(sorted(self.hidden))}"] if self.hidden else []
        return "&".join(parts + ([f"lock={','.join(locks)}"] if locks else []))

    def fixed_values(
        self, family: str, defaults: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The values this exercise imposes on ``family``'s knobs: locked, or hidden ones'
        defaults (``defaults``, such as those fitted to the data, before the knobs' own)."""
        names = {k.name for k in get_knobs(family)}
        defaults = defaults or {}
        values = {
            k.name: defaults.get(k.name, k.default)
            for k in get_knobs(family)
            if k.name in self.hidden
        }
        return values | {n: v for n, v in self.locked.items() if n in names}


# A link names each knob at most once or twice; entries past this many are not read.
MAX_LINK_ENTRIES = 100
# Up to this many ignored entries get a sentence each; more get one sentence that counts them.
MAX_PROBLEMS = 3


def _items(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def parse_exercise(hide: str | None = None, lock: str | None = None) -> Exercise:
    """Read ``hide=vocab_size,cell`` and ``lock=model:cnn,learning_rate:0.003`` into an
    :class:`Exercise`. An unknown knob or an illegal value is skipped with one sentence; past
    :data:`MAX_PROBLEMS` of them, or past :data:`MAX_LINK_ENTRIES` entries in a list, one sentence
    counts every entry ignored."""
    ex = Exercise()
    known = {k.name for k in get_knobs()}
    hide_items, lock_items = _items(hide), _items(lock)
    unread = max(0, len(hide_items) - MAX_LINK_ENTRIES) + max(0, len(lock_items) - MAX_LINK_ENTRIES)
    hidden = set()
    for name in hide_items[:MAX_LINK_ENTRIES]:
        if name in known:
            hidden.add(name)
        else:
            ex.problems.append(f"hide: there is no knob named '{name[:40]}'.")
    ex.hidden = frozenset(hidden)
    for item in lock_items[:MAX_LINK_ENTRIES]:
        name, sep, raw = item.replace("=", ":", 1).partition(":")
        name, raw = name.strip(), raw.strip()
        if not sep or not raw:
            ex.problems.append(f"lock: '{item[:40]}' needs the form knob:value.")
            continue
        if name == "model":
            if raw in FAMILIES:
                ex.family = raw
            else:
                ex.problems.append(f"lock: model must be one of {', '.join(FAMILIES)}.")
            continue
        if name not in known:
            ex.problems.append(f"lock: there is no knob named '{name[:40]}'.")
            continue
        try:
            ex.locked[name] = _legal_value(get_knob(name), raw)
        except ConfigError as err:
            ex.problems.append(f"lock: {err}")
    ignored = len(ex.problems) + unread
    if unread or ignored > MAX_PROBLEMS:
        first = f" The first: {ex.problems[0]}" if ex.problems else ""
        ex.problems = [f"{ignored:,} entries of the link were ignored.{first}"]
    return ex


def _legal_value(k: Knob, raw: str) -> Any:
    """``raw`` as a value of knob ``k`` inside its legal range or choices, or ConfigError."""
    value = coerce(k, raw)
    if k.choices is not None and value not in k.choices:
        raise ConfigError(f"{k.name} must be one of {', '.join(map(str, k.choices))}.")
    if k.low is not None and k.high is not None and not k.low <= value <= k.high:
        raise ConfigError(f"{k.name} must be between {k.low:g} and {k.high:g}, got {value}.")
    return value


def exercise_query(params: Mapping[str, Any]) -> str:
    """The exercise part (``hide`` and ``lock``) of a page's query parameters, as a query string
    for a link to another page with the same exercise."""
    return urlencode({k: params[k] for k in ("hide", "lock") if params.get(k)})
