"""The class view: every session's Playground runs on the picked dataset, by nickname, live,
replays included, filtered by an exercise link, with the names hidden on request."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, TINY_KNOBS, new_app, wait_for

PLAYGROUND = "app_pages/playground.py"
CLASS = "app_pages/class_view.py"


def _train(at: AppTest, nickname: str, **extra) -> None:
    at.text_input(key="nickname").set_value(nickname).run()
    for name, value in (TINY_KNOBS | extra).items():
        at.session_state[f"playground_cnn_{name}"] = value
    at.run()
    at.button(key="playground_train").click().run()
    wait_for(at, lambda a: bool(a.success) or any("failed" in e.value for e in a.error))
    assert not at.error, [e.value for e in at.error]


def _table(at: AppTest):
    return next(d.value for d in at.dataframe if "who" in d.value.columns)


def test_runs_of_two_sessions_appear_by_name_and_an_exercise_link_filters_them(
    app_env: str,
) -> None:
    teacher = new_app(CLASS)
    assert any("No Playground runs of the CNN" in i.value for i in teacher.info)

    ann = new_app(PLAYGROUND)
    _train(ann, "Ann", learning_rate=0.01)
    teacher.run()  # the page's fragment reruns every second; a rerun here stands for it
    table = _table(teacher)
    assert list(table["who"]) == ["Ann"] and table["test accuracy"].iloc[0] > 0

    # Cy clicks the same knobs: answered from the store, and still Cy's run in the class view
    cy = new_app(PLAYGROUND)
    _train(cy, "Cy", learning_rate=0.01)
    assert cy.success[0].value.startswith("Replayed: trial #0")
    teacher.run()
    table = _table(teacher).set_index("who")
    assert sorted(table.index) == ["Ann", "Cy"] and bool(table.loc["Cy", "replayed"])
    assert table.loc["Cy", "test accuracy"] == table.loc["Ann", "test accuracy"]

    bob = AppTest.from_file(APP, default_timeout=60)
    bob.query_params["hide"] = "vocab_size"
    bob.query_params["lock"] = "learning_rate:0.003"
    bob.run().switch_page(PLAYGROUND).run()
    assert any("[Class view](class?hide=vocab_size&lock=learning_rate" in i.value for i in bob.info)
    _train(bob, "Bob")
    teacher.run()
    assert sorted(_table(teacher)["who"]) == ["Ann", "Bob", "Cy"]
    caption = next(c.value for c in teacher.caption if "runs by" in c.value)
    assert "**3** runs by **3** people" in caption

    # the exercise link's class view: Bob's run only, its locked knob not offered as the axis
    linked = AppTest.from_file(APP, default_timeout=60)
    linked.query_params["hide"] = "vocab_size"
    linked.query_params["lock"] = "learning_rate:0.003"
    linked.run().switch_page(CLASS).run()
    assert list(_table(linked)["who"]) == ["Bob"]
    assert "learning_rate" not in linked.selectbox(key="class_knob").options

    teacher.toggle(key="class_hide_names").set_value(True).run()
    assert sorted(_table(teacher)["who"]) == ["Student A", "Student B", "Student C"]
    assert not any("Ann" in str(d.value) for d in teacher.dataframe)
