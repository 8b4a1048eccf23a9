"""What the app reads from the storage, with no Streamlit: study list, trial tables, snapshots,
best trials and failure reasons (the cost estimate before a study starts is in ``cost``).

Everything here stays fast on studies of thousands of trials: :func:`list_studies` aggregates in
SQL on RDB storages instead of loading trials, and :func:`load_snapshot` reads a study once into
memory so that every figure (``core.figures._study``) reuses it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import optuna
import pandas as pd
from optuna.storages import BaseStorage, RDBStorage
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState
from sqlalchemy import text

from core.studies._optuna_compat import study_id_of
from core.studies.storage._backend import open_storage, rdb_of
from core.studies.storage._files import StorageError
from core.studies.storage._snapshots import snapshot_of
from core.studies.storage._stop import STOP_ATTR
from core.studies.storage._trial_sql import read_trials_sql, utc_to_local

STATES = ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")
# A study's one-line description (a study user attribute); else its spec's description.
DESCRIPTION_ATTR = "description"
SUMMARY_COLUMNS = [
    "study",
    "kind",
    "model",
    "description",
    "trials",
    *[s.lower() for s in STATES],
    "best_value",
    "last_change",
    "stop_requested",
]


def list_studies(storage: str | BaseStorage | None = None) -> pd.DataFrame:
    """One row per study: trial counts by state, best value, last change, pending stop."""
    s = open_storage(storage)
    studies = s.get_all_studies()
    rdb = rdb_of(s)
    agg = _aggregate_sql(rdb) if rdb is not None else None
    rows = []
    for fs in studies:
        if agg is not None:
            counts, best_max, best_min, last = agg.get(study_id_of(fs), ({}, None, None, None))
            best = best_max if fs.direction == StudyDirection.MAXIMIZE else best_min
        else:
            counts, best, last = _aggregate_trials(
                s.get_all_trials(study_id_of(fs), deepcopy=False), fs.direction
            )
        rows.append(
            {
                "study": fs.study_name,
                "kind": fs.user_attrs.get("kind", "search"),
                "model": (fs.user_attrs.get("spec") or {}).get("model")
                or fs.user_attrs.get("model"),
                "description": fs.user_attrs.get(DESCRIPTION_ATTR)
                or (fs.user_attrs.get("spec") or {}).get("description")
                or "",
                "trials": sum(counts.values()),
                **{st.lower(): counts.get(st, 0) for st in STATES},
                "best_value": best,
                "last_change": last,
                "stop_requested": bool(fs.user_attrs.get(STOP_ATTR)),
            }
        )
    frame = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    return frame.sort_values("last_change", ascending=False, na_position="last", ignore_index=True)


def _aggregate_sql(s: RDBStorage) -> dict[int, tuple[dict[str, int], Any, Any, Any]]:
    out: dict[int, tuple[dict[str, int], Any, Any, Any]] = {}
    with s.engine.connect() as conn:
        for study_id, state, n, last_start, last_done in conn.execute(
            text(
                "SELECT study_id, state, COUNT(*), MAX(datetime_start), MAX(datetime_complete) "
                "FROM trials GROUP BY study_id, state"
            )
        ):
            counts, bmax, bmin, last = out.setdefault(study_id, ({}, None, None, None))
            counts[str(state)] = n
            stamps = [utc_to_local(x) for x in (last_start, last_done, last) if x is not None]
            out[study_id] = (counts, bmax, bmin, max(stamps) if stamps else None)
        for study_id, vmax, vmin in conn.execute(
            text(
                "SELECT t.study_id, MAX(v.value), MIN(v.value) FROM trials t "
                "JOIN trial_values v ON v.trial_id = t.trial_id "
                "WHERE t.state = 'COMPLETE' AND v.objective = 0 GROUP BY t.study_id"
            )
        ):
            counts, _, _, last = out[study_id]
            out[study_id] = (counts, vmax, vmin, last)
    return out


def _aggregate_trials(
    trials: list[FrozenTrial], direction: StudyDirection
) -> tuple[dict[str, int], float | None, dt.datetime | None]:
    counts: dict[str, int] = {}
    values, stamps = [], []
    for t in trials:
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
        if t.state == TrialState.COMPLETE and t.value is not None:
            values.append(t.value)
        stamps += [d for d in (t.datetime_start, t.datetime_complete) if d is not None]
    pick = max if direction == StudyDirection.MAXIMIZE else min
    return counts, (pick(values) if values else None), (max(stamps) if stamps else None)


def load_snapshot(study_name: str, storage: str | BaseStorage | None = None) -> optuna.Study:
    """An in-memory, read-only copy of a study (trials, user attrs): read the storage once, plot
    many times. A page that rereads a running study uses ``snapshots.SnapshotReader`` instead."""
    s = open_storage(storage)
    try:
        source = optuna.load_study(study_name=study_name, storage=s)
    except KeyError:
        raise StorageError(f"There is no study named '{study_name}' in this storage.") from None
    rdb = rdb_of(s)
    if rdb is not None:
        trials = read_trials_sql(rdb, study_id_of(source))
    else:  # copies: the snapshot shares its trials, and this storage may change its own
        trials = source.get_trials(deepcopy=True)
    return snapshot_of(trials, source.directions, study_name, source.user_attrs)


def load_trials(
    study: str | optuna.Study, storage: str | BaseStorage | None = None
) -> pd.DataFrame:
    """A study's trials as a table: one row per trial, params as ``params_<name>`` columns."""
    if isinstance(study, str):
        study = load_snapshot(study, storage)
    return trials_frame(study.get_trials(deepcopy=False))


