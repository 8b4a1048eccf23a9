"""Query and figure speed on a synthetic 2,000-trial study in SQLite.

    .venv/bin/python -m benchmarks.studies_queries [--trials 2000] [--db PATH]

Builds (or reuses, with --db) a study of synthetic trials with 4 parameters, 10-point learning
curves and the user attributes a real trial has, then times what a page does: list the studies,
read the study once (load_snapshot), the trials table, and every figure builder (built, then
serialised to JSON as ``st.plotly_chart`` does). Then, on a copy of the file, what a page does
while the study runs: the incremental reader's first read, a read with nothing new, and reads
after 5 trials were added and after a running trial reported an intermediate value.
"""

from __future__ import annotations

import argparse
import math
import random
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _default_flat() -> dict:
    from core.knobs import get_knobs

    return {k.name: k.default for k in get_knobs()}


FLAT = _default_flat()


def synthetic_trials(n: int, seed: int = 0) -> list:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
    from optuna.trial import TrialState, create_trial

    dists = {
        "learning_rate": FloatDistribution(1e-5, 1e-1, log=True),
        "batch_size": CategoricalDistribution([16, 32, 64, 128]),
        "dropout": FloatDistribution(0.0, 0.6),
        "embedding_dim": IntDistribution(16, 256, log=True),
    }
    rng = random.Random(seed)
    out = []
    for i in range(n):
        lr = 10 ** rng.uniform(-5, -1)
        params = {
            "learning_rate": lr,
            "batch_size": rng.choice([16, 32, 64, 128]),
            "dropout": rng.uniform(0, 0.6),
            "embedding_dim": rng.randint(16, 256),
        }
        top = 0.9 - 0.05 * abs(math.log10(lr) + 3) + rng.uniform(-0.02, 0.02)
        curve = {100 * (s + 1): top * (1 - 0.6 ** (s + 1)) for s in range(10)}
        state = TrialState.PRUNED if i % 4 == 3 else TrialState.COMPLETE
        if state == TrialState.PRUNED:
            curve = dict(list(curve.items())[:3])
        out.append(
            create_trial(
                state=state,
                value=max(curve.values()),
                params=params,
                distributions=dists,
                intermediate_values=curve,
                user_attrs={
                    "test_accuracy": top,
                    "train_samples_per_s": 900.0,
                    "params": 50000,
                    "wall_s": 30.0,
                    "steps": 1000,
                    "status": state.name.lower(),
                    "dataset": "bench",
                    # every knob's value, as a real trial stores it
                    "flat": FLAT | params | {"val_split": "random", "val_fraction": 0.1},
                },
            )
        )
    return out


def timed(label: str, fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    dt = time.perf_counter() - t0
    note = getattr(out, "note", "")
    if hasattr(out, "figure"):
        t0 = time.perf_counter()
        out.figure.to_json()
        note = f"(+{(time.perf_counter() - t0) * 1000:.0f} ms to JSON) {note}"
    if hasattr(out, "reread"):
        note = f"{out.reread} trials fetched"
    print(f"{label:<32} {dt * 1000:8.0f} ms  {note}")
    return out


def _warm_up(build_figure) -> None:
    """Pay the one-time imports (sklearn under Optuna's importances, plotly's validators) on a
    tiny study, so that the timings below are the work, not the first import."""
    import optuna

    tiny = optuna.create_study(direction="maximize")
    tiny.add_trials(synthetic_trials(20))
    for kind in ("history", "importances", "parallel", "timeline"):
        build_figure(kind, tiny).figure.to_json()


def build_study(url: str, n: int) -> None:
    """The study "bench" of ``n`` synthetic trials at ``url``, unless it is there already."""
    from core.studies.run import create_study
    from core.studies.spec import parse_spec
    from core.studies.storage import open_storage

    storage = open_storage(url)
    if any(s.study_name == "bench" for s in storage.get_all_studies()):
        return
    spec = parse_spec(
        {
            "name": "bench",
            "model": "cnn",
            "n_trials": n,
            "sampler": "random",
            "params": {"learning_rate": {"low": 1e-5, "high": 1e-1, "log": True}},
        }
    )
    study = create_study(spec, storage)
    t0 = time.perf_counter()
    study.add_trials(synthetic_trials(n))
    print(f"built {n} trials in {time.perf_counter() - t0:.1f} s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=2000)
    p.add_argument("--db", help="SQLite file to build once and reuse (default: a temporary one).")
    args = p.parse_args()

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from core.figures import FIGURES, build_figure
    from core.studies.storage import (
        SnapshotReader,
        completed_runs,
        list_studies,
        load_snapshot,
        load_trials,
        snapshot_storage,
    )

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.db) if args.db else Path(tmp) / "bench.db"
        url = f"sqlite:///{path}"
        build_study(url, args.trials)

        _warm_up(build_figure)
        print(f"{args.trials} trials:")
        timed("list_studies", list_studies, url)
        timed("completed_runs (Home's headline)", completed_runs, url)
        snap = timed("load_snapshot (read once)", load_snapshot, "bench", url)
        timed("load_trials (table)", load_trials, snap)
        for kind in FIGURES:
            kwargs = {"color_by": "learning_rate"} if kind == "curves" else {}
            timed(f"figure: {kind}", build_figure, kind, snap, **kwargs)

        copy = snapshot_storage(url, Path(tmp) / "live.db")  # the reads below add trials
        reader = SnapshotReader(copy)
        timed("reader: first read", reader.read, "bench")
        timed("reader: nothing new", reader.read, "bench")
        study = optuna.load_study(study_name="bench", storage=copy)
        study.add_trials(synthetic_trials(5, seed=1))
        fresh = timed("reader: 5 trials added", reader.read, "bench")
        running = study.ask()
        running.report(0.5, step=1)
        timed("reader: 1 running, reported", reader.read, "bench")
        timed("  then figure: history", build_figure, "history", fresh.study)
        timed("  then figure: timeline", build_figure, "timeline", fresh.study)


if __name__ == "__main__":
    main()
