"""Study definitions as data: a small TOML file per study, validated against the config's knobs.

A study file names the model family, the data, the sampler and pruner, the budget and, per knob,
a search range (``low``/``high``, optional ``log`` or ``step``) or a list of ``choices``. Every
other knob keeps its preset value or the one given under ``[fixed]``. Parameter names are the
config's own field names (:func:`core.knobs._fields.get_knobs`)::

    name = "cnn"
    model = "cnn"
    n_trials = 60                   # and/or timeout_s = 3600, budget = "20000 steps" or "1h"
    seed = 0
    sampler = "tpe"                 # or a table: [sampler] name = "tpe", n_startup_trials = 10
    pruner = "none"                 # the default; or "median", "successive_halving", "hyperband"

    [fixed]
    eval_steps = 100

    [params]
    learning_rate = { low = 1e-4, high = 1e-2, log = true }
    batch_size = { choices = [32, 64, 128] }
    nonlinearity = { choices = ["tanh", "relu"], when = { cell = "rnn" } }

    [[enqueue]]                     # optional: points to try first, e.g. an earlier study's best
    learning_rate = 3e-3
    batch_size = 64

:func:`load_spec` raises :class:`~core.errors.ConfigError` with one sentence for the first
mistake it finds and returns a :class:`~core.studies.spec._parse.StudySpec`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import tomllib
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from core.knobs import FAMILIES, PRESETS, DataConfig, Knob, get_knobs, resolve
from core.studies.spec._budget import parse_budget
from core.studies.spec._names import check_study_name
from core.studies.spec._params import ParamSpec, is_int, is_number, parse_param
from core.studies.spec._samplers import build_pruner, build_sampler
from core.studies.spec._study_spec import PRUNERS, SAMPLERS, StudySpec

_TOP_KEYS = {
    "name",
    "model",
    "preset",
    "description",
    "n_trials",
    "timeout_s",
    "budget",
    "seed",
    "sampler",
    "pruner",
    "score_test",
    "data",
    "fixed",
    "params",
    "enqueue",
}
# The [data] table: where the reviews come from; the data knobs (vocab_size, val_fraction,
# val_split) are set in [fixed] or searched in [params], like every knob.
_DATA_KEYS = {f.name for f in dataclasses.fields(DataConfig)} - {
    k.name for k in get_knobs() if k.scope == "data"
}


def load_spec(path: str | Path) -> StudySpec:
    """Read and validate a study TOML file."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(
            f"{path} is a folder; name one study file in it, such as {path}/cnn.toml."
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"Study file {path} does not exist.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"Study file {path} is not UTF-8 text.") from None
    except OSError as err:
        raise ConfigError(f"Cannot read the study file {path}: {err.strerror}.") from None
    return parse_spec_text(text, f"Study file {path}")


