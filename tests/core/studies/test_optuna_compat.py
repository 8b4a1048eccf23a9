"""What each reach into Optuna's private API relies on: an Optuna upgrade that changes one of
them fails here first, not somewhere in a page."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from optuna.storages import InMemoryStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend, JournalStorage
from optuna.trial import TrialState

from core.studies._optuna_compat import (
    TrialsView,
    journal_file_of,
    rdb_models,
    study_id_of,
    study_storage,
    trial_id_of,
    trials_with_user_attr,
    validate_trial,
)


@pytest.fixture
def rdb(tmp_path: Path) -> RDBStorage:
    return RDBStorage(f"sqlite:///{tmp_path / 's.db'}")


def _study_with_trials(storage, name: str, tags: list[str]) -> optuna.Study:
    study = optuna.create_study(study_name=name, storage=storage)
    for i, tag in enumerate(tags):
        t = study.ask()
        t.set_user_attr("tag", tag)
        study.tell(t, float(i))
    return study


def test_ids_and_storage_of_a_study_and_its_trials(rdb: RDBStorage) -> None:
    study = _study_with_trials(rdb, "a", ["x", "y"])
    sid = rdb.get_study_id_from_name("a")
    assert study_id_of(study) == sid
    summary = optuna.get_all_study_summaries(rdb)[0]
    assert study_id_of(summary) == sid
    inner = study_storage(study)  # Optuna wraps an RDBStorage in a cache: same study behind it
    assert inner.get_study_id_from_name("a") == sid
    assert len(optuna.load_study(study_name="a", storage=inner).trials) == 2
    for t in study.trials:
        assert trial_id_of(t) == rdb.get_trial_id_from_study_id_trial_number(sid, t.number)


def test_validate_trial_refuses_an_inconsistent_trial() -> None:
    ok = optuna.trial.create_trial(value=1.0, params={}, distributions={})
    validate_trial(ok)
    broken = optuna.trial.create_trial(value=1.0, params={}, distributions={})
    broken.state = TrialState.RUNNING  # a running trial with a value and an end time
    with pytest.raises(ValueError):
        validate_trial(broken)


def test_trials_with_user_attr_finds_them_across_studies_newest_first(rdb: RDBStorage) -> None:
    _study_with_trials(rdb, "a", ["x", "y"])
    _study_with_trials(rdb, "b", ["y", "z"])
    found = trials_with_user_attr(rdb, "tag", "y")
    assert len(found) == 2
    assert found == sorted(found, reverse=True)
    studies = {rdb.get_study_id_from_name(n): n for n in ("a", "b")}
    assert {studies[sid] for _, sid in found} == {"a", "b"}
    assert trials_with_user_attr(rdb, "tag", "nothing") == []
    assert trials_with_user_attr(rdb, "tag", "y", states=(TrialState.FAIL,)) == []


def test_rdb_models_are_the_tables_the_sql_readers_use() -> None:
    models = rdb_models()
    for name in ("TrialModel", "TrialUserAttributeModel", "TrialValueModel"):
        assert hasattr(models, name)
    assert hasattr(models.TrialValueModel, "stored_repr_to_value")
    assert hasattr(models.TrialIntermediateValueModel, "stored_repr_to_intermediate_value")


def test_journal_file_of(tmp_path: Path) -> None:
    path = tmp_path / "j.log"
    assert journal_file_of(JournalStorage(JournalFileBackend(str(path)))) == str(path)
    assert journal_file_of(InMemoryStorage()) is None


def test_a_trials_view_shows_samplers_transformed_trials_and_passes_the_rest_through() -> None:
    study = optuna.create_study(direction="maximize")
    for x in (0.1, 0.2):
        study.enqueue_trial({"x": x})
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)

    def prune_all(trials: list) -> list:
        out = []
        for t in trials:
            t = copy.copy(t)
            t.state, t.values = TrialState.PRUNED, None
            out.append(t)
        return out

    view = TrialsView(study, prune_all)
    assert view._get_trials(states=(TrialState.COMPLETE,)) == []  # filtered after the transform
    assert [t.state for t in view.get_trials()] == [TrialState.PRUNED] * 2
    assert view._study_id == study._study_id and view.directions == study.directions
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2  # the study is untouched
    # the call TPE makes: no copies, the study's trial cache
    assert len(view._get_trials(deepcopy=False, states=(TrialState.COMPLETE,), use_cache=True)) == 0


@pytest.fixture
def optuna_failure_logger() -> Iterator[logging.Logger]:
    """The logger Optuna warns of failed trials on, without the filters a study worker run
    earlier in this process may have added; restored after."""
    from core.studies._optuna_compat import FAILED_TRIAL_LOGGER

    logger = logging.getLogger(FAILED_TRIAL_LOGGER)
    installed = list(logger.filters)
    for f in installed:
        logger.removeFilter(f)
    yield logger
    for f in list(logger.filters):
        logger.removeFilter(f)
    for f in installed:
        logger.addFilter(f)


def test_optuna_warns_of_a_failed_trial_where_failed_trials_at_debug_listens(
    caplog: pytest.LogCaptureFixture, optuna_failure_logger: logging.Logger
) -> None:
    """Optuna 5 warns "Trial N failed ..." from FAILED_TRIAL_LOGGER: with the filter those lines
    are debug records, other warnings stay warnings."""
    from core.studies._optuna_compat import failed_trials_at_debug

    name = optuna_failure_logger.name
    study = optuna.create_study()
    with caplog.at_level(logging.DEBUG, logger="optuna"):
        study.optimize(lambda t: float("nan"), n_trials=1)
    warned = [r for r in caplog.records if r.name == name]
    assert warned and all(r.levelno == logging.WARNING for r in warned), caplog.records
    assert all(r.getMessage().startswith("Trial 0 failed ") for r in warned)
    caplog.clear()
    failed_trials_at_debug()
    with caplog.at_level(logging.DEBUG, logger="optuna"):
        study.optimize(lambda t: float("nan"), n_trials=1)
        optuna_failure_logger.warning("another warning")
    levels = [(r.levelno, r.getMessage()[:8]) for r in caplog.records if r.name == name]
    assert (logging.WARNING, "another ") in levels
    assert [lv for lv, text in levels if text.startswith("Trial")] == [logging.DEBUG] * 2
