"""Data loading: every input format, column mapping, splits and the one-sentence errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from core.data._loading import load_data
from core.errors import DataError
from core.knobs._fields import DataConfig
from tests.conftest import make_reviews


def _write(df: pd.DataFrame, path: Path) -> None:
    if path.suffix == ".parquet":
        df.to_parquet(path)
    elif path.suffix == ".csv":
        df.to_csv(path, index=False)
    elif path.suffix == ".tsv":
        df.to_csv(path, sep="\t", index=False)
    else:
        df.to_json(path, orient="records", lines=True)


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".tsv", ".jsonl"])
def test_every_file_format_loads_the_same_rows(tmp_path: Path, suffix: str) -> None:
    train, test = make_reviews(100, 1), make_reviews(40, 2)
    _write(train, tmp_path / f"train{suffix}")
    _write(test, tmp_path / f"test{suffix}")
    data = load_data(DataConfig(data=str(tmp_path), val_fraction=0.2))
    assert data.sizes == {"train": 80, "validation": 20, "test": 40}
    assert data.label_names == ["0", "1"]  # 0/1 labels are named by their values
    got = sorted(list(data.splits["train"]["text"]) + list(data.splits["validation"]["text"]))
    assert got == sorted(train["text"])
    assert sorted(data.splits["test"]["label"]) == sorted(test["label"])


def test_aclimdb_folder_layout(tmp_path: Path) -> None:
    root = tmp_path / "aclImdb"
    for split, n in (("train", 10), ("test", 4)):
        for label in ("neg", "pos"):
            folder = root / split / label
            folder.mkdir(parents=True)
            for i in range(n):
                (folder / f"{i}_7.txt").write_text(f"{label} review {i} é", encoding="utf-8")
    (root / "train" / "unsup").mkdir()
    (root / "train" / "unsup" / "0_0.txt").write_text("unlabelled", encoding="utf-8")
    data = load_data(DataConfig(data=str(tmp_path), val_fraction=0.2))
    assert data.label_names == ["neg", "pos"]
    assert data.sizes == {"train": 16, "validation": 4, "test": 8}
    texts = list(data.splits["train"]["text"]) + list(data.splits["validation"]["text"])
    assert "unlabelled" not in texts
    for text, label in zip(data.splits["test"]["text"], data.splits["test"]["label"], strict=True):
        assert text.startswith(data.label_names[label])


def test_column_mapping_and_string_labels(tmp_path: Path) -> None:
    df = make_reviews(60, 3)
    df = pd.DataFrame({"review": df["text"], "sentiment": df["label"].map({0: "bad", 1: "good"})})
    df.to_csv(tmp_path / "train.csv", index=False)
    df.head(20).to_csv(tmp_path / "test.csv", index=False)
    data = load_data(
        DataConfig(
            data=str(tmp_path), text_column="review", label_column="sentiment", val_fraction=0.25
        )
    )
    assert data.label_names == ["bad", "good"]
    row = data.splits["test"][0]
    expected = df.head(20).set_index("review").loc[row["text"], "sentiment"]
    assert data.label_names[row["label"]] == expected


def test_validation_is_disjoint_from_train_stratified_and_seeded(tiny_data_dir: Path) -> None:
    cfg = DataConfig(data=str(tiny_data_dir), val_fraction=0.2, split_seed=7)
    data = load_data(cfg)
    train, val = data.splits["train"], data.splits["validation"]
    assert set(train["text"]).isdisjoint(val["text"])
    assert len(train) + len(val) == 600
    assert sum(val["label"]) == len(val) // 2  # stratified: balanced like the source
    again = load_data(DataConfig(data=str(tiny_data_dir), val_fraction=0.2, split_seed=7))
    assert list(again.splits["validation"]["text"]) == list(val["text"])
    other = load_data(DataConfig(data=str(tiny_data_dir), val_fraction=0.2, split_seed=8))
    assert list(other.splits["validation"]["text"]) != list(val["text"])
    assert other.fingerprint != data.fingerprint


def test_tail_validation_holds_out_each_classs_last_rows_in_file_order(tmp_path: Path) -> None:
    # Rows stored in groups (one film's reviews together): the tail split keeps each group on one
    # side, so no validation group has rows in train; a random split spreads every group across.
    rows = [
        {"text": f"film{g} review {i} " + ("great" if g % 2 else "awful"), "label": g % 2}
        for g in range(40)
        for i in range(5)
    ]
    df = pd.DataFrame(rows).sort_values("label", kind="stable")  # as the Hub's IMDB: by label
    df.to_parquet(tmp_path / "train.parquet")
    make_reviews(20, 2).to_parquet(tmp_path / "test.parquet")
    tail = load_data(DataConfig(data=str(tmp_path), val_fraction=0.2, val_split="tail"))
    val = list(tail.splits["validation"]["text"])
    per_class = {label: df[df["label"] == label]["text"].tolist() for label in (0, 1)}
    assert sorted(val) == sorted(per_class[0][-20:] + per_class[1][-20:])
    assert sorted(tail.splits["validation"]["label"]) == [0] * 20 + [1] * 20

    def films(texts):
        return {t.split()[0] for t in texts}

    assert films(val).isdisjoint(films(tail.splits["train"]["text"]))
    shuffled = load_data(DataConfig(data=str(tmp_path), val_fraction=0.2))
    assert films(shuffled.splits["validation"]["text"]) & films(shuffled.splits["train"]["text"])
    assert tail.fingerprint != shuffled.fingerprint
    capped = load_data(
        DataConfig(data=str(tmp_path), val_fraction=0.2, val_split="tail", max_train_samples=50)
    )
    assert set(capped.splits["validation"]["label"]) == {0, 1}  # a cap keeps both classes
    df.iloc[:110].to_parquet(tmp_path / "train.parquet")  # 100 negatives, 10 positives
    with pytest.raises(
        DataError, match=r"^Cannot carve a 2% validation split from 10 rows of class '1'"
    ):
        load_data(DataConfig(data=str(tmp_path), val_fraction=0.02, val_split="tail"))


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"^Data path .*nope does not exist; set EXPLORER_DATA"):
        load_data(DataConfig(data=str(tmp_path / "nope")))


def test_missing_column(tiny_data_dir: Path) -> None:
    with pytest.raises(
        DataError,
        match=r"^Column 'review' is not in .*; its columns are text, label\. Set text_column in "
        r"dataset\.toml \(or EXPLORER_TEXT_COLUMN, --text-column\) to one of them\.$",
    ):
        load_data(DataConfig(data=str(tiny_data_dir), text_column="review"))


def test_single_class_label(tmp_path: Path) -> None:
    df = make_reviews(40, 1)
    df["label"] = 1
    df.to_parquet(tmp_path / "train.parquet")
    df.to_parquet(tmp_path / "test.parquet")
    with pytest.raises(
        DataError,
        match=r"^The training data has only one label \('1'\); a classifier needs at least two\.$",
    ):
        load_data(DataConfig(data=str(tmp_path)))


def test_non_utf8_bytes(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_bytes(b"text,label\ncaf\xe9 au lait,1\nbad,0\n")
    (tmp_path / "test.csv").write_bytes(b"text,label\nok,1\n")
    with pytest.raises(
        DataError,
        match=r"^File .*train\.csv is not valid UTF-8 \(byte 0xe9 at offset 14\); save it as UTF-8\.$",
    ):
        load_data(DataConfig(data=str(tmp_path)))


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_bytes(b"")
    (tmp_path / "test.csv").write_text("text,label\nok,1\n")
    with pytest.raises(DataError, match=r"^File .*train\.csv is empty\.$"):
        load_data(DataConfig(data=str(tmp_path)))


def test_folder_without_train_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"^No train file .* in .*; set EXPLORER_DATA"):
        load_data(DataConfig(data=str(tmp_path)))


def test_offline_hub_id_fails_fast_with_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import core.data._files

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setattr(
        core.data._files, "HUB_HOST", "hub.invalid"
    )  # never resolves, online or not
    t0 = time.perf_counter()
    with pytest.raises(
        DataError,
        match=r"^Cannot reach the Hugging Face Hub to download 'someone/imdb'; set EXPLORER_DATA",
    ):
        load_data(DataConfig(data="someone/imdb"))
    assert time.perf_counter() - t0 < 10


def test_shared_imdb_layout(imdb_dir: Path) -> None:
    data = load_data(DataConfig(data=str(imdb_dir)))
    assert data.sizes == {"train": 22500, "validation": 2500, "test": 25000}
    assert data.label_names == ["negative", "positive"]  # known by its content: IMDB's card
    assert data.fingerprint == "318e0e256fadce03"  # the example studies' data, unchanged


def test_hub_dataset_keeps_its_label_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Hub path (offline here): load_dataset's splits, ClassLabel names and unlabelled rows."""
    import datasets
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    features = Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    train = make_reviews(50, 1)
    fake = DatasetDict(
        train=Dataset.from_pandas(train, features=features, preserve_index=False),
        test=Dataset.from_pandas(make_reviews(20, 2), features=features, preserve_index=False),
        unsupervised=Dataset.from_dict({"text": ["x"], "label": [-1]}),
    )
    calls = []
    monkeypatch.setattr(datasets, "load_dataset", lambda name: calls.append(name) or fake)
    data = load_data(DataConfig(data="stanfordnlp/imdb", val_fraction=0.2))
    assert calls == ["stanfordnlp/imdb"]
    assert data.label_names == ["neg", "pos"]
    assert data.sizes == {"train": 40, "validation": 10, "test": 20}
    assert (
        sum(data.splits["train"]["label"]) + sum(data.splits["validation"]["label"])
        == train["label"].sum()
    )


