"""A study definition as an editable table, and back: the Studies page's form.

:func:`spec_to_table` gives one row per knob of the family (searched with a range or choices,
or fixed); :func:`table_to_raw_spec` turns the edited rows into the raw definition that
:func:`~core.studies.spec._parse.parse_spec` validates, so the form and a TOML file go through the same
checks.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import ExplorerError
from core.knobs import coerce, get_knob, get_knobs
from core.studies.spec._parse import load_spec
from core.studies.spec._study_spec import StudySpec

SPACE_COLUMNS = ["knob", "search", "low", "high", "log", "step", "choices", "fixed"]


def load_spec_files(folder: Path) -> dict[str, StudySpec]:
    """The valid study files (``*.toml``) in ``folder``, by file stem; a broken one is skipped."""
    presets = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            presets[path.stem] = load_spec(path)
        except ExplorerError:
            continue  # a broken file must not hide the others
    return presets


def spec_to_table(spec: StudySpec) -> pd.DataFrame:
    """One row per knob of the family: searched (range or choices) or fixed."""
    rows = []
    for k in get_knobs(spec.model):
        p = spec.params.get(k.name)
        fixed = spec.fixed.get(k.name)
        rows.append(
            {
                "knob": k.name,
                "search": p is not None,
                "low": p.low if p is not None else None,
                "high": p.high if p is not None else None,
                "log": bool(p.log) if p is not None else False,
                "step": p.step if p is not None else None,
                "choices": ", ".join(map(str, p.choices)) if p is not None and p.choices else "",
                "fixed": "" if fixed is None else str(fixed),
            }
        )
    return pd.DataFrame(rows, columns=SPACE_COLUMNS)


def _blank(v: Any) -> bool:
    return (
        v is None
        or (isinstance(v, float) and math.isnan(v))
        or (isinstance(v, str) and not v.strip())
    )


def table_to_raw_spec(
    base: StudySpec, table: pd.DataFrame, settings: dict[str, Any]
) -> dict[str, Any]:
    """The study definition (as parsed TOML, for :func:`~core.studies.spec._parse.parse_spec`) from
    the edited table and the form's other settings; ``base``'s ``when`` conditions are kept, and
    so are its ``[[enqueue]]`` points whose parameters are all still searched unchanged."""
    raw = base.to_dict() | settings
    params: dict[str, Any] = {}
    fixed: dict[str, Any] = {}
    for row in table.to_dict("records"):
        knob = get_knob(row["knob"])
        if row["search"]:
            if not _blank(row["choices"]):
                entry: dict[str, Any] = {
                    "choices": [coerce(knob, c.strip()) for c in str(row["choices"]).split(",")]
                }
            else:
                entry = {
                    "low": None if _blank(row["low"]) else row["low"],
                    "high": None if _blank(row["high"]) else row["high"],
                }
                entry = {k: v for k, v in entry.items() if v is not None}
                if row["log"]:
                    entry["log"] = True
                if not _blank(row["step"]):
                    entry["step"] = row["step"]
            old = base.params.get(row["knob"])
            if old is not None and old.when:
                entry["when"] = {k: list(v) for k, v in old.when.items()}
            params[row["knob"]] = entry
        elif not _blank(row["fixed"]):
            fixed[row["knob"]] = coerce(knob, row["fixed"])
    raw["params"], raw["fixed"] = params, fixed
    raw["enqueue"] = [
        point
        for point in raw.get("enqueue", [])
        if all(n in params and params[n] == base.params[n].to_dict() for n in point)
    ]
    return raw