# The columns of a trials table before the parameters (``params_<name>``, one per knob).
TRIAL_COLUMNS = [
    "number",
    "state",
    "value",
    "status",
    "test_accuracy",
    "params",
    "wall_s",
    "train_samples_per_s",
    "steps",
    "best_step",
    "datetime_start",
    "datetime_complete",
    "duration_s",
    "message",
    "data_fingerprint",
    "dataset",
    "nickname",
    "exercise",
]


def trials_frame(trials: list[FrozenTrial]) -> pd.DataFrame:
    """The table :func:`load_trials` returns, from a list of trials."""
    rows = []
    for t in trials:
        u = t.user_attrs
        start, end = t.datetime_start, t.datetime_complete
        row: dict[str, Any] = {
            "number": t.number,
            "state": t.state.name,
            "value": t.value,
            "status": u.get("status", t.state.name.lower()),
            "test_accuracy": u.get("test_accuracy"),
            "params": u.get("params"),
            "wall_s": u.get("wall_s"),
            "train_samples_per_s": u.get("train_samples_per_s"),
            "steps": u.get("steps"),
            "best_step": u.get("best_step"),
            "datetime_start": start,
            "datetime_complete": end,
            "duration_s": (end - start).total_seconds() if start and end else None,
            "message": u.get("message") or "",
            "data_fingerprint": u.get("data_fingerprint"),
            "dataset": u.get("dataset"),
            "nickname": u.get("nickname"),  # a Playground run: who ran it (the class view)
            "exercise": u.get("exercise"),  # ... and through which exercise link
        }
        for name, value in sorted((u.get("flat") or t.params).items()):
            row[f"params_{name}"] = value
        rows.append(row)
    if not rows:  # a study not run yet: the same columns, no rows
        return pd.DataFrame(columns=TRIAL_COLUMNS)
    return pd.DataFrame(rows)


def get_best_trial(study_name: str, storage: str | BaseStorage | None = None) -> FrozenTrial | None:
    """The trial a study chose on validation (its best value), or None before any completed."""
    s = open_storage(storage)
    try:
        return s.get_best_trial(s.get_study_id_from_name(study_name))
    except (KeyError, ValueError):
        return None


def main_study(studies: pd.DataFrame) -> str | None:
    """The study a page opens on when nothing asks for one: the search study with the best
    value (playground runs last), else the newest study."""
    if studies.empty:
        return None
    ranked = studies.assign(
        _playground=studies["kind"] == "playground", _best=studies["best_value"].fillna(-1.0)
    ).sort_values(["_playground", "_best"], ascending=[True, False], kind="stable")
    return str(ranked["study"].iloc[0])


def datasets_of(trials: list[FrozenTrial]) -> dict[str, str]:
    """The datasets ``trials`` trained on: content fingerprint -> display name (the trial's
    ``dataset`` attribute; a trial stored before names were kept shows its fingerprint)."""
    found: dict[str, str] = {}
    for t in trials:
        fp = t.user_attrs.get("data_fingerprint")
        if fp and (fp not in found or found[fp] == fp):
            found[fp] = t.user_attrs.get("dataset") or fp
    return found


