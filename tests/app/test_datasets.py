"""Several datasets in one app: the sidebar picks one; Home, the Playground and the trials follow
it, and runs on one dataset never land among another's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import optuna
import pytest

from tests.app.conftest import TINY_KNOBS, new_app, wait_for
from tests.app.test_browser import CHROMIUM, launch_chromium, streamlit_server
from tests.conftest import make_reviews
from tests.core.data.test_description import make_news

PLAYGROUND = "app_pages/playground.py"


@pytest.fixture
def two_datasets(app_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """EXPLORER_DATA names a folder of two dataset folders: 2-class reviews and 4-class news."""
    root = tmp_path / "datasets"
    reviews, news = root / "reviews", root / "news"
    reviews.mkdir(parents=True)
    news.mkdir()
    make_reviews(240, 1).to_parquet(reviews / "train.parquet")
    make_reviews(60, 2).to_parquet(reviews / "test.parquet")
    items = make_news(240, 3)
    items.to_csv(news / "train.csv", index=False, header=False)  # no header, no test file
    (news / "dataset.toml").write_text(
        'name = "Tiny News"\n'
        "header = false\n"
        'text_column = ["col1", "col2"]\n'
        'label_column = "col3"\n'
    )
    monkeypatch.setenv("EXPLORER_DATA", str(root))
    return root


def _train(at, family: str = "cnn") -> None:
    for name, value in TINY_KNOBS.items():
        at.session_state[f"playground_{family}_{name}"] = value
    at.run()
    at.button(key="playground_train").click().run()
    wait_for(at, lambda a: bool(a.success) or any("failed" in e.value for e in a.error))
    assert not at.error, [e.value for e in at.error]


def test_switching_the_dataset_changes_home_and_the_playground(
    two_datasets: Path, app_env: str
) -> None:
    at = new_app()
    assert at.selectbox(key="dataset").options == ["Tiny News", "reviews"]
    markdown = " ".join(m.value for m in at.markdown)
    assert "**Dataset:** Tiny News" in markdown and "**4 classes:**" in markdown
    assert any("carved from train" in w.value for w in at.warning)  # no test file: said so
    news_sizes = {m.label: m.value for m in at.metric}

    at.selectbox(key="dataset").set_value("reviews").run()
    markdown = " ".join(m.value for m in at.markdown)
    assert "**Dataset:** reviews" in markdown and "**2 classes:**" in markdown
    assert not any("carved from train" in w.value for w in at.warning)
    assert {m.label: m.value for m in at.metric} != news_sizes
    assert at.query_params["dataset"] == "reviews"  # a link names the dataset

    # a run on each dataset; each dataset's Playground shows only its own
    at.switch_page(PLAYGROUND).run()
    _train(at)
    wait_for(at, lambda a: any("only" in c.value and "reviews" in c.value for c in a.caption))
    assert list(at.dataframe[-1].value["number"]) == [0]
    at.selectbox(key="dataset").set_value("Tiny News").run()
    _train(at)
    wait_for(at, lambda a: any("only" in c.value and "Tiny News" in c.value for c in a.caption))
    assert list(at.dataframe[-1].value["number"]) == [1]  # not the reviews run #0
    result = " ".join(c.value for c in at.caption)
    assert "Data: **Tiny News**." in result and "carved from train" in result

    trials = optuna.load_study(study_name="playground-cnn", storage=app_env).trials
    assert [t.user_attrs["dataset"] for t in trials] == ["reviews", "Tiny News"]
    assert trials[0].user_attrs["data_fingerprint"] != trials[1].user_attrs["data_fingerprint"]
    assert [t.user_attrs["test_carved"] for t in trials] == [False, True]

    # Results says the Playground study mixes two datasets, and which
    at.switch_page("app_pages/results.py").run()
    at.selectbox(key="study").set_value("playground-cnn").run()
    warning = next(w.value for w in at.warning if "datasets" in w.value)
    assert "trained on 2 datasets (Tiny News, reviews)" in warning
    # its best trial is the picked dataset's: the news run (test carved from train, said)...
    assert at.subheader[0].value == "Best trial #1"
    assert any(
        c.value == "Best trial on **Tiny News**, the dataset picked in the sidebar."
        for c in at.caption
    )
    assert any("carved from train" in c.value for c in at.caption)
    # ... and with reviews picked, the reviews run, whatever the two values
    at.selectbox(key="dataset").set_value("reviews").run()
    assert at.subheader[0].value == "Best trial #0"
    assert not any("carved from train" in c.value for c in at.caption)
    tables = [d.value for d in at.dataframe if "dataset" in d.value.columns]
    assert any(set(t["dataset"]) == {"Tiny News", "reviews"} for t in tables)  # trials table


def test_a_folder_without_datasets_is_one_sentence(
    app_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "nothing-here"
    (empty / "notes").mkdir(parents=True)
    monkeypatch.setenv("EXPLORER_DATA", str(empty))
    at = new_app()
    assert len(at.error) == 1
    assert at.error[0].value.startswith(f"The folder {empty} holds no dataset")
    assert not list(empty.rglob("*.*"))  # nothing written


def test_a_broken_dataset_beside_good_ones_is_said_and_the_others_stay(
    two_datasets: Path, app_env: str
) -> None:
    """A sub-folder with no train file is listed as unusable with its reason; a dataset that
    fails to load says why and points to the others, not "No data is available"."""
    (two_datasets / "drafts").mkdir()
    (two_datasets / "drafts" / "notes.txt").write_text("not data")
    broken = two_datasets / "broken"
    broken.mkdir()
    (broken / "train.csv").write_text("text,label\n")  # a header and no rows
    at = new_app()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="dataset").options == ["broken", "Tiny News", "reviews"]
    unusable = [c.value for c in at.sidebar.caption if c.value.startswith("Unusable:")]
    assert unusable == ["Unusable: drafts: it has no train file (parquet, CSV, TSV or JSON lines)."]
    at.selectbox(key="dataset").set_value("broken").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error, "the broken dataset's reason is shown"
    infos = " ".join(i.value for i in at.info)
    assert "No data is available" not in infos
    assert "Pick another dataset in the sidebar: Tiny News, reviews." in infos


def test_a_single_file_is_the_training_file(
    app_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EXPLORER_DATA naming one file: Home reads it as the training file and says the test split
    was carved from it (it used to fail only once Train was clicked)."""
    from core.data import list_datasets

    data = tmp_path / "reviews.csv"
    make_reviews(240, 1).to_csv(data, index=False)
    assert [(e.name, e.source, e.problem) for e in list_datasets(str(data))] == [
        ("reviews", str(data), "")
    ]
    monkeypatch.setenv("EXPLORER_DATA", str(data))
    at = new_app()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "**Dataset:** reviews" in " ".join(m.value for m in at.markdown)
    assert any("carved from train" in w.value for w in at.warning)


