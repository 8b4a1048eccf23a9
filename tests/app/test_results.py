"""Results: best trial card, every figure, the trial table with filter and CSV, comparison."""

from __future__ import annotations

import optuna
import pytest

from core.studies.figures import FIGURES
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
    assert caption.endswith("of 12 trials (click a column to sort)")
    assert at.download_button(key="results_csv") is not None
    at.text_input(key="results_query").input("no_such_column > 1").run()
    assert len(at.error) == 1 and "could not be applied" in at.error[0].value
    # comparison of the two studies
    assert sorted(at.multiselect(key="results_compare").value) == ["alpha", "beta"]
    assert not at.exception


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
    from core.studies.queries import describe_failures

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
    running = study.ask({"learning_rate": lr})
    running.report(0.5, step=100)
    at.run()
    assert "of 8 trials" in table_caption()
    assert "RUNNING" in at.multiselect(key="results_states").options
    at.segmented_control(key="plot").set_value("timeline").run()
    assert not at.exception and not at.warning
    study.tell(running, 0.995)
    at.run()
    assert at.subheader[0].value == "Best trial #7"
    assert "RUNNING" not in at.multiselect(key="results_states").options