def describe_failures(trials: list[FrozenTrial], limit: int = 3) -> list[str]:
    """One line per failed trial, newest first (at most ``limit``): its number and the reason
    the objective stored (user attribute ``message``), e.g. the data that could not be read."""
    failed = [t for t in trials if t.state == TrialState.FAIL]
    lines = []
    for t in sorted(failed, key=lambda t: t.number, reverse=True)[:limit]:
        why = str(t.user_attrs.get("message") or "no reason was recorded").splitlines()[0]
        lines.append(f"Trial #{t.number} failed: {why[:300]}")
    return lines


def trials_on_data(trials: pd.DataFrame, fingerprint: str) -> pd.DataFrame:
    """The rows of a trials table (:func:`load_trials`, with a ``data_fingerprint`` column) that
    trained on the data and validation split ``fingerprint`` names: accuracies measured on other
    data or another split are not comparable, so a page never mixes them."""
    return trials[trials["data_fingerprint"] == fingerprint]


# What :func:`completed_runs` returns, one row per completed trial of the storage.
RUN_COLUMNS = [
    "study",
    "number",
    "value",
    "test_accuracy",
    "dataset",
    "val_split",
    "val_fraction",
    "test_size",
]


def completed_runs(storage: str | BaseStorage | None = None) -> pd.DataFrame:
    """Every completed trial of every study, with what decides whether two of them compare: the
    dataset it trained on (its name), how its validation rows were held out (``val_split``,
    ``val_fraction``: None when the trial does not record them) and its test set's size. On an
    RDB storage one query reads just those, however many trials there are."""
    s = open_storage(storage)
    rdb = rdb_of(s)
    if rdb is not None and rdb.engine.dialect.name in ("sqlite", "postgresql"):
        return _completed_runs_sql(rdb)
    frames = [
        runs_frame(fs.study_name, s.get_all_trials(study_id_of(fs), False, (TrialState.COMPLETE,)))
        for fs in s.get_all_studies()
    ]
    return pd.concat(frames, ignore_index=True) if frames else runs_frame("", [])


def runs_frame(study: str, trials: list[FrozenTrial]) -> pd.DataFrame:
    """The completed ``trials`` of ``study`` as :func:`completed_runs` rows (a study already in
    memory, or a storage that is not a database)."""
    rows = []
    for t in trials:
        if t.state != TrialState.COMPLETE or not t.values:
            continue
        u, flat = t.user_attrs, t.user_attrs.get("flat") or {}
        rows.append(
            (study, t.number, t.values[0], u.get("test_accuracy"), u.get("dataset"))
            + (flat.get("val_split"), flat.get("val_fraction"), u.get("test_size"))
        )
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def _completed_runs_sql(rdb: RDBStorage) -> pd.DataFrame:
    if rdb.engine.dialect.name == "sqlite":
        split = "json_extract(f.value_json, '$.val_split')"
        fraction = "json_extract(f.value_json, '$.val_fraction')"
    else:
        split = "CAST(f.value_json AS json) ->> 'val_split'"
        fraction = "CAST(CAST(f.value_json AS json) ->> 'val_fraction' AS double precision)"

    def attr(key: str) -> str:
        return (
            f"(SELECT a.value_json FROM trial_user_attributes a "
            f"WHERE a.trial_id = t.trial_id AND a.key = '{key}')"
        )

    query = (
        f"SELECT s.study_name, t.number, v.value, {attr('test_accuracy')}, {attr('dataset')}, "
        f"{split}, {fraction}, {attr('test_size')} "
        "FROM trials t JOIN studies s ON s.study_id = t.study_id "
        "LEFT JOIN trial_values v ON v.trial_id = t.trial_id AND v.objective = 0 "
        "LEFT JOIN trial_user_attributes f ON f.trial_id = t.trial_id AND f.key = 'flat' "
        "WHERE t.state = 'COMPLETE'"
    )
    with rdb.engine.connect() as conn:
        rows = [
            (study, number, value, _json(test), _json(dataset), split, fraction, _json(size))
            for study, number, value, test, dataset, split, fraction, size in conn.execute(
                text(query)
            )
        ]
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def _json(value_json: str | None) -> Any:
    return None if value_json is None else json.loads(value_json)
