"""The command line, run as a user would: a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from core.cli import build_parser
from core.knobs._fields import get_knobs

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONPATH": str(ROOT)} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def test_every_knob_is_a_flag_named_after_its_field() -> None:
    help_text = build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    for k in get_knobs():
        assert "--" + k.name.replace("_", "-") in help_text, k.name


def test_train_prints_one_json_line_last(tiny_data_dir: Path) -> None:
    proc = _run(
        "train",
        "--data",
        str(tiny_data_dir),
        "--vocab-size",
        "1000",
        "--model",
        "rnn",
        "--max-steps",
        "20",
        "--eval-steps",
        "10",
        "--embedding-dim",
        "16",
        "--max-length",
        "48",
        "--hidden-size",
        "16",
        "--bidirectional",
        "true",
        "--no-save",
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {
        "status",
        "best_val_accuracy",
        "test_accuracy",
        "train_samples_per_s",
        "wall_s",
        "params",
    } <= set(result)
    assert result["status"] == "completed" and result["test_size"] == 200
    assert "20/20" in proc.stderr  # the progress bar


def test_train_can_export_the_model_in_float16(tiny_data_dir: Path, tmp_path: Path) -> None:
    from safetensors import safe_open

    target = tmp_path / "exported"
    tiny = ["--data", str(tiny_data_dir), "--vocab-size", "1000", "--model", "rnn"]
    tiny += ["--preset", "seed", "--max-steps", "10", "--eval-steps", "10", "--max-length", "48"]
    env_runs = {"EXPLORER_RUNS": str(tmp_path / "runs")}
    proc = _run("train", *tiny, "--export", str(target), env=env_runs)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert json.loads((target / "result.json").read_text())["run_dir"] == str(target)
    config = json.loads((target / "model" / "config.json").read_text())
    assert config["model_type"] == "text_rnn" and config["mask_padding"] is False
    with safe_open(target / "model" / "model.safetensors", "pt") as f:
        assert {str(f.get_tensor(k).dtype) for k in f.keys()} == {"torch.float16"}
    assert result["run_dir"] != str(target)  # the run itself stays where runs are kept
    proc = _run("train", *tiny, "--export", str(tmp_path / "x"), "--no-save", env=env_runs)
    assert proc.returncode == 2
    assert "--export needs the saved model; leave out --no-save." in proc.stderr
    assert not (tmp_path / "x").exists()


def test_user_errors_are_one_sentence_and_exit_2(tiny_data_dir: Path, tmp_path: Path) -> None:
    proc = _run("train", "--data", str(tmp_path / "missing"))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: Data path {tmp_path / 'missing'} does not exist; set EXPLORER_DATA (or --data) to a local "
        "folder holding train and test files (parquet, CSV, TSV or JSON lines) or an aclImdb/ folder."
    ]
    proc = _run(
        "train",
        "--data",
        str(tiny_data_dir),
        "--filter-size",
        "15",
        "--num-filter-sizes",
        "3",
        "--max-length",
        "16",
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["message"] == (
        "The widest filter (17 tokens) must not exceed max_length (16)."
    )
    # argparse's own mistakes: one sentence, exit 2, and train's JSON line, not the usage
    proc = _run("train", "--max-steps", "many")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "error: Argument --max-steps: invalid int value: 'many' (see 'python -m core train -h')."
    )
    assert json.loads(proc.stdout.strip())["status"] == "error"
    # a value beyond the knob's range is refused, as the slider would
    proc = _run("train", "--data", str(tiny_data_dir), "--max-steps", "1000000000")
    assert proc.returncode == 2
    assert json.loads(proc.stdout.strip().splitlines()[-1])["message"] == (
        "max_steps must be between 10 and 20000, got 1000000000."
    )


def test_reproduce_seed_prints_the_report_beside_ours(tiny_data_dir: Path) -> None:
    proc = _run(
        "reproduce-seed",
        "--data",
        str(tiny_data_dir),
        "--vocab-size",
        "1000",
        "--max-steps",
        "10",
        "--only",
        "3,4",
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("| run | report (test) |")
    assert lines[2].startswith("| CNN, num_filters 20 | 71.6 % |")
    assert lines[3].startswith("| RNN baseline | 50.8 % |")
    assert len(lines) == 4


def test_counts_below_one_are_refused_with_the_range(tmp_path: Path) -> None:
    """``--n-trials 0`` used to run the file's n_trials and ``--threads 0`` was accepted: each is
    now one sentence naming the range, exit status 2, and nothing written."""
    storage = f"sqlite:///{tmp_path / 'x.db'}"
    cnn = str(ROOT / "studies" / "cnn.toml")
    for args in (
        ("study", "run", cnn, "--n-trials", "0", "--storage", storage),
        ("study", "run", cnn, "--threads", "0", "--storage", storage),
        ("study", "run", cnn, "--workers", "0", "--storage", storage),
        ("study", "estimate", cnn, "--n-trials", "-5"),
        ("study", "worker", "cnn", "--n-trials", "0", "--storage", storage),
        ("train", "--threads", "0", "--no-save"),
        ("train", "--max-train-samples", "0", "--no-save"),
        ("train", "--max-test-samples", "-1", "--no-save"),
    ):
        proc = _run(*args)
        assert proc.returncode == 2, (args, proc.stdout[-500:], proc.stderr[-500:])
        assert "give 1 or more" in proc.stderr, (args, proc.stderr[-500:])
        assert "Traceback" not in proc.stderr
    assert not (tmp_path / "x.db").exists()


def _tiny_flags(data: Path) -> list[str]:
    return [
        "--data", str(data), "--vocab-size", "1000", "--max-steps", "30", "--eval-steps", "10",
        "--embedding-dim", "16", "--num-filters", "8", "--max-length", "64",
    ]  # fmt: skip


def test_a_run_that_produces_no_usable_model_exits_3(tiny_data_dir: Path, tmp_path: Path) -> None:
    """A diverged run and a study whose trials all failed ran, but left nothing to use: exit
    status 3 (listed in --help), the JSON line or the one-line reasons, no Optuna warnings."""
    assert "3    it ran, but produced no usable model" in _run("-h").stdout
    proc = _run("train", *_tiny_flags(tiny_data_dir), "--learning-rate", "10", "--no-save")
    assert proc.returncode == 3, proc.stderr[-1000:]
    diverged = json.loads(proc.stdout.strip().splitlines()[-1])
    assert diverged["status"] == "diverged"
    assert f"after step {diverged['steps']} " in diverged["message"], diverged  # one count

    spec = tmp_path / "fails.toml"
    spec.write_text(
        f'name = "fails"\nmodel = "cnn"\nn_trials = 2\nsampler = "random"\npruner = "none"\n'
        f'[data]\ndata = "{tiny_data_dir}"\n[fixed]\nvocab_size = 1000\nval_fraction = 0.2\n'
        "max_length = 64\nembedding_dim = 16\nnum_filters = 8\neval_steps = 10\nmax_steps = 30\n"
        "learning_rate = 10.0\n[params]\ndropout = { low = 0.0, high = 0.5, step = 0.1 }\n"
    )
    proc = _run("study", "run", str(spec), "--storage", f"sqlite:///{tmp_path / 's.db'}")
    assert proc.returncode == 3, proc.stderr[-2000:]
    reasons = [line for line in proc.stderr.splitlines() if ": FAIL diverged" in line]
    assert len(reasons) == 2 and all("lower the learning rate" in r for r in reasons), reasons
    assert "[W " not in proc.stderr and "is not acceptable" not in proc.stderr, proc.stderr
    assert "No completed trial." in proc.stderr


def test_train_says_how_it_read_a_single_headerless_file(tmp_path: Path) -> None:
    """A label-first, header-less, unbalanced TSV given as the data path itself: it is the
    training file, the test split is carved, and one stderr line (and the JSON) says all that."""
    import pandas as pd

    rows = [
        (
            "spam" if i % 5 == 0 else "ham",
            f"message {i} about {'prizes' if i % 5 == 0 else 'lunch'} today",
        )
        for i in range(300)
    ]
    data = tmp_path / "sms.tsv"
    pd.DataFrame(rows).to_csv(data, sep="\t", header=False, index=False)
    proc = _run("train", *_tiny_flags(data), "--no-save")
    assert proc.returncode == 0, proc.stderr[-1000:]
    lines = [line for line in proc.stderr.splitlines() if line.startswith("data: ")]
    assert lines == [
        f"data: sms: read {data} (no header; text: col2, label: col1); 2 classes in train: "
        "ham 240, spam 60; test carved from train (20%, seeded, stratified)"
    ], proc.stderr[-1000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["data_read"] == {
        "files": [str(data)],
        "header": False,
        "text_columns": ["col2"],
        "label_column": "col1",
        "class_counts": {"ham": 240, "spam": 60},
        "test_carved": True,
    }
    assert result["test_size"] == 60 and result["dataset"] == "sms"


def test_export_never_overwrites_without_force(tmp_path: Path) -> None:
    """An existing exported model is not replaced unless --force (the message names it), and a
    file as the target is refused; both before training, with nothing written."""
    exported = tmp_path / "models" / "cnn"
    (exported / "model").mkdir(parents=True)
    (exported / "result.json").write_text("{}")
    a_file = tmp_path / "a-file"
    a_file.write_text("keep me")
    for target, expected in (
        (exported, "already holds an exported model; add --force to replace it"),
        (a_file, "it is a file; name a folder"),
    ):
        proc = _run("train", "--export", str(target))
        assert proc.returncode == 2, proc.stderr[-500:]
        assert expected in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-500:]
        assert json.loads(proc.stdout.strip().splitlines()[-1])["status"] == "error"
    assert (exported / "result.json").read_text() == "{}" and a_file.read_text() == "keep me"
    studies = tmp_path / "studies"
    (studies / "models").mkdir(parents=True)
    shutil.copyfile(ROOT / "studies" / "examples.db", studies / "examples.db")
    shutil.copytree(ROOT / "studies" / "models" / "cnn", studies / "models" / "cnn")
    before = (studies / "models" / "cnn" / "result.json").read_text()
    proc = _run(
        "study", "keep-best", "cnn", "--storage", f"sqlite:///{studies / 'examples.db'}",
        env={"EXPLORER_STUDIES": str(studies)},
    )  # fmt: skip
    assert proc.returncode == 2 and "add --force to replace it" in proc.stderr, proc.stderr
    assert (studies / "models" / "cnn" / "result.json").read_text() == before


def test_a_flag_the_run_would_ignore_is_refused() -> None:
    """``--nonlinearity relu`` with a GRU, or an RNN knob on a CNN, used to be dropped without a
    word: one sentence, before any data is read."""
    for args, expected in (
        (
            ("--model", "rnn", "--cell", "gru", "--nonlinearity", "relu"),
            "--nonlinearity relu applies only with --cell rnn (cell is gru)",
        ),
        (("--model", "cnn", "--hidden-size", "32"), "--hidden-size is a RNN knob"),
    ):
        proc = _run("train", *args, "--no-save", "--data", "/nonexistent/data")
        assert proc.returncode == 2, proc.stderr[-500:]
        assert expected in proc.stderr and "does not exist" not in proc.stderr, proc.stderr
