"""Studies: presets, the editable space, errors, cost, and a one-trial study in a worker process."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.knobs._fields import get_knobs
from tests.app.conftest import TINY_KNOBS, new_app, wait_for

PAGE = "app_pages/studies.py"
ROW = {k.name: i for i, k in enumerate(get_knobs("cnn"))}


def edit_space(at: AppTest, rows: dict[str, dict]) -> AppTest:
    at.session_state["studies_space_cnn"] = {
        "edited_rows": {ROW[name]: change for name, change in rows.items()},
        "added_rows": [],
        "deleted_rows": [],
    }
    return at.run()


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_presets_and_cost(app_env: str) -> None:
    at = new_app(PAGE)
    assert {"cnn", "rnn", "seed_cnn", "seed_rnn"} <= set(at.selectbox(key="studies_preset").options)
    at.selectbox(key="studies_preset").set_value("cnn").run()
    assert any(i.value.startswith("Estimated cost:") for i in at.info)
    assert not at.button(key="studies_launch").disabled


def test_a_compute_budget_says_what_it_buys(app_env: str) -> None:
    """A budget replaces the number of trials: the page estimates how many trials it buys with
    and without the preset's pruner, and a bad budget is one sentence that blocks Launch."""
    at = new_app(PAGE)
    at.selectbox(key="studies_preset").set_value("cnn").run()
    at.text_input(key="studies_budget_cnn").input("20000 steps").run()
    estimates = [i.value for i in at.info if i.value.startswith("Estimated:")]
    assert (
        estimates
        and "With 20,000 training steps: about 31 trials without pruning" in (estimates[0])
    )
    assert "with successive halving" in estimates[0]
    assert not at.button(key="studies_launch").disabled
    at.text_input(key="studies_budget_cnn").input("lots").run()
    assert at.error[0].value.startswith("budget 'lots' is not a budget")
    assert at.button(key="studies_launch").disabled


def test_a_bad_range_is_one_sentence(app_env: str) -> None:
    at = new_app(PAGE)
    at.selectbox(key="studies_preset").set_value("cnn").run()
    at = edit_space(at, {"learning_rate": {"low": 0.1, "high": 0.001}})
    assert len(at.error) == 1
    assert at.error[0].value.startswith("params.learning_rate: low (0.1) must not be greater")
    assert at.button(key="studies_launch").disabled


def test_launch_a_tiny_study_and_follow_it(app_env: str) -> None:
    at = new_app(PAGE)
    at.selectbox(key="studies_preset").set_value("cnn").run()
    fixed = TINY_KNOBS | {"num_filters": 8, "early_stopping_patience": 0}
    rows = {k.name: {"search": False} for k in get_knobs("cnn") if k.name != "learning_rate"}
    for name, value in fixed.items():
        rows[name] = {"search": False, "fixed": str(value)}
    at = edit_space(at, rows)
    at.text_input(key="studies_name_cnn").input("tiny-cnn").run()
    at.number_input(key="studies_trials_cnn").set_value(1).run()
    at.number_input(key="studies_minutes_cnn").set_value(0).run()
    assert not at.error, [e.value for e in at.error]
    at.button(key="studies_launch").click().run()
    assert at.success[0].value == "Launched 1 worker(s) for study 'tiny-cnn'."
    wait_for(at, lambda a: metric(a, "complete") == "1", timeout=150)
    assert at.selectbox(key="studies_follow").value == "tiny-cnn"
    assert metric(at, "best so far").endswith("%")
    from app_pages._resources import get_worker_registry

    wait_for(at, lambda a: not get_worker_registry().alive(), timeout=30)  # the worker exits


def test_the_monitor_follows_new_trials_through_the_servers_reader(app_env: str) -> None:
    """The monitor reads the followed study through the server's shared reader (only the changed
    trials on each refresh): a trial that fails after the first read is reported on the next,
    and the history is Results' SVG (no plotly chart, so no plotly.js for a new visitor)."""
    import optuna
    from optuna.trial import TrialState

    from app_pages._resources import get_study_reader

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name="watched", storage=app_env, direction="maximize")
    study.add_trial(
        optuna.trial.create_trial(
            value=0.8,
            params={"x": 0.5},
            distributions={"x": optuna.distributions.FloatDistribution(0, 1)},
        )
    )
    at = new_app(PAGE)
    assert at.selectbox(key="studies_follow").value == "watched"
    assert metric(at, "complete") == "1" and not at.warning
    assert not at.get("plotly_chart")
    assert any("<svg" in m.value for m in at.markdown)
    at.toggle(key="studies_interactive").set_value(True).run()
    assert len(at.get("plotly_chart")) == 1  # the zoomable history, on demand
    at.toggle(key="studies_interactive").set_value(False).run()
    first = get_study_reader(app_env).read("watched")
    study.add_trial(
        optuna.trial.create_trial(state=TrialState.FAIL, user_attrs={"message": "out of memory"})
    )
    at.run()
    assert [w.value for w in at.warning] == ["1 trial(s) failed. Trial #1 failed: out of memory"]
    again = get_study_reader(app_env).read("watched")
    assert again.version != first.version and again.reread == 0  # nothing new since the page
