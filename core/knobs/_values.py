"""A run's knob values: coerced from text, resolved from a family, a preset and overrides, and
checked, with one sentence per mistake; and the flat values of a stored run's config.

Torch-free like :mod:`core.knobs._fields`, whose knob declarations these functions read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import ConfigError
from core.knobs._fields import FAMILIES, FAMILY_OF_MODEL_TYPE, DataConfig, Knob, get_knob, get_knobs
from core.knobs._presets import PRESETS


def coerce(k: Knob, value: Any) -> Any:
    """Turn a string or numpy value into the knob's type, with a clear error."""
    try:
        if k.type is bool:
            if isinstance(value, str):
                if value.lower() in ("1", "true", "yes", "on"):
                    return True
                if value.lower() in ("0", "false", "no", "off"):
                    return False
                raise ValueError
            return bool(value)
        if k.type is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if k.type is float:
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        kind = {int: "a whole number", float: "a number", bool: "true or false"}.get(
            k.type, f"a {k.type.__name__}"
        )
        raise ConfigError(f"{k.name} must be {kind}, got '{value}'.") from None


def resolve(
    family: str = "cnn",
    preset: str = "default",
    overrides: dict[str, Any] | None = None,
    data: DataConfig | None = None,
) -> dict[str, Any]:
    """A run's flat knob values (``model`` plus the family's knobs), from a family, a preset and
    overrides: coerced and checked (:func:`check_values`). The same values as
    ``core.training._config.build_run_config(...).to_flat()``, without importing torch."""
    if family not in FAMILIES:
        raise ConfigError(f"model must be one of {', '.join(FAMILIES)}, got '{family}'.")
    if preset not in PRESETS[family]:
        raise ConfigError(f"preset must be one of {', '.join(PRESETS[family])}, got '{preset}'.")
    data = data if data is not None else DataConfig()
    values = {
        k.name: getattr(data, k.name) if k.scope == "data" else k.default for k in get_knobs(family)
    }
    given = dict(PRESETS[family][preset]) | dict(overrides or {})
    given.pop("model", None)
    for name, value in given.items():
        k = get_knob(name)
        value = coerce(k, value)
        if k.family in (None, family):  # another family's knob is checked, then ignored
            values[name] = value
    check_values(family, values, max_tokens=data.max_tokens)
    return {"model": family} | values


def check_values(family: str, values: dict[str, Any], max_tokens: int) -> None:
    """Raise :class:`ConfigError` with one sentence for the first impossible value: every knob
    against its own metadata (type, choices, range: the sliders' and the CLI's range too), then
    the rules that tie knobs together."""
    for k in get_knobs(family):
        k.check(values[k.name])
    if values["max_length"] > max_tokens:
        raise ConfigError(
            f"max_length ({values['max_length']}) must not exceed the tokenisation cap "
            f"max_tokens ({max_tokens})."
        )
    if family == "cnn":
        widest = values["filter_size"] + values["num_filter_sizes"] - 1
        if widest > values["max_length"]:
            raise ConfigError(
                f"The widest filter ({widest} tokens) must not exceed max_length "
                f"({values['max_length']})."
            )


def family_of(config: Any) -> str:
    """The family of a model config, or of a ``model_type`` string (as in ``config.json``)."""
    model_type = config if isinstance(config, str) else config.model_type
    return FAMILY_OF_MODEL_TYPE[model_type]


def flat_of_config(config: dict[str, Any]) -> dict[str, Any]:
    """A stored run's flat knob values from its resolved config (``RunConfig.to_dict()``, as kept
    in ``result.json`` and in trials), without building the torch-side config classes."""
    family = family_of(config["model"]["model_type"])
    values = {k.name: config[k.scope].get(k.name, k.default) for k in get_knobs(family)}
    return {"model": family} | values


def describe_validation(values: Mapping[str, Any]) -> str:
    """How a run's validation rows were held out, in words, from its knob values (``flat``):
    "a random 10 % of each class" or "the last 10 % of each class (tail)". A run stored before
    ``val_split`` existed held out random rows."""
    split = values.get("val_split", get_knob("val_split").before)
    fraction = values.get("val_fraction", get_knob("val_fraction").default)
    share = f"{100 * float(fraction):g} %"
    if split == "tail":
        return f"the last {share} of each class (tail)"
    return f"a random {share} of each class"
