"""The read-only viewer in AppTest (no page offers a write, links select the study and plot,
a path in a link is refused) and exercise links on the Playground."""

from __future__ import annotations

import hashlib
from pathlib import Path

import optuna
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, TINY_KNOBS, open_app, serve_read_only, wait_for
from tests.app.test_results import make_study

VIEWING_PAGES = [
    "app_pages/home.py",
    "app_pages/explore.py",
    "app_pages/results.py",
    "app_pages/dashboard.py",
    "app_pages/class_view.py",
    "app_pages/predict.py",
]
WRITING_PAGES = ["app_pages/playground.py", "app_pages/studies.py"]
# The only buttons a viewer may have: the dashboard's refresh (a new copy) and downloads.
VIEWER_BUTTONS = {"dashboard_restart"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def viewer(app_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Read-only mode on a studies folder holding examples.db (two studies) and other.db."""
    folder = tmp_path / "studies"
    folder.mkdir()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    make_study(f"sqlite:///{folder / 'examples.db'}", "alpha", 12)
    make_study(f"sqlite:///{folder / 'examples.db'}", "beta", 6)
    make_study(f"sqlite:///{folder / 'other.db'}", "gamma", 4)
    return serve_read_only(folder, monkeypatch)


_app = open_app


def test_no_page_offers_a_write(viewer: Path) -> None:
    before = {p.name: sha256(p) for p in viewer.glob("*.db")}
    at = _app()
    assert not at.exception
    assert any("Read-only viewer" in i.value for i in at.sidebar.info)
    for page in VIEWING_PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        keys = {b.key for b in at.button}
        assert keys <= VIEWER_BUTTONS, (page, keys)
        for button in at.button:  # click what there is: nothing may write
            button.click().run()
            assert not at.exception
    for page in WRITING_PAGES:  # not in the navigation: switching there fails
        with pytest.raises(Exception, match="page"):
            at.switch_page(page).run()
    assert {p.name: sha256(p) for p in viewer.glob("*.db")} == before
    assert not (viewer / "explorer.db").exists()


def test_a_link_selects_the_study_and_the_plot(viewer: Path) -> None:
    at = _app(study="beta", plot="importances")
    at.switch_page("app_pages/results.py").run()
    assert not at.exception
    assert at.selectbox(key="study").value == "beta"
    assert at.segmented_control(key="plot").value == "importances"
    assert any("Best trial" in s.value for s in at.subheader)


def test_a_link_selects_the_study_file(viewer: Path) -> None:
    at = _app(db="other", study="gamma")
    at.switch_page("app_pages/results.py").run()
    assert at.sidebar.selectbox(key="db").value == "other"
    assert at.selectbox(key="study").value == "gamma"


@pytest.mark.parametrize("bad", ["../examples", "/etc/passwd", "sqlite:///tmp/x.db", "nope"])
def test_a_path_or_url_in_a_link_is_refused(viewer: Path, bad: str) -> None:
    before = sha256(viewer / "examples.db")
    at = _app(db=bad)
    at.switch_page("app_pages/results.py").run()
    assert not at.exception
    assert any("Ignored the link's study file" in w.value for w in at.sidebar.warning)
    assert at.sidebar.selectbox(key="db").value == "examples"  # the default, not the link's
    assert at.selectbox(key="study").value in ("alpha", "beta")
    assert sha256(viewer / "examples.db") == before


def test_an_unknown_study_in_a_link_is_named(viewer: Path) -> None:
    at = _app(study="zeta")
    at.switch_page("app_pages/results.py").run()
    assert any("zeta" in w.value for w in at.warning)


# ---- exercise links ---------------------------------------------------------------------------


def test_exercise_link_hides_and_locks(app_env: str) -> None:
    locks = {"learning_rate": 0.003} | {k: v for k, v in TINY_KNOBS.items() if k != "vocab_size"}
    lock = "model:cnn," + ",".join(f"{k}:{v}" for k, v in locks.items())
    at = _app(hide="vocab_size,cell,bogus", lock=lock + ",dropout:3")
    at.switch_page("app_pages/playground.py").run()
    assert not at.exception, [e.value for e in at.exception]
    family = at.segmented_control(key="playground_family")
    assert family.value == "cnn" and family.disabled
    slider_labels = {w.label for w in at.slider} | {w.label for w in at.select_slider}
    assert "vocab_size" not in slider_labels
    assert "learning_rate (log10)" not in slider_labels  # locked: not a slider
    locked = at.text_input(key="playground_cnn_learning_rate_locked")
    assert locked.disabled and locked.value == "0.003"
    assert "embedding_dim" not in slider_labels and "num_filters" in slider_labels
    warnings = " ".join(w.value for w in at.warning)
    assert "no knob named 'bogus'" in warnings and "dropout must be between" in warnings
    # each knob's explanation is on the page, not only in a tooltip
    from core.knobs._fields import get_knob

    captions = {c.value for c in at.caption}
    assert get_knob("num_filters").help in captions
    assert get_knob("learning_rate").help in captions
    # training uses the locked values and the hidden knobs' defaults
    at.button(key="playground_train").click().run()
    wait_for(at, lambda a: any("stored as trial" in s.value for s in a.success))
    trial = optuna.load_study(study_name="playground-cnn", storage=app_env).trials[-1]
    assert trial.params["learning_rate"] == pytest.approx(0.003)
    assert trial.params["max_steps"] == TINY_KNOBS["max_steps"]
    assert trial.params["vocab_size"] == get_knob("vocab_size").default


def test_exercise_link_can_lock_the_rnn(app_env: str) -> None:
    at = _app(lock="model:rnn,cell:lstm")
    at.switch_page("app_pages/playground.py").run()
    assert at.segmented_control(key="playground_family").value == "rnn"
    assert at.text_input(key="playground_rnn_cell_locked").value == "lstm"
    # nonlinearity only applies to the plain RNN cell: still shown, disabled
    assert at.selectbox(key="playground_rnn_nonlinearity").disabled


@pytest.mark.parametrize("page", ["playground", "explore"])
def test_a_link_of_thousands_of_entries_draws_one_warning(app_env: str, page: str) -> None:
    """3,000 hide and 3,000 lock entries: one warning that counts them, and the knobs a link
    names correctly among the first entries still apply."""
    hide = ",".join(["vocab_size", *(f"nope{i}" for i in range(2999))])
    lock = ",".join(f"nope{i}:1" for i in range(3000))
    at = _app(hide=hide, lock=lock)
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    ignored = [w.value for w in at.warning if "entries of the link were ignored" in w.value]
    assert len(ignored) == 1 and "5,999 entries" in ignored[0], ignored
    if page == "playground":
        assert "vocab_size" not in {w.label for w in at.slider} | {
            w.label for w in at.select_slider
        }


def test_streamlit_secrets_turn_on_read_only(viewer: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Community Cloud has no environment to set: ``read_only = true`` in secrets does it."""
    monkeypatch.setenv("EXPLORER_READ_ONLY", "")  # off, and restored after the test
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["read_only"] = True
    at.run()
    assert not at.exception
    assert any("Read-only viewer" in i.value for i in at.sidebar.info)
    with pytest.raises(Exception, match="page"):
        at.switch_page("app_pages/playground.py").run()


def test_a_fresh_clone_shows_the_committed_examples(
    app_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The viewer's default content: studies/examples.db and studies/models/, read-only."""
    from core.settings import PROJECT_ROOT

    examples = PROJECT_ROOT / "studies" / "examples.db"
    before = sha256(examples)
    monkeypatch.setenv("EXPLORER_STUDIES", str(PROJECT_ROOT / "studies"))
    monkeypatch.delenv("EXPLORER_STORAGE")
    monkeypatch.setenv("EXPLORER_READ_ONLY", "1")
    at = _app(study="rnn", plot="history")
    at.switch_page("app_pages/results.py").run()
    assert not at.exception, [e.value for e in at.exception]
    study = at.selectbox(key="study")
    assert study.value == "rnn"
    assert {"cnn", "rnn", "seed-cnn", "seed-rnn", "seed-table-cnn", "seed-table-rnn"} <= set(
        study.options
    )
    assert len(study.options) <= 15  # what a visitor should see; research arms are in research.db
    assert "The RNN's main search" in " ".join(c.value for c in at.caption)  # each is described
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["test accuracy"].endswith("%") and float(metrics["test accuracy"][:-1]) > 87
    at.switch_page("app_pages/predict.py").run()
    at.segmented_control(key="predict_source").set_value("Best of a study").run()
    assert not at.exception, [e.value for e in at.exception]
    assert {m.label for m in at.metric} >= {"label", "probability"}  # the first has a model
    for name in ("cnn", "rnn"):  # the committed models (or, here, the runs they came from)
        at.selectbox(key="predict_study").set_value(name).run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert {m.label: m.value for m in at.metric}["model"] == name.upper()
    assert sha256(examples) == before


def test_viewing_another_study_file_says_where_runs_go(
    viewer: Path, app_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not read-only: the sidebar's study file is for viewing; writes still go to the setting."""
    monkeypatch.setenv("EXPLORER_READ_ONLY", "0")
    monkeypatch.setenv("EXPLORER_STORAGE", app_env)
    at = _app(db="other")
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "other.db" in captions and "New runs and studies go to" in captions
    at = _app()
    assert "New runs and studies go to" not in " ".join(c.value for c in at.sidebar.caption)


# ---- files and storages that cannot be read -------------------------------------------------

ALL_READING_PAGES = [*VIEWING_PAGES]


@pytest.mark.parametrize(
    "content", [b"\x00\x13garbage" * 200, b"", b"name,score\nnot,a database\n"], ids=str
)
def test_a_file_that_is_not_a_study_file_gets_one_sentence_on_every_page(
    viewer: Path, content: bytes
) -> None:
    (viewer / "garbage.db").write_bytes(content)
    sentence = "`garbage.db` is not a study file (not a SQLite database)."
    at = _app(db="garbage")
    for page in ALL_READING_PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        if page.endswith("predict.py"):
            at.segmented_control(key="predict_source").set_value("Best of a study").run()
            assert not at.exception, (page, [e.value for e in at.exception])
        errors = [e.value for e in at.error]
        assert errors == [sentence], (page, errors)
    assert (viewer / "garbage.db").read_bytes() == content


def test_an_unknown_storage_scheme_gets_one_sentence_on_predict(
    app_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPLORER_STORAGE", "foo://bar")
    at = _app()
    at.switch_page("app_pages/predict.py").run()
    at.segmented_control(key="predict_source").set_value("Best of a study").run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1 and "foo" in at.error[0].value


# ---- what a visitor on another machine sees ---------------------------------------------------


def _texts(at: AppTest) -> list[str]:
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "text", "metric")
    out = []
    for kind in kinds:
        for el in getattr(at, kind):
            out.append(str(getattr(el, "value", "")))
    for el in at.sidebar.caption:
        out.append(el.value)
    for box in at.selectbox:
        out += [str(o) for o in box.options]
    return out


def test_no_page_of_the_viewer_shows_a_server_path(
    viewer: Path, tiny_data_dir: Path, tmp_path: Path
) -> None:
    at = _app()
    for page in VIEWING_PAGES:
        at.switch_page(page).run()
        texts = _texts(at)
        for text in texts:
            for path in (str(tmp_path), str(tiny_data_dir), str(Path.cwd())):
                assert path not in text, (page, text)
    assert any("examples.db" in c.value for c in at.sidebar.caption)  # named, not located


def test_the_headline_is_the_test_accuracy_of_the_validation_choice(viewer: Path) -> None:
    """Home's best result per family: the test accuracy of the trial chosen on validation, with
    the validation accuracy beside it (make_study stores test = validation - 0.01)."""
    study = optuna.load_study(study_name="alpha", storage=f"sqlite:///{viewer / 'examples.db'}")
    best = study.best_trial
    at = _app()
    metric = next(m for m in at.metric if m.label.endswith("test accuracy"))
    assert metric.value == f"{best.user_attrs['test_accuracy']:.1%}"
    # it names the validation protocol it was chosen on (make_study's trials predate val_split,
    # and name no dataset) and how many runs it was chosen among
    assert metric.label == "best OTHER on data not recorded: test accuracy"
    assert any(
        f"validation {best.value:.1%} on a random 10 % of each class, trial #{best.number} of "
        "`alpha`: the best of 18 runs validated this way." in c.value
        for c in at.caption
    )


def test_results_opens_on_the_main_study(viewer: Path) -> None:
    """No study in the link: Results opens on the study with the best validation value, not on
    the newest (here "zeta", created last, with the best value, then a newer, worse one)."""
    url = f"sqlite:///{viewer / 'examples.db'}"
    for name, value in (("zeta", 0.99), ("newest", 0.6)):
        optuna.create_study(study_name=name, storage=url, direction="maximize").optimize(
            lambda t, v=value: t.suggest_float("x", 0, 1) * 0 + v, n_trials=1
        )
    at = _app()
    at.switch_page("app_pages/results.py").run()
    assert at.selectbox(key="study").value == "zeta"
    at = _app(study="newest")
    at.switch_page("app_pages/results.py").run()
    assert at.selectbox(key="study").value == "newest"
