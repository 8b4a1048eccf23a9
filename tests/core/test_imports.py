"""Reading study files must not import torch: the viewer's Results and Explore pages, `study list`
and exercise links only need the knobs and the storage, and torch costs seconds to import.

Each check runs in a fresh interpreter, since this test process has imported torch long ago.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from core.settings import PROJECT_ROOT

HEAVY = ("torch", "transformers", "datasets")


def _heavy_modules_after(code: str, cwd: Path, watched: tuple[str, ...] = HEAVY) -> list[str]:
    """Which of ``watched`` a fresh interpreter has imported after running ``code``."""
    probe = textwrap.dedent(code) + textwrap.dedent(f"""
        import sys
        print(",".join(m for m in {watched!r} if m in sys.modules))
        """)
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    last = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    return [m for m in last.split(",") if m]


def test_listing_and_reading_studies_imports_no_torch(tmp_path: Path) -> None:
    db = tmp_path / "examples.db"
    shutil.copyfile(PROJECT_ROOT / "studies" / "examples.db", db)
    loaded = _heavy_modules_after(
        f"""
        from core.studies.storage._files import read_only_url
        from core.studies.storage._queries import list_studies, load_snapshot
        from core.studies._landscape import list_landscapes, load_landscape
        from core.studies.spec._parse import load_spec
        from core.knobs._exercise_links import parse_exercise
        url = read_only_url("sqlite:///{db}")
        studies = list_studies(url)
        assert len(studies) > 0
        load_snapshot("cnn", url)
        land = load_landscape(list_landscapes(url)[0][0], url)
        assert land.points
        load_spec("{PROJECT_ROOT / "studies" / "cnn.toml"}")
        parse_exercise(hide="cell", lock="model:cnn,learning_rate:0.003")
        """,
        tmp_path,
    )
    assert loaded == [], f"reading a study file imported {loaded}"


def test_the_probe_sees_torch_when_it_is_imported(tmp_path: Path) -> None:
    """The check above would pass vacuously if the probe could not see imports."""
    assert "torch" in _heavy_modules_after("import core.training._config", tmp_path)


def test_the_viewers_explore_and_results_pages_import_no_torch(tmp_path: Path) -> None:
    db = tmp_path / "examples.db"
    shutil.copyfile(PROJECT_ROOT / "studies" / "examples.db", db)
    for page in ("explore", "results"):
        loaded = _heavy_modules_after(
            f"""
            import os
            os.environ.update(
                EXPLORER_READ_ONLY="1",
                EXPLORER_STUDIES="{tmp_path}",
                EXPLORER_STORAGE="sqlite:///{db}",
            )
            from streamlit.testing.v1 import AppTest
            at = AppTest.from_file("{PROJECT_ROOT / "streamlit_app.py"}", default_timeout=60)
            at.switch_page("app_pages/{page}.py")
            at.run()
            assert not at.exception, [e.value for e in at.exception]
            charts = at.get("plotly_chart") + [m for m in at.markdown if "<svg" in m.value]
            assert charts, "the page drew no chart"
            """,
            tmp_path,
        )
        # datasets (no torch) comes with the sidebar's job manager; torch must not.
        assert not {"torch", "transformers"} & set(loaded), f"the {page} page imported {loaded}"


def test_study_list_on_the_command_line_imports_no_torch(tmp_path: Path) -> None:
    db = tmp_path / "examples.db"
    shutil.copyfile(PROJECT_ROOT / "studies" / "examples.db", db)
    loaded = _heavy_modules_after(
        f"""
        from core.cli import main
        assert main(["study", "list", "--storage", "sqlite:///{db}"]) == 0
        assert main(["study", "landscape", "landscape-cnn", "--storage", "sqlite:///{db}"]) == 0
        """,
        tmp_path,
    )
    assert not {"torch", "transformers"} & set(loaded), loaded


def test_the_data_and_figures_faces_load_neither_gensim_nor_scikit_learn(tmp_path: Path) -> None:
    """word2vec (gensim) and the linear baseline (scikit-learn) are imported only when vectors or
    a baseline are computed, not with the packages that hold them."""
    loaded = _heavy_modules_after(
        "import core.data, core.figures, core.studies", tmp_path, ("gensim", "sklearn")
    )
    assert loaded == [], loaded