@contextmanager
def _chromium_page(two_datasets: Path, app_env: str, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """`streamlit run` on the two datasets and a chromium page: (the app's URL, the page)."""
    import os

    from playwright.sync_api import expect, sync_playwright

    env = os.environ | {
        "EXPLORER_DATA": str(two_datasets),
        "EXPLORER_STORAGE": app_env,
        "EXPLORER_CACHE": str(tmp_path / "cache"),
    }
    expect.set_options(timeout=60_000)
    with streamlit_server(env, tmp_path / "streamlit.log") as url, sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            yield url, page
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)")
def test_the_link_keeps_the_dataset_across_pages_and_a_reload(
    two_datasets: Path, app_env: str, tmp_path: Path
) -> None:
    """In chromium: moving by the sidebar's page links dropped ``?dataset=``, so a reload or a
    copied link opened the first dataset."""
    from playwright.sync_api import expect

    with _chromium_page(two_datasets, app_env, tmp_path) as (url, page):
        page.goto(f"{url}/?dataset=reviews")
        expect(page.get_by_text("Dataset: reviews")).to_be_visible()
        page.get_by_role("link", name="Results").click()
        expect(page.get_by_role("heading", name="Results")).to_be_visible()
        page.wait_for_function("location.search.includes('dataset=reviews')")
        page.reload()
        page.get_by_role("link", name="Home").click()
        expect(page.get_by_text("Dataset: reviews")).to_be_visible()
        assert "dataset=reviews" in page.url


