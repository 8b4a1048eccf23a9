"""Replay: answer a run from the store when the same run is already there.

Training is deterministic for a given dataset, fully resolved config (seed included) and number
of torch threads (``tests/core/training/test_trainer.py`` proves it). So a run whose :func:`replay_key`
equals that of a stored finished run would produce the same numbers, and the Playground answers
it from the store (:func:`find_replay`) in well under a second instead of training again. Every
trial that trained stores its key (user attribute ``replay_key``), Playground runs and study
trials alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial, TrialState

from core.data import content_key
from core.knobs import get_knob, get_knobs
from core.results import RunResult
from core.studies._optuna_compat import study_id_of, trials_with_user_attr
from core.studies.storage import open_storage, rdb_of

if TYPE_CHECKING:
    from core.training import RunConfig


REPLAY_ATTR = "replay_key"
# Bumped whenever training changes what a given config produces (sampler, evaluation, model
# code), so that runs stored by an older engine are never replayed as if they were current.
# A change that only relabels token ids (another machine's tokenizer numbering tied tokens in
# another order) does not bump it: a stored run already differed from a fresh run elsewhere by
# such a relabelling.
ENGINE_VERSION = 2
# Knobs added after runs were stored, each with the value at which training does exactly what it
# did before the knob existed (the knob's ``before``, declared in core/knobs.py). At that value (or
# where the knob does not apply) a knob is left out of the key, so the stored runs, whose configs
# lack it, keep their keys and still replay.
ADDED_LATER: dict[str, Any] = {k.name: k.before for k in get_knobs() if k.added_later}


def replay_key(run: RunConfig, data_fingerprint: str, threads: int) -> str:
    """What decides a run's numbers: the data's content hash, the fully resolved config (seed
    included; the data's location is not, its content is), the torch thread count (it changes
    the order of floating-point sums) and :data:`ENGINE_VERSION`; the :data:`ADDED_LATER` knobs
    only away from their old behaviour, for word2vec runs the word2vec settings and for runs
    with a teacher the baseline's settings. Computed
    before training. Not in it: the unlabelled reviews beside the data (word2vec's corpus and
    the teacher's), read only when vectors or targets are computed."""
    config = run.to_dict()
    # locations are not in the key, contents are (a teacher model's below)
    config["data"] = {k: v for k, v in config["data"].items() if k not in ("data", "teacher_model")}
    for derived in ("vocab_size", "pad_token_id", "id2label", "label2id", "num_labels"):
        config["model"].pop(derived, None)  # set from the data by train_run
    flat = run.to_flat()
    for name, as_before in ADDED_LATER.items():
        knob = get_knob(name)
        if flat.get(name, as_before) == as_before or not knob.applies(flat):
            config[knob.scope].pop(name, None)
    blob: dict[str, Any] = {
        "data": data_fingerprint,
        "config": config,
        "threads": threads,
        "v": ENGINE_VERSION,
    }
    if flat.get("embedding_init", "random") == "word2vec":
        from core.data import Word2VecSettings

        blob["word2vec"] = Word2VecSettings().as_dict()  # what "word2vec" means today
    if flat.get("teacher", "none") == "baseline":
        from core.data import BaselineSettings

        blob["teacher"] = BaselineSettings().key()  # what the "baseline" teacher is today
        if run.data.teacher_model:
            from core.results import model_fingerprint

            blob["teacher_model"] = model_fingerprint(run.data.teacher_model)
    return content_key(blob, length=32)


@dataclass(frozen=True)
class StoredRunTrial:
    """A finished run found in the store: its study, trial number and result."""

    study: str
    number: int
    result: RunResult


def find_replay(storage: str | BaseStorage | None, key: str) -> StoredRunTrial | None:
    """The newest finished run (any study) with this :func:`replay_key` and a test score."""
    s = open_storage(storage)
    rdb = rdb_of(s)
    if rdb is not None:
        for trial_id, study_id in trials_with_user_attr(rdb, REPLAY_ATTR, key):
            found = _as_stored_run(s.get_study_name_from_id(study_id), s.get_trial(trial_id))
            if found is not None:
                return found
        return None
    for summary in s.get_all_studies():  # other storages: scan (small ones in practice)
        trials = s.get_all_trials(
            study_id_of(summary), deepcopy=False, states=(TrialState.COMPLETE,)
        )
        for trial in reversed(trials):
            if trial.user_attrs.get(REPLAY_ATTR) == key:
                found = _as_stored_run(summary.study_name, trial)
                if found is not None:
                    return found
    return None


def _as_stored_run(study: str, trial: FrozenTrial) -> StoredRunTrial | None:
    result = stored_result(trial)
    if result is None or result.test_accuracy is None:
        return None
    return StoredRunTrial(study, trial.number, result)


def stored_result(trial: FrozenTrial) -> RunResult | None:
    """The run a finished trial stored (its curve from the intermediate values when it kept no
    history): one scored on test, or one that diverged. None when it stored none: a failure or
    a cancel before the run ended keeps only its status and reason."""
    attrs = trial.user_attrs
    scored = attrs.get("test_accuracy") is not None or attrs.get("status") == "diverged"
    if not attrs.get("config") or not scored:
        return None
    return RunResult.from_dict(attrs | {"history": attrs.get("history") or _curve(trial)})


def _curve(trial: FrozenTrial) -> list[dict[str, float]]:
    return [{"step": s, "val_accuracy": v} for s, v in sorted(trial.intermediate_values.items())]
