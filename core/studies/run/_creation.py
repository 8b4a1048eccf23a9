"""A study's creation from its spec: the spec is stored with the study, so a worker needs only
the study's name and the storage URL (:func:`load_study_spec` reads it back)."""

from __future__ import annotations

import optuna
from optuna.storages import BaseStorage

from core.errors import ConfigError
from core.settings import ensure_writable
from core.studies.spec import StudySpec, build_pruner, build_sampler, parse_spec
from core.studies.storage import open_storage

SPEC_ATTR = "spec"
# What a trial's value means: a study keeps these for good. The budget, the sampler, the pruner,
# the seed and the description may change between runs of one study.
DEFINING_KEYS = ("model", "preset", "data", "fixed", "params")


def _changed(old: dict, new: dict) -> list[str]:
    """The defining entries that differ: top-level keys, or ``params.x`` / ``fixed.x``."""
    changed = []
    for key in DEFINING_KEYS:
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            changed += [f"{key}.{k}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
        elif a != b:
            changed.append(key)
    return changed


def create_study(spec: StudySpec, storage: str | BaseStorage | None = None) -> optuna.Study:
    """Create the study (or reuse one of the same name and model) and store its spec with it.

    A study that holds trials keeps its definition (:data:`DEFINING_KEYS`): a spec that changes
    one is refused with the entries that changed, so old trials never sit under a spec they did
    not use.

    The spec's ``[[enqueue]]`` points are queued once: a point already queued or tried (by an
    earlier run of the same file) is not queued again."""
    ensure_writable("create a study")
    s = open_storage(storage)
    study = optuna.create_study(
        study_name=spec.name,
        storage=s,
        direction="maximize",
        load_if_exists=True,
        sampler=build_sampler(spec),
        pruner=build_pruner(spec),
    )
    old = study.user_attrs.get(SPEC_ATTR)
    if old and old.get("model") != spec.model:
        raise ConfigError(
            f"Study '{spec.name}' already exists for {old.get('model')} models; "
            f"give the {spec.model} study another name."
        )
    if study.user_attrs.get("kind") == "playground":
        raise ConfigError(f"'{spec.name}' is the playground study; give the study another name.")
    changed = _changed(old, spec.to_dict()) if old else []
    if changed and study.trials:
        raise ConfigError(
            f"Study '{spec.name}' already holds trials of another definition ({', '.join(changed)} "
            "changed); give the changed study another name."
        )
    study.set_user_attr(SPEC_ATTR, spec.to_dict())
    study.set_user_attr("kind", "search")
    for point in spec.enqueue:
        study.enqueue_trial(point, skip_if_exists=True)
    return study


def load_study_spec(study: optuna.Study) -> StudySpec:
    """The spec stored with a study by :func:`create_study`."""
    raw = study.user_attrs.get(SPEC_ATTR)
    if not raw:
        raise ConfigError(
            f"Study '{study.study_name}' has no stored spec; create it with 'study run' first."
        )
    return parse_spec(raw)
