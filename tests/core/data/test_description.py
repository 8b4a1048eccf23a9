"""Any text-classification dataset: other column names, header-less files, dataset.toml, string
labels with several classes, no test file; and one sentence for each mistake."""

from __future__ import annotations

import csv
import os
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data._loading import load_data
from core.errors import DataError
from core.knobs._fields import DataConfig
from tests.conftest import make_reviews

TOPICS = {
    "World": ["election", "minister", "border", "treaty"],
    "Sports": ["match", "goal", "league", "coach"],
    "Business": ["market", "shares", "profit", "merger"],
    "Sci/Tech": ["software", "chip", "research", "space"],
}


def make_news(n: int, seed: int) -> pd.DataFrame:
    """Short news items in 4 string classes, with a title and a body."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        topic = list(TOPICS)[i % 4]
        body = " ".join(
            rng.choice(TOPICS[topic] + ["the", "a", "today", "report"]) for _ in range(12)
        )
        rows.append(
            {"title": f"{rng.choice(TOPICS[topic])} news {i}", "body": body, "topic": topic}
        )
    return pd.DataFrame(rows)


def _load(folder: Path, **cfg) -> object:
    return load_data(DataConfig(data=str(folder), val_fraction=0.25, **cfg))


def _write_csv(df: pd.DataFrame, path: Path, sep: str = ",", header: bool = True) -> None:
    if sep == "\t":
        df.to_csv(path, sep="\t", index=False, header=header, quoting=csv.QUOTE_NONE)
    else:
        df.to_csv(path, index=False, header=header)


# --------------------------------------------------------------------------------------------
# Layouts
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
@pytest.mark.parametrize("header", [True, False])
def test_csv_and_tsv_with_or_without_a_header(tmp_path: Path, suffix: str, header: bool) -> None:
    reviews = make_reviews(80, 1).rename(columns={"text": "review", "label": "stars"})
    reviews = reviews[["stars", "review"]]  # the label first, as many corpora ship
    sep = "\t" if suffix == ".tsv" else ","
    _write_csv(reviews, tmp_path / f"train{suffix}", sep, header)
    _write_csv(reviews.head(20), tmp_path / f"test{suffix}", sep, header)
    data = _load(tmp_path)
    assert data.sizes["test"] == 20  # the first review is a row, not a header
    assert len(data.splits["train"]) + len(data.splits["validation"]) == 80
    assert set(data.splits["test"]["text"]) == set(reviews.head(20)["review"])
    assert data.label_names == ["0", "1"]


@pytest.mark.parametrize("quoted_row", [1, 150])  # in the header guess's sample, or after it
def test_a_tsv_whose_tabbed_texts_are_quoted_reads_them_whole(
    tmp_path: Path, quoted_row: int
) -> None:
    reviews = make_reviews(200, 4)[["label", "text"]]
    reviews.loc[quoted_row, "text"] = 'A "title"\twith a tab, and a line\nbreak inside'
    reviews.to_csv(tmp_path / "train.tsv", sep="\t", index=False, header=False)  # pandas quotes
    data = load_data(DataConfig(data=str(tmp_path), val_fraction=0.25))
    texts = [*data.splits["train"]["text"], *data.splits["validation"]["text"]]
    texts += data.splits["test"]["text"]
    assert sum(data.sizes.values()) == 200  # the first row is data, the quoted one one row
    assert 'A "title"\twith a tab, and a line\nbreak inside' in texts


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_json_lines_and_parquet_with_other_column_names(tmp_path: Path, suffix: str) -> None:
    reviews = make_reviews(80, 2).rename(columns={"text": "content", "label": "sentiment"})
    for split, df in (("train", reviews), ("test", reviews.head(20))):
        if suffix == ".jsonl":
            df.to_json(
                tmp_path / f"train{suffix}".replace("train", split), orient="records", lines=True
            )
        else:
            df.to_parquet(tmp_path / f"{split}{suffix}")
    data = _load(tmp_path)
    assert data.sizes["test"] == 20
    assert set(data.splits["test"]["text"]) == set(reviews.head(20)["content"])


def test_dataset_toml_joins_two_text_columns_and_names_string_labels(tmp_path: Path) -> None:
    news = make_news(120, 3)
    news.to_csv(tmp_path / "train.csv", index=False)
    news.head(40).to_csv(tmp_path / "test.csv", index=False)
    (tmp_path / "dataset.toml").write_text(
        'name = "Tiny News"\n'
        'text_column = ["title", "body"]\n'
        'text_separator = " | "\n'
        'label_column = "topic"\n'
        'label_names = ["World", "Sports", "Business", "Sci/Tech"]\n'
    )
    data = _load(tmp_path)
    assert data.name == "Tiny News"
    assert data.label_names == ["World", "Sports", "Business", "Sci/Tech"]  # the file's order
    first = data.splits["test"][0]
    row = news.head(40).set_index(news.head(40)["title"] + " | " + news.head(40)["body"])
    assert row.loc[first["text"], "topic"] == data.label_names[first["label"]]


def test_string_labels_with_four_classes_are_sorted_when_unnamed(tmp_path: Path) -> None:
    news = make_news(120, 4)
    news["text"] = news["title"] + ". " + news["body"]
    news[["text", "topic"]].to_csv(tmp_path / "train.csv", index=False)
    news[["text", "topic"]].head(40).to_csv(tmp_path / "test.csv", index=False)
    data = _load(tmp_path)
    assert data.label_names == sorted(TOPICS)  # "topic" is not a label-like name: but the only
    assert set(data.splits["test"]["label"]) == {0, 1, 2, 3}  # other column, so it is the label


def test_integer_labels_that_are_not_zero_based(tmp_path: Path) -> None:
    news = make_news(80, 5)
    news["label"] = news["topic"].map({t: i + 1 for i, t in enumerate(TOPICS)})  # 1..4
    news[["body", "label"]].to_parquet(tmp_path / "train.parquet")
    news[["body", "label"]].head(20).to_parquet(tmp_path / "test.parquet")
    data = _load(tmp_path)
    assert data.label_names == ["1", "2", "3", "4"]


def test_environment_settings_name_the_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    news = make_news(80, 6)
    news.to_csv(tmp_path / "train.csv", index=False)
    news.head(20).to_csv(tmp_path / "test.csv", index=False)
    monkeypatch.setenv("EXPLORER_TEXT_COLUMN", "title,body")
    monkeypatch.setenv("EXPLORER_LABEL_COLUMN", "topic")
    data = _load(tmp_path)
    assert data.splits["test"][0]["text"].count("\n") == 1  # joined with the default separator


def test_without_a_test_file_a_seeded_stratified_test_split_is_carved(tmp_path: Path) -> None:
    make_reviews(200, 7).to_csv(tmp_path / "train.csv", index=False)
    data = _load(tmp_path)
    assert data.test_carved
    assert data.sizes["test"] == 40  # 20 % of train
    test = set(data.splits["test"]["text"])
    assert test.isdisjoint(data.splits["train"]["text"]) and test.isdisjoint(
        data.splits["validation"]["text"]
    )
    assert sum(data.splits["test"]["label"]) == 20  # the same share of each class
    again = _load(tmp_path)
    assert list(again.splits["test"]["text"]) == list(data.splits["test"]["text"])
    with_file = tmp_path / "with-test"
    with_file.mkdir()
    make_reviews(200, 7).to_csv(with_file / "train.csv", index=False)
    make_reviews(50, 8).to_csv(with_file / "test.csv", index=False)
    assert not _load(with_file).test_carved


# --------------------------------------------------------------------------------------------
# Mistakes and ambiguity: one sentence each, nothing written
# --------------------------------------------------------------------------------------------


def _one_sentence(err: DataError) -> str:
    message = str(err)
    assert "\n" not in message and message.endswith(".")
    return message


def _news_folder(tmp_path: Path, toml: str | None = None) -> Path:
    news = make_news(80, 9)
    news.to_csv(tmp_path / "train.csv", index=False)
    news.head(20).to_csv(tmp_path / "test.csv", index=False)
    if toml is not None:
        (tmp_path / "dataset.toml").write_text(toml)
    return tmp_path


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('text_colum = "body"\n', "has an unknown key 'text_colum'; the keys are name, "),
        ('text_column = "story"\n', "Column 'story' is not in"),
        ('text_column = "body"\nlabel_column = "kind"\n', "Column 'kind' is not in"),
        ("header = 3\n", "header in"),
        ('noun = "two/words"\n', "noun in"),
        ("text_column = [\n", "is not valid TOML"),
    ],
)
def test_a_bad_description_is_one_sentence(tmp_path: Path, toml: str, expected: str) -> None:
    folder = _news_folder(tmp_path, toml)
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(DataError) as err:
        _load(folder)
    assert expected in _one_sentence(err.value)
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing written


def test_two_text_columns_without_a_description_name_the_candidates(tmp_path: Path) -> None:
    news = make_news(80, 10)
    news["title"] = news["title"] + " and a longer headline about it"
    news.to_csv(tmp_path / "train.csv", index=False)
    news.head(20).to_csv(tmp_path / "test.csv", index=False)
    with pytest.raises(DataError) as err:
        _load(tmp_path)
    message = _one_sentence(err.value)
    assert "Several columns" in message and "body, title" in message
    assert "text_column in dataset.toml" in message


def test_a_text_column_of_numbers_is_refused(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {"text": [str(i * 7) for i in range(60)], "label": [i % 2 for i in range(60)]}
    )
    df.to_csv(tmp_path / "train.csv", index=False)
    df.head(10).to_csv(tmp_path / "test.csv", index=False)
    with pytest.raises(DataError, match="holds numbers, not text"):
        _load(tmp_path)


def test_a_label_only_in_test_is_refused(tmp_path: Path) -> None:
    train = make_reviews(60, 11)
    test = make_reviews(20, 12)
    test.loc[0, "label"] = 2
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    with pytest.raises(DataError, match="The test split has labels that train lacks: 2;"):
        _load(tmp_path)


@pytest.mark.parametrize("with_test", [True, False])
def test_continuous_labels_are_named_as_such(tmp_path: Path, with_test: bool) -> None:
    """Scores from 0 to 1 are not classes: one sentence says so, with or without a test file
    (before, a test file gave "labels that train lacks" and no test file made each score a
    class)."""
    rng = np.random.default_rng(0)
    train = make_reviews(60, 14).assign(label=rng.uniform(0, 1, 60).round(3))
    train.to_csv(tmp_path / "train.csv", index=False)
    if with_test:
        test = make_reviews(20, 15).assign(label=rng.uniform(0, 1, 20).round(3))
        test.to_csv(tmp_path / "test.csv", index=False)
    with pytest.raises(DataError, match=r"^The labels are continuous numbers \(") as err:
        _load(tmp_path)
    assert "not classes" in str(err.value) and "\n" not in str(err.value)


def test_half_star_ratings_stay_classes(tmp_path: Path) -> None:
    """A few fractional values (ratings in half stars) are classes."""
    stars = [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0]
    train = make_reviews(90, 16).assign(label=[stars[i % 9] for i in range(90)])
    train.to_csv(tmp_path / "train.csv", index=False)
    train.head(18).to_csv(tmp_path / "test.csv", index=False)
    data = _load(tmp_path)
    assert len(data.label_names) == 9


def test_one_class_is_refused(tmp_path: Path) -> None:
    train = make_reviews(60, 13).assign(label=1)
    train.to_csv(tmp_path / "train.csv", index=False)
    train.head(10).to_csv(tmp_path / "test.csv", index=False)
    with pytest.raises(DataError, match="only one label"):
        _load(tmp_path)


def test_description_values_are_checked(tmp_path: Path) -> None:
    folder = _news_folder(tmp_path, 'label_names = ["a", "a"]\n')
    with pytest.raises(DataError, match="repeat a name"):
        _load(folder)


# --------------------------------------------------------------------------------------------
# Several datasets
# --------------------------------------------------------------------------------------------


def test_a_folder_of_datasets_and_a_list(tmp_path: Path) -> None:
    from core.data._files import DatasetEntry, list_datasets

    root = tmp_path / "all"
    for name in ("b-reviews", "a-news"):
        (root / name).mkdir(parents=True)
        make_reviews(40, 1).to_csv(root / name / "train.csv", index=False)
    (root / "a-news" / "dataset.toml").write_text('name = "News"\n')
    (root / "notes").mkdir()  # not a dataset: listed as unusable, with the reason
    (root / ".git").mkdir()  # hidden: not listed
    assert list_datasets(str(root)) == [
        DatasetEntry("News", str(root / "a-news")),
        DatasetEntry("b-reviews", str(root / "b-reviews")),
        DatasetEntry(
            "notes",
            str(root / "notes"),
            "notes: it has no train file (parquet, CSV, TSV or JSON lines).",
        ),
    ]
    both = os.pathsep.join([str(root / "b-reviews"), str(root / "b-reviews"), "stanfordnlp/imdb"])
    assert [e.name for e in list_datasets(both)] == [
        "b-reviews",
        "b-reviews (2)",
        "stanfordnlp/imdb",
    ]
    with pytest.raises(DataError, match=r"holds no dataset"):
        list_datasets(str(root / "notes"))
    with pytest.raises(DataError, match=r"holds several datasets \(a-news, b-reviews\); name one"):
        _load(root)  # one dataset at a time: the CLI's --data names one


def test_a_first_row_with_a_number_where_the_column_holds_numbers_is_data(tmp_path: Path) -> None:
    """Short texts and scores, no header: a header names its columns, and "0.512" names none,
    so the first row is read as data (before, it became the header)."""
    rows = [f"item {i}\t{(i * 37 % 100) / 100:.3f}" for i in range(40)]
    (tmp_path / "train.tsv").write_text("\n".join(rows) + "\n")
    from core.data._files import read_table

    table = read_table(tmp_path / "train.tsv")
    assert table.attrs["header"] is False and len(table) == 40
