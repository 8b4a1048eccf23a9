"""Landscapes: grid studies read as a table of points, so that every slider answers at once.

A landscape is any study whose stored spec uses the grid sampler (``studies/landscape_*.toml``):
every combination of a few knobs' values, trained once, every other knob held. :func:`load_landscape`
reads one into a :class:`Landscape`, which answers, without training:

- :meth:`Landscape.point`: the run at one combination of values;
- :meth:`Landscape.sweep`: accuracy against one knob, the others held (the report's one-knob-at-a-
  time table, around any baseline);
- :meth:`Landscape.table`: accuracy over two knobs, the others held (a heatmap);
- :meth:`Landscape.effects`: how far each knob moves validation accuracy, over every baseline.

A knob whose ``when`` condition does not hold at a point (``nonlinearity`` of a GRU) is not part of
that point: it is stored as ``None`` and matches any value asked for it.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial, TrialState

from core.errors import ExplorerError
from core.knobs import resolve
from core.studies._optuna_compat import study_id_of
from core.studies.spec import StudySpec, active, grid_space, parse_spec
from core.studies.storage import open_storage, rdb_of, read_trials_sql

_PREFERENCE = {TrialState.COMPLETE: 0, TrialState.PRUNED: 1, TrialState.FAIL: 2}


@dataclass(frozen=True)
class LandscapePoint:
    """One trained grid point: its knob values and what it scored."""

    number: int  # the trial's number in its study
    values: dict[str, Any]  # the landscape knobs' values (None where a knob does not apply)
    state: str  # COMPLETE, PRUNED, FAIL, RUNNING...
    status: str  # the run's status: completed, diverged, invalid...
    val_accuracy: float | None
    test_accuracy: float | None
    wall_s: float | None
    params: int | None
    history: list[dict[str, float]] = field(default_factory=list)
    message: str = ""

    @property
    def finished(self) -> bool:
        return self.state == "COMPLETE" or self.status == "diverged"


@dataclass
class Landscape:
    """A grid study as points. ``axes`` holds each knob's grid values, in the spec's order."""

    study: str
    model: str
    description: str
    axes: dict[str, list[Any]]
    held: dict[str, Any]  # every other knob's value, as the study fixed it
    points: dict[tuple, LandscapePoint]
    spec: StudySpec
    n_trials: int = 0  # trials stored (duplicates of a conditional knob included)
    data_fingerprint: str | None = None  # the data its runs trained on
    dataset: str | None = None  # that data's display name (runs stored before names: None)
    _effects: dict[str, dict[str, float]] = field(default_factory=dict, repr=False)

    @property
    def knobs(self) -> list[str]:
        return list(self.axes)

    @property
    def size(self) -> int:
        """The grid's size as the sampler sees it: the product of every axis."""
        return math.prod(len(v) for v in self.axes.values())

    @property
    def distinct_size(self) -> int:
        """Distinct runs in the grid (a knob that does not apply does not multiply)."""
        return len({self.key(c) for c in _combinations(self.axes)})

    def held_shown(self) -> dict[str, Any]:
        """The held knobs worth naming: what the study file fixes, plus the run's length."""
        names = ["max_length", "batch_size", "max_steps", *self.spec.fixed]
        return {k: self.held[k] for k in dict.fromkeys(names) if k in self.held}

    def applies(self, knob: str, at: dict[str, Any]) -> bool:
        """Whether ``knob`` matters at ``at`` (its ``when`` condition holds there)."""
        return active(self.spec.params[knob], self.held | at)

    def key(self, at: dict[str, Any]) -> tuple:
        """The lookup key of a combination: values in axis order, None where a knob does not apply."""
        return tuple(at.get(k) if self.applies(k, at) else None for k in self.axes)

    def default_point(self) -> dict[str, Any]:
        """Where the sliders start: the best validation point, else each axis's middle value."""
        done = [p for p in self.points.values() if p.val_accuracy is not None]
        if done:
            best = max(done, key=lambda p: p.val_accuracy or 0.0)
            return {
                k: best.values[k] if best.values[k] is not None else self.axes[k][0]
                for k in self.axes
            }
        return {k: v[len(v) // 2] for k, v in self.axes.items()}

    def coerce(self, at: dict[str, Any]) -> dict[str, Any]:
        """``at`` with every axis set to a grid value (an unknown or missing value: the default)."""
        base = self.default_point()
        out = {}
        for k, values in self.axes.items():
            v = at.get(k, base[k])
            out[k] = v if v in values else base[k]
        return out

    def point(self, at: dict[str, Any]) -> LandscapePoint | None:
        """The stored run at ``at`` (a value for every axis), or None when it is not stored."""
        return self.points.get(self.key(at))

    def sweep(self, knob: str, at: dict[str, Any]) -> list[tuple[Any, LandscapePoint | None]]:
        """Every value of ``knob`` with the point there, the other knobs held at ``at``."""
        return [(v, self.point(at | {knob: v})) for v in self.axes[knob]]

    def table(
        self, x: str, y: str, at: dict[str, Any], metric: str = "val_accuracy"
    ) -> list[list[float | None]]:
        """``metric`` over knobs ``x`` (columns) and ``y`` (rows), the others held at ``at``."""
        rows = []
        for vy in self.axes[y]:
            row = []
            for vx in self.axes[x]:
                p = self.point(at | {x: vx, y: vy})
                row.append(getattr(p, metric) if p is not None else None)
            rows.append(row)
        return rows

    def effects(self, metric: str = "val_accuracy") -> dict[str, float]:
        """Per knob, the median over every baseline of how far the knob moves ``metric`` (best
        minus worst along its sweep, in accuracy points of 0..1), largest first."""
        if metric not in self._effects:
            self._effects[metric] = self._compute_effects(metric)
        return dict(self._effects[metric])

    def _compute_effects(self, metric: str) -> dict[str, float]:
        out = {}
        for knob in self.axes:
            spans = []
            others = {k: v for k, v in self.axes.items() if k != knob}
            seen = set()
            for combo in _combinations(others):
                if not self.applies(knob, combo):
                    continue
                base = self.key(combo | {knob: self.axes[knob][0]})
                if base in seen:
                    continue
                seen.add(base)
                values = [
                    getattr(p, metric)
                    for _, p in self.sweep(knob, combo)
                    if p is not None and getattr(p, metric) is not None
                ]
                if len(values) >= 2:
                    spans.append(max(values) - min(values))
            if spans:
                out[knob] = statistics.median(spans)
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def format_value(v: Any) -> str:
    """A knob value as the figures and labels print it (3e-3 stays 0.003)."""
    if isinstance(v, float):
        return f"{v:g}"
    return "n/a" if v is None else str(v)


def describe_point(values: dict[str, Any]) -> str:
    """``embedding_dim=64, filter_size=3`` (knobs that do not apply left out)."""
    return ", ".join(f"{k}={format_value(v)}" for k, v in values.items() if v is not None)


def off_grid_points(
    land: Landscape, runs: pd.DataFrame, knob: str, at: dict[str, Any]
) -> list[tuple[Any, float | None, float | None]]:
    """Runs trained outside the grid that belong on ``knob``'s sweep at ``at``: same data, the
    landscape's held knobs, the other axes at ``at``, and a value of ``knob`` off the grid.

    ``runs``: a trial table (:func:`core.studies.storage._queries.trials_frame`, knobs as columns without
    the ``params_`` prefix). Returns ``(value, validation, test)`` per run, by value.
    """
    if runs is None or runs.empty or knob not in runs.columns:
        return []
    want = land.held | {k: v for k, v in at.items() if k != knob and land.applies(k, at)}
    out = []
    for row in runs.to_dict("records"):
        if row.get("state") != "COMPLETE" or row.get(knob) in land.axes[knob]:
            continue
        fp = row.get("data_fingerprint")
        if land.data_fingerprint and fp and fp != land.data_fingerprint:
            continue
        if all(k not in row or _same(row[k], v) for k, v in want.items()):
            out.append((row[knob], row.get("value"), row.get("test_accuracy")))
    return sorted(out, key=lambda r: (str(type(r[0])), r[0]))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return bool(a == b)


def _combinations(axes: dict[str, list[Any]]) -> list[dict[str, Any]]:
    combos: list[dict[str, Any]] = [{}]
    for name, values in axes.items():
        combos = [c | {name: v} for c in combos for v in values]
    return combos


def is_landscape(user_attrs: dict[str, Any]) -> bool:
    """Whether a study's user attributes describe a grid study."""
    sampler = (user_attrs.get("spec") or {}).get("sampler") or {}
    name = sampler.get("name") if isinstance(sampler, dict) else sampler
    return name == "grid"


def list_landscapes(storage: str | BaseStorage | None = None) -> list[tuple[str, str]]:
    """``(study name, model family)`` of every grid study in the storage, by name."""
    s = open_storage(storage)
    out = []
    for fs in s.get_all_studies():
        if is_landscape(fs.user_attrs):
            out.append((fs.study_name, str(fs.user_attrs["spec"].get("model", ""))))
    return sorted(out)


def load_landscape(study_name: str, storage: str | BaseStorage | None = None) -> Landscape:
    """Read a grid study into a :class:`Landscape` (one query per table on RDB storages)."""

    s = open_storage(storage)
    summary = next((fs for fs in s.get_all_studies() if fs.study_name == study_name), None)
    if summary is None:
        raise ExplorerError(f"There is no study named '{study_name}' in this storage.")
    if not is_landscape(summary.user_attrs):
        raise ExplorerError(f"Study '{study_name}' is not a grid study, so it has no landscape.")
    spec = parse_spec(summary.user_attrs["spec"])
    rdb = rdb_of(s)
    sid = study_id_of(summary)
    trials = read_trials_sql(rdb, sid) if rdb is not None else s.get_all_trials(sid, deepcopy=False)
    held = resolve(spec.model, spec.preset, spec.fixed, spec.data_config())
    land = Landscape(
        study=study_name,
        model=spec.model,
        description=spec.description,
        axes=grid_space(spec),
        held={k: v for k, v in held.items() if k not in spec.params},
        points={},
        spec=spec,
        n_trials=len(trials),
    )
    for t in sorted(trials, key=lambda t: t.number):
        land.data_fingerprint = land.data_fingerprint or t.user_attrs.get("data_fingerprint")
        land.dataset = land.dataset or t.user_attrs.get("dataset")
        p = _as_point(land, t)
        if p is None:
            continue
        k = land.key(p.values)
        old = land.points.get(k)
        if old is None or _rank(t.state) <= _rank(TrialState[old.state]):
            land.points[k] = p
    return land


def _rank(state: TrialState) -> int:
    return _PREFERENCE.get(state, 3)


def _as_point(land: Landscape, t: FrozenTrial) -> LandscapePoint | None:
    if not all(k in t.params or not land.applies(k, t.params) for k in land.axes):
        return None  # not a grid point (a trial added by hand)
    values = {k: t.params.get(k) for k in land.axes}
    u = t.user_attrs
    history = u.get("history") or [
        {"step": s, "val_accuracy": v} for s, v in sorted(t.intermediate_values.items())
    ]
    value = t.value if t.state == TrialState.COMPLETE else u.get("best_val_accuracy")
    return LandscapePoint(
        number=t.number,
        values=values,
        state=t.state.name,
        status=str(u.get("status") or t.state.name.lower()),
        val_accuracy=value if value is not None and math.isfinite(value) else None,
        test_accuracy=u.get("test_accuracy"),
        wall_s=u.get("wall_s"),
        params=u.get("params"),
        history=list(history),
        message=str(u.get("message") or ""),
    )
