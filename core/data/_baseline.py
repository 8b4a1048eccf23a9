"""The linear baseline: TF-IDF unigrams and bigrams with logistic regression.

What a neural model on this data has to beat. It is fit on the train part of the
train/validation split (the same reviews the models train on), its regularisation ``C`` is chosen
on validation from a small grid (as the models' checkpoints are), and it is scored once on the
full test split. It runs once per dataset and is cached on disk (``<cache>/baseline/``), keyed by
the data's fingerprint and the baseline's settings, so pages only ever read it:

- :func:`get_baseline` computes it (or returns the cached one): ``python -m core.data._baseline``;
- :func:`load_baseline` (a landscape's data fingerprint) and :func:`find_baseline` (the data
  setting, for the Playground) only read the cache, never compute, and import neither
  scikit-learn nor the data loader.

This module imports no torch; scikit-learn and the data loader are imported when computing.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.data._npz_cache import content_key
from core.errors import ExplorerError
from core.knobs import DataConfig
from core.settings import get_cache_dir, get_data_source, get_studies_dir

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)  # IMDB's line breaks, as the tokenizer drops them


@dataclass(frozen=True)
class BaselineSettings:
    """How the baseline is built; part of its cache key."""

    ngram_max: int = 2  # unigrams up to this n
    min_df: int = 2  # n-grams seen in fewer training reviews are dropped
    sublinear_tf: bool = True  # 1 + log(count): a word said ten times is not ten times the cue
    c_grid: tuple[float, ...] = (1.0, 4.0, 16.0)  # inverse regularisation, chosen on validation
    max_iter: int = 2000

    def key(self) -> str:
        return content_key(dataclasses.asdict(self), length=10)


@dataclass
class BaselineResult:
    """The baseline's numbers on one dataset."""

    val_accuracy: float
    test_accuracy: float
    c: float  # the C chosen on validation
    val_by_c: dict[str, float]  # validation accuracy for every C tried
    n_features: int
    sizes: dict[str, int]  # train / validation / test reviews
    wall_s: float  # vectorising, the C grid and scoring, data loading excluded
    cpu_s: float  # process CPU seconds over the same span
    fingerprint: str  # the data's content hash (core.data._loading.TextData.fingerprint)
    source: str  # the data setting it was computed for
    source_stamp: str  # :func:`source_stamp` of that setting when it was computed
    settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BaselineResult:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def _cache_dir() -> Path:
    return get_cache_dir() / "baseline"


def _path(fingerprint: str, settings: BaselineSettings) -> Path:
    return _cache_dir() / f"{fingerprint}-{settings.key()}.json"


