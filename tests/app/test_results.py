"""Results: best trial card, every figure, the trial table with filter and CSV, comparison."""

from __future__ import annotations

import json

import optuna
import pandas as pd
import pytest
from optuna.trial import TrialState

from core.figures._study import FIGURES
from tests.app.conftest import new_app
from tests.core.studies.conftest import needs_postgres, temporary_postgres_database

PAGE = "app_pages/results.py"


def make_study(url: str, name: str, n: int) -> None:
    """A synthetic study with learning curves (no training): quick to build."""

    def objective(trial: optuna.Trial) -> float:
        lr = trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True)
        batch = trial.suggest_categorical("batch_size", [16, 64])
        dropout = trial.suggest_float("dropout", 0.0, 0.5)
        value = 0.9 - abs(lr - 3e-3) - dropout / 10 - (batch == 64) * 0.01
        for step in (100, 200, 300):
            trial.report(value * step / 300, step)
        trial.set_user_attr("test_accuracy", value - 0.01)
        return value

    study = optuna.create_study(
        study_name=name,
        storage=url,
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    study.optimize(objective, n_trials=n)


@pytest.fixture
def two_studies(app_env: str) -> str:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    make_study(app_env, "alpha", 12)
    make_study(app_env, "beta", 6)
    return app_env


def test_empty_storage(app_env: str) -> None:
    at = new_app(PAGE)
    assert any("No study" in i.value for i in at.info)


def test_studies_without_trials_open_and_compare(app_env: str) -> None:
    """Studies created from their files but not run yet: the page says so, and comparing them
    draws an empty comparison instead of an exception."""
    from core.cli import main
    from core.settings import PROJECT_ROOT

    for spec in ("cnn", "rnn"):
        path = PROJECT_ROOT / "studies" / f"{spec}.toml"
        assert main(["study", "create", str(path), "--storage", app_env]) == 0
    at = new_app(PAGE)
    assert not at.exception, [e.value for e in at.exception]
    assert sorted(at.multiselect(key="results_compare").value) == ["cnn", "rnn"]
    assert at.get("plotly_chart")  # the (empty) comparison is drawn


def test_every_figure_and_the_table(two_studies: str) -> None:
    at = new_app(PAGE)
    assert at.selectbox(key="study").value in ("alpha", "beta")
    at.selectbox(key="study").set_value("alpha").run()
    assert at.subheader[0].value.startswith("Best trial #")
    for kind in FIGURES:
        at.segmented_control(key="plot").set_value(kind).run()
        assert not at.exception, (kind, [e.value for e in at.exception])
        assert not at.warning, (kind, [w.value for w in at.warning])
    at.text_input(key="results_query").input("value > 0.85").run()
    caption = next(c.value for c in at.caption if c.value.startswith("showing"))
    assert caption.endswith("of 12 trials, sorted by value (click a column to sort)")
    assert at.download_button(key="results_csv") is not None
    at.text_input(key="results_query").input("no_such_column > 1").run()
    assert len(at.error) == 1 and "could not be applied" in at.error[0].value
    # comparison of the two studies
    assert sorted(at.multiselect(key="results_compare").value) == ["alpha", "beta"]
    assert not at.exception


def test_the_table_is_sorted_and_paged_on_the_server(
    two_studies: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The browser gets one page of rows, best first; the filter and the pages agree."""
    monkeypatch.setattr("app_pages._trials_view.PAGE_ROWS", 5)
    at = new_app(PAGE)
    at.selectbox(key="study").set_value("alpha").run()

    def rows() -> pd.DataFrame:
        return next(d.value for d in at.dataframe if "state" in d.value.columns)

    def caption() -> str:
        return next(c.value for c in at.caption if c.value.startswith("showing"))

    all_values = optuna.load_study(study_name="alpha", storage=two_studies).trials
    best_five = sorted((t.value for t in all_values), reverse=True)[:5]
    assert rows()["value"].tolist() == best_five
    assert caption().startswith("showing 12 of 12 trials: rows 1–5, page 1 of 3, sorted by value")
    at.selectbox(key="results_page").set_value(3).run()
    assert len(rows()) == 2 and "rows 11–12, page 3 of 3" in caption()
    at.toggle(key="results_descending").set_value(False).run()
    assert rows()["value"].tolist() == sorted(t.value for t in all_values)[-2:]
    at.selectbox(key="results_sort").set_value("number").run()
    assert rows()["number"].tolist() == [10, 11]
    at.text_input(key="results_query").input("number < 7").run()  # 2 pages left: page 3 -> 2
    assert "page 2 of 2" in caption() and rows()["number"].tolist() == [5, 6]
    at.text_input(key="results_query").input("number < 3").run()  # one page: no page input
    assert caption().startswith("showing 3 of 12 trials, sorted by number")
    assert "results_page" not in [s.key for s in at.selectbox] and not at.exception


@needs_postgres
def test_results_page_on_postgresql(app_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same page, with the storage setting a PostgreSQL URL; the password never shows."""
    from sqlalchemy import make_url

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with temporary_postgres_database() as url:
        monkeypatch.setenv("EXPLORER_STORAGE", url)
        make_study(url, "pg-study", 8)
        at = new_app(PAGE)
        assert at.selectbox(key="study").value == "pg-study"
        assert at.subheader[0].value.startswith("Best trial #")
        at.segmented_control(key="plot").set_value("parallel").run()
        assert not at.exception, [e.value for e in at.exception]
        password = make_url(url).password
        shown = [m.value for m in (*at.caption, *at.markdown, *at.error, *at.info)]
        assert password and not any(password in text for text in shown)
        assert any("***" in text for text in shown)  # the sidebar shows the masked URL


def test_a_failed_trial_shows_its_reason(app_env: str) -> None:
    """A trial that failed (say, its data could not be read) says why, not only "fail 1"."""
    from core.studies.storage._queries import describe_failures

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name="broken", storage=app_env, direction="maximize")

    def objective(trial: optuna.Trial) -> float:
        trial.set_user_attr("message", "There is no data at /nowhere; set EXPLORER_DATA.")
        raise RuntimeError("no data")

    study.optimize(objective, n_trials=2, catch=(RuntimeError,))
    lines = describe_failures(study.trials)
    assert lines == [
        "Trial #1 failed: There is no data at /nowhere; set EXPLORER_DATA.",
        "Trial #0 failed: There is no data at /nowhere; set EXPLORER_DATA.",
    ]
    at = new_app(PAGE)
    warnings = " ".join(w.value for w in at.warning)
    assert "2 trial(s) failed" in warnings and "There is no data at /nowhere" in warnings


def test_a_rerun_shows_what_changed_since(app_env: str) -> None:
    """A rerun while a study runs (the page rereads only what changed) shows new trials, a new
    best and a running trial, as a fresh read would."""
    from optuna.distributions import FloatDistribution
    from optuna.trial import create_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    make_study(app_env, "alpha", 6)
    at = new_app(PAGE)

    def table_caption() -> str:
        return next(c.value for c in at.caption if c.value.startswith("showing"))

    assert table_caption().startswith("showing 6 of 6 trials")
    study = optuna.load_study(study_name="alpha", storage=app_env)
    lr = FloatDistribution(1e-4, 1e-1, log=True)
    study.add_trial(
        create_trial(
            value=0.99, params={"learning_rate": 3e-3}, distributions={"learning_rate": lr}
        )
    )
    at.run()
    assert table_caption().startswith("showing 7 of 7 trials")
    assert at.subheader[0].value == "Best trial #6"
    assert any(c.value.startswith("Validation: a random 10 % of each class") for c in at.caption)
    running = study.ask({"learning_rate": lr})
    running.report(0.5, step=100)
    at.run()
    assert table_caption().startswith("showing 8 of 8 trials")  # the new state is shown
    assert "RUNNING" in at.multiselect(key="results_states").value
    at.multiselect(key="results_states").unselect("COMPLETE").run()  # a choice is kept
    assert table_caption().startswith("showing 1 of 8 trials")
    at.run()
    assert at.multiselect(key="results_states").value == ["RUNNING"]
    at.multiselect(key="results_states").select("COMPLETE").run()
    at.segmented_control(key="plot").set_value("timeline").run()
    assert not at.exception and not at.warning
    study.tell(running, 0.995)
    at.run()
    assert at.subheader[0].value == "Best trial #7"
    assert "RUNNING" not in at.multiselect(key="results_states").options


def test_what_the_budget_bought_panel(app_env: str) -> None:
    """Three trials the pruner stopped at 100 of their 600 steps, one completed at 600: 900
    steps spent, which would have bought 1.5 trials of 600 steps unpruned."""
    study = optuna.create_study(study_name="pruned", storage=app_env, direction="maximize")
    dist = {"max_steps": optuna.distributions.IntDistribution(100, 1000)}
    for i, (state, steps) in enumerate(
        [(TrialState.COMPLETE, 600)] + [(TrialState.PRUNED, 100)] * 3
    ):
        study.add_trial(
            optuna.trial.create_trial(
                state=state,
                value=0.9 if state == TrialState.COMPLETE else None,
                params={"max_steps": 600},
                distributions=dist,
                intermediate_values={100: 0.8 - i / 100},
                user_attrs={"steps": steps, "status": state.name.lower()},
            )
        )
    make_study(app_env, "unpruned", 3)  # its trials record no steps: no panel
    at = new_app(PAGE)
    at.selectbox(key="study").set_value("pruned").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["training steps spent"] == "900"
    assert metrics["trials tried"] == "4"
    assert metrics["trials without pruning"] == "~2"  # 900 / (2400 / 4) = 1.5
    saved = f"{1 - 900 / 2400:.0%} of the total saved"
    assert any(saved in c.value for c in at.caption)
    at.selectbox(key="study").set_value("unpruned").run()
    assert "training steps spent" not in {m.label for m in at.metric}


def test_the_linear_baseline_is_drawn_beside_the_study(
    app_env: str, tiny_data_dir, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.data._baseline import get_baseline
    from core.knobs._fields import DataConfig

    monkeypatch.setenv("EXPLORER_CACHE", str(tmp_path / "cache"))  # other tests expect none

    base = get_baseline(
        DataConfig(data=str(tiny_data_dir))
    )  # cached, as `core.data._baseline` does
    study = optuna.create_study(study_name="on-tiny", storage=app_env, direction="maximize")
    for i in range(3):
        t = study.ask()
        t.suggest_float("learning_rate", 1e-3, 1e-1, log=True)
        t.set_user_attr("data_fingerprint", base.fingerprint)
        study.tell(t, 0.5 + i / 10)
    at = new_app(PAGE)
    assert not at.exception
    caption = next(c.value for c in at.caption if "linear baseline" in c.value)
    assert f"validation {base.val_accuracy:.1%}" in caption and "does not beat it" in caption
    assert not at.get("plotly_chart")  # the history is static SVG by default: no plotly.js
    svg = next(m.value for m in at.markdown if m.value.startswith("<svg"))
    assert f"baseline, validation {base.val_accuracy:.1%}" in svg
    assert svg.count("<circle") >= 3 + 4  # a dot per trial, plus the legend's
    at.toggle(key="results_interactive").set_value(True).run()
    spec = json.loads(
        next(
            c for c in at.get("plotly_chart") if c.proto.id.endswith("results_fig_history")
        ).proto.spec
    )
    lines = [s["y0"] for s in spec["layout"]["shapes"] if s["line"].get("dash") == "dash"]
    assert sorted(lines) == sorted([base.val_accuracy, base.test_accuracy])


def test_a_big_study_s_history_is_an_image(
    two_studies: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the dot limit the history has nothing to hover: it goes as a Markdown image (no raw
    HTML for the browser to parse), the SVG inside it."""
    import base64

    monkeypatch.setattr("core.figures._history_svg.DOT_LIMIT", 10)
    at = new_app(PAGE)
    at.selectbox(key="study").set_value("alpha").run()  # 12 trials: an image
    image = next(m.value for m in at.markdown if m.value.startswith("!["))
    assert image.startswith("![Optimisation history of alpha](data:image/svg+xml;base64,")
    svg = base64.b64decode(image.split(",", 1)[1].rstrip(")")).decode()
    assert svg.startswith("<svg") and "Optimisation history of 12 trials" in svg
    at.selectbox(key="study").set_value("beta").run()  # 6 trials: inline, hover names each dot
    assert any(m.value.startswith("<svg") and "trial #0" in m.value for m in at.markdown)
    assert not any(m.value.startswith("![") for m in at.markdown) and not at.exception
