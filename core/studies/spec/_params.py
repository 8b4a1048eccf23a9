"""One searched knob of a study file: ``[params] name = { low, high, log, step }`` or
``{ choices = [...] }``, optionally ``when = { other = value }``.

:func:`parse_param` checks an entry against the knob's own metadata (type, choices) and returns
a :class:`ParamSpec`; :mod:`core.studies.spec._parse` reads the rest of the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.errors import ConfigError
from core.knobs import Knob

_PARAM_KEYS = {"low", "high", "log", "step", "choices", "when"}


@dataclass(frozen=True)
class ParamSpec:
    """How one knob is searched: a numeric range or a list of choices, optionally conditional."""

    name: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] | None = None
    when: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.choices is not None:
            d["choices"] = list(self.choices)
        else:
            d |= {"low": self.low, "high": self.high}
            if self.log:
                d["log"] = True
            if self.step is not None:
                d["step"] = self.step
        if self.when:
            d["when"] = {k: list(v) for k, v in self.when.items()}
        return d


def active(param: ParamSpec, chosen: dict[str, Any]) -> bool:
    """Whether ``param``'s ``when`` condition holds for the values chosen so far."""
    return all(chosen.get(k) in vals for k, vals in param.when.items())


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def parse_param(
    name: str, entry: Any, knob: Knob, earlier: dict[str, ParamSpec], fixed: dict[str, Any]
) -> ParamSpec:
    """``[params] name = entry`` as a :class:`ParamSpec`; ``earlier`` (the params above it) and
    ``fixed`` are what ``when`` may refer to. One sentence per mistake."""
    where = f"params.{name}"
    if not isinstance(entry, dict):
        raise ConfigError(
            f"{where} must be a table such as {{ low = 1, high = 10 }} or {{ choices = [...] }}."
        )
    unknown = sorted(set(entry) - _PARAM_KEYS)
    if unknown:
        raise ConfigError(
            f"{where} has an unknown key '{unknown[0]}'; use low, high, log, step, choices, when."
        )
    when = _parse_when(where, entry.get("when", {}), earlier, fixed)
    for other, value in knob.requires:  # the knob's own dependency, when the file names none
        if "when" not in entry and other in earlier:
            when[other] = (value,)
    is_range = "low" in entry or "high" in entry
    if "choices" in entry:
        if is_range or "log" in entry or "step" in entry:
            raise ConfigError(f"{where} gives both choices and a range; use one of them.")
        return ParamSpec(name, choices=_parse_choices(where, entry["choices"], knob), when=when)
    if knob.choices is not None or knob.type in (bool, str):
        raise ConfigError(f"{where} takes a list of choices, not a range.")
    if not ("low" in entry and "high" in entry):
        raise ConfigError(f"{where} needs both low and high, or a list of choices.")
    low, high = entry["low"], entry["high"]
    for key, v in (("low", low), ("high", high)):
        if not is_number(v):
            raise ConfigError(f"{where}: {key} must be a number, got {v!r}.")
        if knob.type is int and not float(v).is_integer():
            raise ConfigError(f"{where}: {key} must be a whole number, got {v}.")
    if knob.type is int:  # 512.0 in a file is 512, in messages too
        low, high = int(low), int(high)
    if low > high:
        raise ConfigError(f"{where}: low ({low}) must not be greater than high ({high}).")
    log = entry.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(f"{where}: log must be true or false, got {log!r}.")
    if log and low <= 0:
        raise ConfigError(f"{where}: a log range needs low > 0, got {low}.")
    step = entry.get("step")
    if step is not None:
        if log:
            raise ConfigError(f"{where}: a range can have log or step, not both.")
        if not is_number(step) or step <= 0:
            raise ConfigError(f"{where}: step must be a positive number, got {step!r}.")
        if knob.type is int and not float(step).is_integer():
            raise ConfigError(f"{where}: step must be a whole number, got {step}.")
    if knob.type is int:
        low, high = int(low), int(high)
        step = int(step) if step is not None else None
    else:
        low, high = float(low), float(high)
        step = float(step) if step is not None else None
    return ParamSpec(name, low=low, high=high, log=log, step=step, when=when)


def _parse_choices(where: str, choices: Any, knob: Knob) -> tuple[Any, ...]:
    if not isinstance(choices, list) or not choices:
        raise ConfigError(f"{where}: choices must be a non-empty list.")
    if len(set(map(repr, choices))) != len(choices):
        raise ConfigError(f"{where}: choices repeat a value.")
    legal = (
        knob.choices if knob.choices is not None else ((False, True) if knob.type is bool else None)
    )
    out = []
    for c in choices:
        if legal is not None and c not in legal:
            raise ConfigError(f"{where}: {c!r} is not one of {', '.join(map(repr, legal))}.")
        if knob.type in (int, float) and not is_number(c):
            raise ConfigError(f"{where}: choice {c!r} must be a number.")
        if knob.type is int and not float(c).is_integer():
            raise ConfigError(f"{where}: choice {c} must be a whole number.")
        out.append(int(c) if knob.type is int else c)
    return tuple(out)


def _parse_when(
    where: str, when: Any, earlier: dict[str, ParamSpec], fixed: dict[str, Any]
) -> dict[str, tuple[Any, ...]]:
    if not isinstance(when, dict):
        raise ConfigError(f'{where}: when must be a table such as {{ cell = "rnn" }}.')
    out = {}
    for other, value in when.items():
        if other not in earlier and other not in fixed:
            raise ConfigError(
                f"{where}: when refers to '{other}', which must be searched above it or fixed."
            )
        out[other] = tuple(value) if isinstance(value, list) else (value,)
    return out
