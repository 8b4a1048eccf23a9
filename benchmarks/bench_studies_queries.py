"""Query and figure speed on a synthetic 2,000-trial study in SQLite.

    .venv/bin/python benchmarks/bench_studies_queries.py [--trials 2000] [--db PATH]

Builds (or reuses, with --db) a study of synthetic trials with 4 parameters, 10-point learning
curves and the user attributes a real trial has, then times what a page does: list the studies,
read the study once (load_snapshot), the trials table, and every figure builder.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


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
                },
            )
        )
    return out


def timed(label: str, fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    dt = time.perf_counter() - t0
    note = getattr(out, "note", "")
    print(f"{label:<28} {dt * 1000:8.0f} ms  {note}")
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=2000)
    p.add_argument("--db", help="SQLite file to build once and reuse (default: a temporary one).")
    args = p.parse_args()

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from core.studies.figures import FIGURES, build_figure
    from core.studies.queries import list_studies, load_snapshot, load_trials
    from core.studies.spec import parse_spec
    from core.studies.storage import open_storage
    from core.studies.workers import create_study

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.db) if args.db else Path(tmp) / "bench.db"
        url = f"sqlite:///{path}"
        storage = open_storage(url)
        if not any(s.study_name == "bench" for s in storage.get_all_studies()):
            spec = parse_spec(
                {
                    "name": "bench",
                    "model": "cnn",
                    "n_trials": args.trials,
                    "sampler": "random",
                    "params": {"learning_rate": {"low": 1e-5, "high": 1e-1, "log": True}},
                }
            )
            study = create_study(spec, storage)
            t0 = time.perf_counter()
            study.add_trials(synthetic_trials(args.trials))
            print(f"built {args.trials} trials in {time.perf_counter() - t0:.1f} s")

        timed("list_studies", list_studies, url)
        snap = timed("load_snapshot (read once)", load_snapshot, "bench", url)
        timed("load_trials (table)", load_trials, snap)
        for kind in FIGURES:
            kwargs = {"color_by": "learning_rate"} if kind == "curves" else {}
            timed(f"figure: {kind}", build_figure, kind, snap, **kwargs)


if __name__ == "__main__":
    main()
