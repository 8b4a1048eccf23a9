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


def create_study(spec: StudySpec, storage: str | BaseStorage | None = None) -> optuna.Study:
    """Create the study (or reuse one of the same name and model) and store its spec with it.

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