def test_a_broken_parquet_file_is_one_sentence(tmp_path: Path) -> None:
    from core.data._files import read_table

    path = tmp_path / "train.parquet"
    path.write_bytes(b"not a parquet file at all" * 10)
    with pytest.raises(DataError) as err:
        read_table(path)
    message = str(err.value)
    assert message.startswith(f"Cannot read {path}: ")
    assert message.endswith(".") and not message.endswith("..")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("per_class", "expected"),
    [
        ([3, 3, 1], "has only 1 row: every class needs at least 2"),  # one class of one row
        ([3, 3, 3, 3, 3], "raise val_fraction to 0.33 or more"),  # validation smaller than classes
    ],
)
def test_too_few_rows_per_class_is_one_sentence_of_ours(
    tmp_path: Path, per_class: list[int], expected: str
) -> None:
    """A tiny dataset: one sentence that says how many rows are needed and which setting
    (val_fraction) changes it, never the split library's wording."""
    rows = [
        {"text": f"words of class {c} number {i}", "label": f"c{c}"}
        for c, n in enumerate(per_class)
        for i in range(n)
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame(rows).to_csv(tmp_path / "test.csv", index=False)
    with pytest.raises(DataError) as err:
        load_data(DataConfig(data=str(tmp_path)))
    message = str(err.value)
    assert expected in message, message
    assert "least populated" not in message and "(" not in message.split(":")[0]


def test_zero_one_labels_are_named_by_their_values_unless_told(tmp_path: Path) -> None:
    """A spam file's 0/1 are not "negative"/"positive": a 0/1 column is "0" and "1", and
    label_names (dataset.toml, EXPLORER_LABEL_NAMES, --label-names) names them."""
    make_reviews(100, 1).to_parquet(tmp_path / "train.parquet")
    assert load_data(DataConfig(data=str(tmp_path))).label_names == ["0", "1"]
    told = DataConfig(data=str(tmp_path), label_names=["ham", "spam"])
    assert load_data(told).label_names == ["ham", "spam"]
