"""The best run per model family of one dataset, chosen on validation only among runs that were
validated the same way.

Two validation accuracies compare only when they were measured on the same rows: the same
dataset, the same validation split (``val_split``, ``val_fraction``) and the same test set. So
the runs of the dataset are grouped by that protocol, and each family's best comes from one
group: the tail split's where there is one, since a random split can put rows stored together
(on IMDB, one film's reviews) on both sides and so scores validation higher than test; else the
group with the most runs. A run that does not record its dataset is not counted for any.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.knobs import describe_validation, get_knob

RECOMMENDED_SPLIT = "tail"
WHY_RECOMMENDED = (
    "a random split can put rows stored together (on IMDB, one film's reviews) on both sides "
    "of the split, so its validation runs higher than test"
)


@dataclass(frozen=True)
class Headline:
    """One family's best run on a dataset, and what it was compared with."""

    family: str
    study: str
    number: int
    value: float  # validation accuracy
    test_accuracy: float | None
    protocol: str  # how its validation rows were held out, in words
    compared: int  # runs of this family and dataset validated the same way
    not_compared: int  # runs of this family and dataset validated otherwise
    recommended: bool  # chosen because it is the recommended split, over other protocols


def headlines(runs: pd.DataFrame, families: dict[str, str], dataset: str) -> list[Headline]:
    """Each family's best run on ``dataset``, from :func:`~core.studies.storage.completed_runs`
    and ``families`` (study name -> model family), in family order."""
    mine = runs[(runs["dataset"] == dataset) & runs["value"].notna()]
    mine = mine.assign(
        family=mine["study"].map(families),
        val_split=mine["val_split"].fillna(get_knob("val_split").before),
        val_fraction=mine["val_fraction"].fillna(get_knob("val_fraction").default),
        test_size=mine["test_size"].fillna(-1),
    ).dropna(subset=["family"])
    out = []
    for family, rows in sorted(mine.groupby("family"), key=lambda kv: str(kv[0])):
        groups = rows.groupby(["val_split", "val_fraction", "test_size"])
        sizes = groups.size()
        tail = [k for k in sizes.index if k[0] == RECOMMENDED_SPLIT]
        key = max(tail, key=lambda k: sizes[k]) if tail else sizes.idxmax()
        group = groups.get_group(key)
        best = group.loc[group["value"].idxmax()]
        test = best["test_accuracy"]
        out.append(
            Headline(
                family=str(family),
                study=str(best["study"]),
                number=int(best["number"]),
                value=float(best["value"]),
                test_accuracy=None if pd.isna(test) else float(test),
                protocol=describe_validation({"val_split": key[0], "val_fraction": key[1]}),
                compared=len(group),
                not_compared=len(rows) - len(group),
                recommended=bool(tail) and len(sizes) > 1,
            )
        )
    return out


def datasets_run(runs: pd.DataFrame) -> list[str]:
    """The datasets the runs record, the most-run first."""
    named = runs["dataset"].dropna()
    return [str(d) for d in named.value_counts().index]