def source_stamp(source: str) -> str:
    """A cheap stand-in for a data setting's content: for a local folder, the names, sizes and
    modification times of the files in it (top level and ``train``/``test`` folders); for a Hub
    id, the id. Lets the Playground find its data's baseline without loading the data."""
    path = Path(source).expanduser()
    if not path.is_dir():
        return source
    files = [p for p in path.iterdir() if p.is_file()]
    for sub in ("train", "test", "aclImdb"):
        if (path / sub).is_dir():
            files.append(path / sub)  # a folder's own mtime changes when files come or go
    parts = sorted(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def load_baseline(
    fingerprint: str | None, settings: BaselineSettings | None = None
) -> BaselineResult | None:
    """The cached baseline for the data with this fingerprint, or None (never computes).

    Looks in the cache, then in the studies folder's ``baselines/`` (where the committed
    examples keep IMDB's, so a fresh clone's viewer draws it)."""
    if not fingerprint:
        return None
    path = _path(fingerprint, settings or BaselineSettings())
    for candidate in (path, get_studies_dir() / "baselines" / path.name):
        try:
            return BaselineResult.from_dict(json.loads(candidate.read_text()))
        except (OSError, ValueError, TypeError):
            continue
    return None


def find_baseline(
    source: str | None = None, settings: BaselineSettings | None = None
) -> BaselineResult | None:
    """The cached baseline for the data setting ``source`` (default: ``EXPLORER_DATA``) as its
    files are now (:func:`source_stamp`), or None. Reads the cache only; loads no data."""
    source = source or get_data_source()
    stamp = source_stamp(source)
    suffix = f"-{(settings or BaselineSettings()).key()}.json"
    found: list[tuple[float, BaselineResult]] = []
    folder = _cache_dir()
    for path in folder.glob(f"*{suffix}") if folder.is_dir() else ():
        result = load_baseline(path.name.removesuffix(suffix), settings)
        if result is not None and result.source == source and result.source_stamp == stamp:
            found.append((path.stat().st_mtime, result))
    return max(found, key=lambda t: t[0])[1] if found else None


def _clean(text: str) -> str:
    return _BR.sub(" ", text)


@dataclass
class FittedBaseline:
    """The baseline's fitted vectorizer and classifier, with the C chosen on validation."""

    vectorizer: Any  # sklearn TfidfVectorizer
    classifier: Any  # sklearn LogisticRegression
    c: float
    val_by_c: dict[str, float]  # validation accuracy for every C tried

    @property
    def val_accuracy(self) -> float:
        return self.val_by_c[f"{self.c:g}"]

    def predict_proba(self, texts: Sequence[str]) -> Any:
        """Class probabilities, ``(len(texts), classes)``, classes in label-id order."""
        return self.classifier.predict_proba(self.vectorizer.transform(texts))

    def score(self, texts: Sequence[str], labels: Sequence[int]) -> float:
        return float(self.classifier.score(self.vectorizer.transform(texts), labels))


def fit_baseline_model(
    texts: dict[str, Sequence[str]],
    labels: dict[str, Sequence[int]],
    settings: BaselineSettings | None = None,
) -> FittedBaseline:
    """Fit on ``texts["train"]`` and choose C on ``"validation"`` (``"test"`` is not read)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    s = settings or BaselineSettings()
    vectorizer = TfidfVectorizer(
        ngram_range=(1, s.ngram_max),
        min_df=s.min_df,
        sublinear_tf=s.sublinear_tf,
        preprocessor=lambda t: _clean(t).lower(),
    )
    x_train = vectorizer.fit_transform(texts["train"])
    x_val = vectorizer.transform(texts["validation"])
    best: tuple[float, float, Any] | None = None
    val_by_c: dict[str, float] = {}
    for c in s.c_grid:
        clf = LogisticRegression(C=c, max_iter=s.max_iter)
        clf.fit(x_train, labels["train"])
        acc = float(clf.score(x_val, labels["validation"]))
        val_by_c[f"{c:g}"] = acc
        if best is None or acc > best[0]:
            best = (acc, c, clf)
    assert best is not None, "c_grid must not be empty"
    _, c, clf = best
    return FittedBaseline(vectorizer, clf, c, val_by_c)


def fit_baseline(
    texts: dict[str, Sequence[str]],
    labels: dict[str, Sequence[int]],
    settings: BaselineSettings | None = None,
) -> dict[str, Any]:
    """Fit on ``texts["train"]``, choose C on ``"validation"``, score ``"test"``: the numbers of
    a :class:`BaselineResult` (accuracies, C, features, times)."""
    t0, c0 = time.perf_counter(), time.process_time()
    fitted = fit_baseline_model(texts, labels, settings)
    return {
        "val_accuracy": fitted.val_accuracy,
        "test_accuracy": fitted.score(texts["test"], labels["test"]),
        "c": fitted.c,
        "val_by_c": fitted.val_by_c,
        "n_features": len(fitted.vectorizer.vocabulary_),
        "wall_s": time.perf_counter() - t0,
        "cpu_s": time.process_time() - c0,
    }


def get_baseline(
    cfg: DataConfig | None = None, settings: BaselineSettings | None = None
) -> BaselineResult:
    """The baseline for the data ``cfg`` names: from the cache, else computed and cached.

    Only the split (``val_fraction``, ``split_seed``) and the sample caps of ``cfg`` matter;
    its knobs for the neural models do not.
    """
    from core.data._loading import load_data  # datasets and pandas: only when computing

    cfg = cfg or DataConfig()
    settings = settings or BaselineSettings()
    source = cfg.data or get_data_source()
    data = load_data(cfg)
    cached = load_baseline(data.fingerprint, settings)
    if cached is not None:
        return cached
    splits = data.splits
    numbers = fit_baseline(
        {name: ds["text"] for name, ds in splits.items()},
        {name: list(ds["label"]) for name, ds in splits.items()},
        settings,
    )
    result = BaselineResult(
        **numbers,
        sizes=data.sizes,
        fingerprint=data.fingerprint,
        source=source,
        source_stamp=source_stamp(source),
        settings=json.loads(json.dumps(dataclasses.asdict(settings))),  # as read back
    )
    _write_atomic(_path(data.fingerprint, settings), json.dumps(dataclasses.asdict(result)))
    return result


def _write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file and rename it: a reader never sees half a file, and two
    processes writing the same (deterministic) result at once leave one whole copy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is for every user
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main(argv: list[str] | None = None) -> int:
    """``python -m core.data._baseline [--data DIR]``: compute (or read) the baseline, print JSON."""
    p = argparse.ArgumentParser(
        prog="python -m core.data._baseline",
        description="TF-IDF (1-2-grams) + logistic regression on the data's train part, C "
        "chosen on validation, scored on the full test split; cached per dataset.",
    )
    p.add_argument("--data", help="Hub dataset id or local folder (default: $EXPLORER_DATA).")
    p.add_argument("--max-train-samples", type=int, help="Use only this many training reviews.")
    args = p.parse_args(argv)
    try:
        result = get_baseline(DataConfig(data=args.data, max_train_samples=args.max_train_samples))
    except ExplorerError as err:
        print(err, file=sys.stderr)
        return 2
    print(json.dumps(dataclasses.asdict(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