def test_homes_headline_shows_only_the_picked_datasets_runs(
    two_datasets: Path, app_env: str
) -> None:
    """One Playground study holds runs of both datasets; Home's best CNN is the picked
    dataset's, named, never the other one's higher number."""
    study = optuna.create_study(study_name="playground-cnn", storage=app_env, direction="maximize")
    study.set_user_attr("model", "cnn")
    for value, test, dataset in ((0.987, 0.985, "Tiny News"), (0.81, 0.80, "reviews")):
        study.add_trial(
            optuna.trial.create_trial(
                value=value,
                user_attrs={"test_accuracy": test, "dataset": dataset, "flat": {}},
            )
        )
    at = new_app()
    at.selectbox(key="dataset").set_value("reviews").run()
    metric = next(m for m in at.metric if m.label.startswith("best CNN"))
    assert (metric.label, metric.value) == ("best CNN on reviews: test accuracy", "80.0%")
    text = " ".join(c.value for c in at.caption)
    assert "validation 81.0% on a random 10 % of each class" in text and "98.7" not in text
    at.selectbox(key="dataset").set_value("Tiny News").run()
    metric = next(m for m in at.metric if m.label.startswith("best CNN"))
    assert (metric.label, metric.value) == ("best CNN on Tiny News: test accuracy", "98.5%")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)")
def test_no_page_shows_the_other_datasets_runs_in_chromium(
    two_datasets: Path, app_env: str, tmp_path: Path
) -> None:
    """Runs stored on both datasets (the news one scoring far higher, 98.7 %): with reviews
    picked, Home, Predict and Explore show neither the news runs' numbers nor its name, and
    Results' best trial is the reviews run."""
    from playwright.sync_api import expect

    study = optuna.create_study(study_name="playground-cnn", storage=app_env, direction="maximize")
    study.set_user_attr("model", "cnn")
    study.set_user_attr("kind", "playground")
    for value, test, dataset in ((0.9871, 0.9853, "Tiny News"), (0.8123, 0.8011, "reviews")):
        attrs = {"test_accuracy": test, "dataset": dataset, "data_fingerprint": dataset[:4]}
        study.add_trial(optuna.trial.create_trial(value=value, user_attrs=attrs | {"flat": {}}))
    with _chromium_page(two_datasets, app_env, tmp_path) as (url, page):

        def main_text() -> str:
            return page.get_by_test_id("stMain").inner_text()

        page.goto(f"{url}/?dataset=reviews")
        expect(page.get_by_text("best CNN on reviews: test accuracy")).to_be_visible()
        assert "80.1%" in main_text()  # Home: the reviews run's test accuracy
        for name in ("Home", "Predict", "Explore"):
            if name != "Home":
                page.get_by_role("link", name=name).click()
                expect(page.get_by_role("heading", name=name)).to_be_visible()
                page.wait_for_timeout(1500)  # the page's own reads
            text = main_text()
            assert "Tiny News" not in text and "98.5" not in text and "98.7" not in text, (
                name,
                text[:2000],
            )
        page.get_by_role("link", name="Results").click()
        expect(page.get_by_text("Best trial on reviews")).to_be_visible()
        expect(page.get_by_text("Best trial #1")).to_be_visible()


def test_predicts_text_box_starts_with_a_text_of_the_picked_dataset(
    two_datasets: Path, app_env: str
) -> None:
    """Not a film review on news: the box starts with the picked dataset's first test text, and
    follows a switch of dataset until the visitor types their own."""
    from core.data import load_data
    from core.knobs import DataConfig

    def first_test_text(name: str) -> str:
        return load_data(DataConfig(data=str(two_datasets / name))).splits["test"]["text"][0]

    at = new_app("app_pages/predict.py")
    assert at.text_area(key="predict_text").value == first_test_text("news")[:600]
    at.selectbox(key="dataset").set_value("reviews").run()
    assert at.text_area(key="predict_text").value == first_test_text("reviews")[:600]
    at.text_area(key="predict_text").input("my own words").run()
    at.selectbox(key="dataset").set_value("Tiny News").run()
    assert at.text_area(key="predict_text").value == "my own words"
