"""In-memory, read-only copies of studies, and a reader that keeps them up to date cheaply.

A page that shows a running study rereads it every few seconds. Reading 10,000 trials takes
seconds; reading the few that changed takes milliseconds. :class:`SnapshotReader` keeps the last
read of each study and, on an RDB storage (SQLite, PostgreSQL), rereads only:

- trials it has not seen (new trial ids);
- trials that may still change: RUNNING and WAITING ones (their params, intermediate values and
  attributes change without a completion time);
- trials whose state or ``datetime_complete`` differ from the last read.

A finished trial (COMPLETE, PRUNED, FAIL) with the completion time already seen is reused as is:
Optuna refuses to change a finished trial. Other storages are read in full each time. Either way
the trials are the same ``FrozenTrial`` objects a full read gives.

:func:`snapshot_of` wraps a list of trials in a ``Study`` without copying them, so a snapshot of
50,000 trials costs a list, not 50,000 deep copies.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import optuna
from optuna.storages import BaseStorage, InMemoryStorage
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from core.studies._optuna_compat import trial_id_of
from core.studies.storage._backend import open_storage, rdb_of
from core.studies.storage._files import StorageError
from core.studies.storage._read_only import ReadOnlyStorage
from core.studies.storage._trial_sql import count_trials_up_to, read_trial_stamps, read_trials_sql

# States whose trials change in the storage without getting a completion time.
LIVE_STATES = ("RUNNING", "WAITING")
# More live trials than this (a queue of enqueued trials) and a read fetches every stamp instead.
_MAX_LIVE_IDS = 500


class _TrialListStorage(ReadOnlyStorage):
    """A read-only storage of one study whose trials are a fixed list (shared, not copied)."""

    def __init__(self, inner: InMemoryStorage, study_id: int, trials: list[FrozenTrial]) -> None:
        super().__init__(inner)
        self._study_id = study_id
        self._trials = trials
        self._by_id: dict[int, FrozenTrial] | None = None  # built on the first get_trial

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        for t in self._trials:
            if t.number == trial_number:
                return trial_id_of(t)
        raise KeyError(f"No trial with trial number {trial_number} exists in this snapshot.")

    def get_trial(self, trial_id: int) -> FrozenTrial:
        if self._by_id is None:
            self._by_id = {trial_id_of(t): t for t in self._trials}
        try:
            return self._by_id[trial_id]
        except KeyError:
            raise KeyError(f"No trial with trial id {trial_id} exists in this snapshot.") from None

    def get_all_trials(
        self, study_id: int, deepcopy: bool = True, states: Any = None
    ) -> list[FrozenTrial]:
        trials = [t for t in self._trials if states is None or t.state in states]
        return copy.deepcopy(trials) if deepcopy else trials

    def get_n_trials(self, study_id: int, state: Any = None) -> int:
        if state is None:
            return len(self._trials)
        states = (state,) if isinstance(state, TrialState) else tuple(state)
        return sum(t.state in states for t in self._trials)

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        return BaseStorage.get_best_trial(self, study_id)  # Optuna's rule, over the list


def snapshot_of(
    trials: Sequence[FrozenTrial],
    direction: StudyDirection | Sequence[StudyDirection] = StudyDirection.MAXIMIZE,
    name: str = "snapshot",
    user_attrs: dict[str, Any] | None = None,
) -> optuna.Study:
    """A read-only ``Study`` over ``trials`` as they are (numbers and ids kept, nothing copied).

    Every read of ``optuna.Study`` works (``get_trials``, ``best_trial``, the visualisations);
    every write refuses. The trials must not be changed afterwards: they are shared.
    """
    directions = [direction] if isinstance(direction, StudyDirection) else list(direction)
    mem = InMemoryStorage()
    study_id = mem.create_new_study(directions, name)
    for key, value in (user_attrs or {}).items():
        mem.set_study_user_attr(study_id, key, value)
    return optuna.Study(study_name=name, storage=_TrialListStorage(mem, study_id, list(trials)))


def stale_trial_ids(
    stamps: Sequence[tuple[int, str, Any]], seen: dict[int, tuple[str, Any]]
) -> list[int]:
    """Ids of the trials to (re)read: ``stamps`` (``(trial_id, state, datetime_complete)``, as
    :func:`~core.studies.storage._trial_sql.read_trial_stamps` gives) that are new, live (RUNNING, WAITING)
    or differ from ``seen`` (the stamps of the trials kept from the last read)."""
    return [
        tid for tid, state, done in stamps if state in LIVE_STATES or seen.get(tid) != (state, done)
    ]


@dataclass(frozen=True)
class Snapshot:
    """One read of a study: a read-only in-memory ``study``, a ``version`` that changes exactly
    when what was read changes (a cache key), and how many trials this read fetched from the
    storage (``reread``: new, live or changed ones; all of them on a storage without SQL)."""

    study: optuna.Study
    version: str
    reread: int


@dataclass
class _Entry:
    """What the reader keeps of one study: its trials in id order, where each one is, their
    stamps, the ids that may still change, and the last snapshot."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    trials: list[FrozenTrial] = field(default_factory=list)
    index: dict[int, int] = field(default_factory=dict)
    stamps: dict[int, tuple[str, Any]] = field(default_factory=dict)
    live: set[int] = field(default_factory=set)
    snapshot: Snapshot | None = None


