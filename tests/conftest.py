"""Shared fixtures: small synthetic data the tests build themselves, and isolated caches."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pandas as pd
import pytest

from core.knobs._fields import DataConfig

POSITIVE = ["great", "wonderful", "superb", "moving", "brilliant", "loved", "charming", "fun"]
NEGATIVE = ["awful", "boring", "terrible", "dull", "worst", "hated", "clumsy", "waste"]
FILLER = [
    "the",
    "film",
    "movie",
    "plot",
    "actor",
    "scene",
    "story",
    "was",
    "and",
    "a",
    "it",
    "director",
    "ending",
    "music",
    "script",
    "really",
    "quite",
    "this",
]
SHARED_IMDB = Path(__file__).resolve().parents[2] / "shared" / "data" / "imdb"


def make_reviews(n: int, seed: int) -> pd.DataFrame:
    """Reviews whose sentiment words decide the label: learnable in a few dozen steps."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = i % 2
        cue = POSITIVE if label else NEGATIVE
        words = [rng.choice(FILLER) for _ in range(rng.randint(6, 30))]
        for _ in range(rng.randint(1, 3)):
            words.insert(rng.randrange(len(words) + 1), rng.choice(cue))
        rows.append((" ".join(words), label))
    return pd.DataFrame(rows, columns=["text", "label"])


@pytest.fixture(autouse=True)
def isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test session caches tokenizers and saves runs in its own temporary folders."""
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("EXPLORER_CACHE", str(base / "cache"))
    monkeypatch.setenv("EXPLORER_RUNS", str(base / "runs"))
    monkeypatch.setenv("EXPLORER_STORAGE", f"sqlite:///{base / 'explorer.db'}")
    monkeypatch.setenv("EXPLORER_STUDIES", str(base / "studies"))  # not the repo's study files
    monkeypatch.delenv("EXPLORER_READ_ONLY", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", os.environ.get("HF_HUB_OFFLINE", "1"))


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with train.parquet (600 rows) and test.parquet (200 rows)."""
    folder = tmp_path_factory.mktemp("tiny")
    make_reviews(600, seed=1).to_parquet(folder / "train.parquet")
    make_reviews(200, seed=2).to_parquet(folder / "test.parquet")
    return folder


@pytest.fixture
def tiny_data(tiny_data_dir: Path) -> DataConfig:
    """DataConfig for the tiny folder, with a small vocabulary."""
    return DataConfig(data=str(tiny_data_dir), vocab_size=1000, val_fraction=0.2)


@pytest.fixture
def imdb_dir() -> Path:
    """The shared IMDB folder (EXPLORER_DATA or ../shared/data/imdb); skipped when absent."""
    path = Path(os.environ.get("EXPLORER_DATA", SHARED_IMDB))
    if not (path / "train.parquet").exists():
        pytest.skip(f"IMDB data not found at {path}")
    return path