def parse_spec_text(text: str, source: str = "The study") -> StudySpec:
    """Validate a study definition given as TOML text (e.g. typed into the app)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source} is not valid TOML: {err}.") from None
    return parse_spec(raw)


def parse_spec(raw: dict[str, Any]) -> StudySpec:
    """Validate a study definition given as a dict (the parsed TOML) and return it."""
    raw = {k: v for k, v in raw.items() if v is not None}
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise ConfigError(
            f"Unknown study setting '{unknown[0]}'; expected one of {', '.join(sorted(_TOP_KEYS))}."
        )
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError('The study needs a name (name = "...").')
    check_study_name(name)
    model = raw.get("model")
    if model not in FAMILIES:
        raise ConfigError(f"model must be one of {', '.join(FAMILIES)}, got '{model}'.")
    preset = raw.get("preset", "default")
    if preset not in PRESETS[model]:
        raise ConfigError(f"preset must be one of {', '.join(PRESETS[model])}, got '{preset}'.")

    n_trials = raw.get("n_trials")
    if n_trials is not None and (not is_int(n_trials) or n_trials <= 0):
        raise ConfigError(f"n_trials must be a positive integer, got {n_trials}.")
    timeout_s = raw.get("timeout_s")
    if timeout_s is not None and (not is_number(timeout_s) or timeout_s <= 0):
        raise ConfigError(f"timeout_s must be a positive number of seconds, got {timeout_s}.")
    budget = None if raw.get("budget") is None else parse_budget(raw["budget"])
    if n_trials is None and timeout_s is None and budget is None:
        raise ConfigError("Give the study a budget: n_trials, timeout_s or budget, or several.")
    seed = raw.get("seed", 0)
    if not is_int(seed) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed}.")
    score_test = raw.get("score_test", True)
    if not isinstance(score_test, bool):
        raise ConfigError(f"score_test must be true or false, got {score_test}.")

    sampler, sampler_options = _named_table(raw.get("sampler", "tpe"), "sampler", SAMPLERS)
    pruner, pruner_options = _named_table(raw.get("pruner", "none"), "pruner", PRUNERS)

    data = raw.get("data", {})
    if not isinstance(data, dict):
        raise ConfigError("[data] must be a table of data settings.")
    for key in data:
        if key not in _DATA_KEYS:
            raise ConfigError(
                f"Unknown data setting '{key}'; expected one of {', '.join(sorted(_DATA_KEYS))}."
            )

    knobs = {k.name: k for k in get_knobs(model)}
    all_knobs = {k.name: k for k in get_knobs()}
    fixed = raw.get("fixed", {})
    if not isinstance(fixed, dict):
        raise ConfigError("[fixed] must be a table of knob = value.")
    for key in fixed:
        _check_knob_name(key, model, knobs, all_knobs, "[fixed]")

    raw_params = raw.get("params", {})
    if not isinstance(raw_params, dict) or not raw_params:
        raise ConfigError("The study needs at least one parameter to search under [params].")
    params: dict[str, ParamSpec] = {}
    for pname, entry in raw_params.items():
        _check_knob_name(pname, model, knobs, all_knobs, "[params]")
        if pname in fixed:
            raise ConfigError(f"{pname} is both fixed and searched; keep it in one place.")
        params[pname] = parse_param(pname, entry, knobs[pname], params, fixed)

    spec = StudySpec(
        name=name.strip(),
        model=model,
        params=params,
        preset=preset,
        description=str(raw.get("description", "")),
        n_trials=n_trials,
        timeout_s=timeout_s,
        budget=budget,
        seed=seed,
        sampler=sampler,
        sampler_options=sampler_options,
        pruner=pruner,
        pruner_options=pruner_options,
        score_test=score_test,
        data=dict(data),
        fixed=dict(fixed),
        enqueue=_parse_enqueue(raw.get("enqueue", []), params),
    )
    _check_sampler_fits(spec)
    _check_endpoints(spec)
    build_sampler(spec)  # the sampler's and pruner's options: fail now, not in a worker
    build_pruner(spec)
    return spec


def _parse_enqueue(raw: Any, params: dict[str, ParamSpec]) -> list[dict[str, Any]]:
    """``[[enqueue]]`` tables: points the study tries before its sampler proposes any. A point
    names searched parameters only (the others are sampled), each within its range or choices."""
    if not isinstance(raw, list) or not all(isinstance(p, dict) for p in raw):
        raise ConfigError("enqueue must be a list of tables ([[enqueue]] with knob = value).")
    points = []
    for i, point in enumerate(raw, 1):
        where = f"enqueue point {i}"
        if not point:
            raise ConfigError(f"{where} is empty; give it the searched values to try.")
        out = {}
        for name, value in point.items():
            p = params.get(name)
            if p is None:
                raise ConfigError(
                    f"{where}: '{name}' is not searched under [params]; fix it under [fixed]."
                )
            out[name] = _enqueued_value(f"{where}: {name}", p, value)
        points.append(out)
    return points


def _enqueued_value(where: str, p: ParamSpec, value: Any) -> Any:
    if p.choices is not None:
        if value not in p.choices or isinstance(value, bool) != isinstance(p.choices[0], bool):
            raise ConfigError(
                f"{where} = {value!r} is not one of {', '.join(map(repr, p.choices))}."
            )
        return value
    if not is_number(value):
        raise ConfigError(f"{where} must be a number, got {value!r}.")
    whole = isinstance(p.low, int)
    if whole and not float(value).is_integer():
        raise ConfigError(f"{where} must be a whole number, got {value}.")
    if not p.low <= value <= p.high:
        raise ConfigError(f"{where} = {value} is outside its range {p.low} to {p.high}.")
    if p.step is not None:
        k = (value - p.low) / p.step
        if abs(k - round(k)) > 1e-9:
            raise ConfigError(
                f"{where} = {value} is not on the range's steps of {p.step} from {p.low}."
            )
    return int(value) if whole else float(value)


def _named_table(value: Any, what: str, allowed: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
    if isinstance(value, str):
        name, options = value, {}
    elif isinstance(value, dict):
        options = dict(value)
        name = options.pop("name", None)
    else:
        raise ConfigError(f"{what} must be a name or a table with a name, got {value!r}.")
    if name not in allowed:
        raise ConfigError(f"{what} must be one of {', '.join(allowed)}, got '{name}'.")
    return name, options


def _check_knob_name(
    name: str, model: str, knobs: dict[str, Knob], all_knobs: dict[str, Knob], where: str
) -> None:
    if name in knobs:
        return
    if name in all_knobs:
        raise ConfigError(
            f"{name} in {where} applies to {all_knobs[name].family} models only, not {model}."
        )
    raise ConfigError(f"Unknown hyperparameter '{name}' in {where}.")


def _check_sampler_fits(spec: StudySpec) -> None:
    if spec.sampler == "grid":
        for p in spec.params.values():
            if p.choices is None and p.step is None and not (isinstance(p.low, int)):
                raise ConfigError(
                    f"The grid sampler needs choices or a step for every parameter; "
                    f"{p.name} has neither."
                )
    if spec.sampler == "cmaes":
        _require("cmaes", "the cmaes sampler")
    if spec.sampler == "gp":
        _require("scipy", "the gp sampler")


def _require(module: str, what: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"{what} needs the '{module}' package (pip install {module}).")


def _check_endpoints(spec: StudySpec) -> None:
    """Build a config at each range end and each choice, so impossible values fail now."""
    base = dict(spec.fixed)
    try:
        resolve(spec.model, spec.preset, base, spec.data_config())
    except ConfigError as err:
        raise ConfigError(f"In [fixed]: {err}") from None
    for p in spec.params.values():
        values = p.choices if p.choices is not None else (p.low, p.high)
        for v in values:
            try:
                resolve(spec.model, spec.preset, base | {p.name: v}, spec.data_config())
            except ConfigError as err:
                raise ConfigError(f"params.{p.name} = {v!r} is not allowed: {err}") from None