class SnapshotReader:
    """Reads studies of one storage, each time fetching only the trials that changed.

    Thread-safe: one reader can serve every session of a server (the Results page caches one per
    storage). It keeps the last ``max_studies`` studies read; what it returns is never changed.
    """

    def __init__(self, storage: str | BaseStorage | None = None, max_studies: int = 8) -> None:
        self.storage = open_storage(storage)
        self._rdb = rdb_of(self.storage)
        self._max_studies = max_studies
        self._lock = threading.Lock()
        self._entries: OrderedDict[int, _Entry] = OrderedDict()

    def read(self, study_name: str) -> Snapshot:
        """The study now: if nothing changed since the last read, the same study and version."""
        s = self.storage
        try:
            study_id = s.get_study_id_from_name(study_name)
        except KeyError:
            raise StorageError(f"There is no study named '{study_name}' in this storage.") from None
        directions = s.get_study_directions(study_id)
        user_attrs = s.get_study_user_attrs(study_id)
        entry = self._entry(study_id)
        with entry.lock:
            if self._rdb is None:  # no SQL: a full read, kept only if it differs
                trials = s.get_all_trials(study_id, deepcopy=True)
                reread, changed = len(trials), entry.snapshot is None or trials != entry.trials
                entry.trials = trials
            else:
                reread, changed = self._update(entry, study_id)
            last = entry.snapshot
            if (
                last is None
                or changed
                or last.study.user_attrs != user_attrs
                or last.study.directions != directions
            ):
                trials = list(entry.trials)  # the snapshot's own list: the entry's one grows
                study = snapshot_of(trials, directions, study_name, user_attrs)
                version = f"{len(trials)}-{uuid.uuid4().hex[:12]}"
                entry.snapshot = Snapshot(study, version, reread)
                return entry.snapshot
            return replace(last, reread=reread)

    def _update(self, entry: _Entry, study_id: int) -> tuple[int, bool]:
        """Bring ``entry`` up to date; return how many trials were read and whether any of them
        differs from the last read."""
        assert self._rdb is not None
        rdb = self._rdb
        if not entry.trials:
            return self._rebuild(entry, study_id, read_trial_stamps(rdb, study_id), first=True)
        last_id = trial_id_of(entry.trials[-1])
        if count_trials_up_to(rdb, study_id, last_id) != len(entry.trials):
            # a trial committed out of id order (PostgreSQL, several workers): read all stamps
            return self._rebuild(entry, study_id, read_trial_stamps(rdb, study_id))
        if len(entry.live) > _MAX_LIVE_IDS:
            return self._rebuild(entry, study_id, read_trial_stamps(rdb, study_id))
        rows = read_trial_stamps(rdb, study_id, after=last_id, also=entry.live)
        stale = stale_trial_ids(rows, entry.stamps)
        if not stale:
            return 0, False
        changed = False
        stamp_of = {tid: (state, done) for tid, state, done in rows}
        for t in read_trials_sql(rdb, study_id, stale):
            tid = trial_id_of(t)
            at = entry.index.get(tid)
            if at is None:
                entry.index[tid] = len(entry.trials)
                entry.trials.append(t)
                changed = True
            elif entry.trials[at] != t:
                entry.trials[at] = t
                changed = True
            self._stamp(entry, t, *stamp_of[tid])
        return len(stale), changed

    def _rebuild(
        self, entry: _Entry, study_id: int, stamps: list[tuple[int, str, Any]], first: bool = False
    ) -> tuple[int, bool]:
        """Bring ``entry`` up to date from the stamps of every trial (first read, or a trial
        that appeared below the last id seen)."""
        assert self._rdb is not None
        stale = stale_trial_ids(stamps, entry.stamps)
        fresh = {
            trial_id_of(t): t
            for t in read_trials_sql(self._rdb, study_id, None if first else stale)
        }
        old = {trial_id_of(t): t for t in entry.trials}
        entry.trials, entry.index, entry.live = [], {}, set()
        changed = first
        for tid, state, done in stamps:
            t = fresh.get(tid) or old.get(tid)
            if t is None:  # appeared between the two reads: the next read fetches it
                continue
            changed = changed or old.get(tid) != t
            entry.index[tid] = len(entry.trials)
            entry.trials.append(t)
            self._stamp(entry, t, state, done)
        return len(fresh), changed or len(old) != len(entry.trials)

    @staticmethod
    def _stamp(entry: _Entry, trial: FrozenTrial, state: str, done: Any) -> None:
        tid = trial_id_of(trial)
        if trial.state.name != state:  # it finished between its stamp and its read: read again
            state, done = "", None
        entry.stamps[tid] = (state, done)
        if state in LIVE_STATES or state == "":
            entry.live.add(tid)
        else:
            entry.live.discard(tid)

    def _entry(self, study_id: int) -> _Entry:
        with self._lock:
            entry = self._entries.pop(study_id, None) or _Entry()
            self._entries[study_id] = entry  # most recently used last
            while len(self._entries) > self._max_studies:
                self._entries.popitem(last=False)
            return entry
