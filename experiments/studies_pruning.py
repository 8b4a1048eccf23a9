"""The same study with and without pruning: best accuracy and total training steps.

    .venv/bin/python -m experiments.studies_pruning studies/cnn.toml --n-trials 30
    .venv/bin/python -m experiments.studies_pruning studies/cnn.toml --pruners successive_halving,none
    .venv/bin/python -m experiments.studies_pruning --tiny          # synthetic data, ~1 min

Runs the study once per pruner in this process (one worker, one torch thread), by default with its
own pruner and with ``pruner = "none"``, same sampler and seed. A pruner other than the spec's
runs with its default options (for successive halving and Hyperband: budgets from the spec's
eval_steps and max_steps, see ``core.studies.spec._samplers.build_pruner``). The storage is in memory unless
``--storage URL`` keeps both as studies ``<name>-pruner-<pruner>`` (the committed examples do). ``--set knob=value``
fixes a knob for both runs (e.g. ``--set max_train_samples=...`` is a data setting: use --data
and the spec's [data] instead). Prints, for each run, the best trial's validation and test
accuracy, the number of pruned trials, total training steps and wall time.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TINY_SPEC = {
    "name": "pruning-tiny",
    "model": "cnn",
    "seed": 0,
    "sampler": "tpe",
    "n_trials": 20,
    "pruner": {"name": "median", "n_startup_trials": 3, "n_warmup_steps": 10},
    "fixed": {
        "vocab_size": 1000,
        "val_fraction": 0.2,
        "max_length": 64,
        "embedding_dim": 16,
        "eval_steps": 10,
        "max_steps": 80,
        "batch_size": 32,
    },
    "params": {
        "learning_rate": {"low": 1e-5, "high": 5e-2, "log": True},
        "num_filters": {"low": 4, "high": 64, "log": True},
        "dropout": {"low": 0.0, "high": 0.6},
    },
}


def run_once(spec, n_trials: int, storage_url: str = "memory") -> dict:
    import optuna

    from core.studies.run import create_study, run_worker
    from core.studies.storage import open_storage

    storage = open_storage(storage_url)
    create_study(spec, storage)
    t0 = time.perf_counter()
    run_worker(spec.name, storage, n_trials=n_trials, heartbeat_interval=None, log=lambda _: None)
    wall = time.perf_counter() - t0
    study = optuna.load_study(study_name=spec.name, storage=storage)
    trials = study.trials
    best = study.best_trial
    return {
        "best_val": best.value,
        "best_test": best.user_attrs.get("test_accuracy"),
        "best_params": best.params,
        "pruned": sum(t.state == optuna.trial.TrialState.PRUNED for t in trials),
        "steps": sum(t.user_attrs.get("steps") or 0 for t in trials),
        "wall_s": wall,
    }


def _literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("spec", nargs="?", help="A study file (default with --tiny: a built-in one).")
    p.add_argument("--tiny", action="store_true", help="Synthetic data from tests/conftest.py.")
    p.add_argument("--n-trials", type=int, default=20)
    p.add_argument("--data", help="Dataset folder or id (default: the spec's or EXPLORER_DATA).")
    p.add_argument(
        "--pruners",
        help="Comma-separated pruners to compare, in this order (default: the spec's, then none).",
    )
    p.add_argument(
        "--suffix",
        default="",
        help="Appended to each arm's study name, for a second arm of one pruner (e.g. -eval50).",
    )
    p.add_argument(
        "--pruner-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="An option for every pruned arm, e.g. reduction_factor=4.",
    )
    p.add_argument(
        "--sampler-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="An option for every arm's sampler, e.g. compare_at_rung=True.",
    )
    p.add_argument("--set", action="append", default=[], metavar="KNOB=VALUE")
    p.add_argument(
        "--seed",
        type=int,
        help="The sampler's seed instead of the file's, for a repeat of the comparison "
        "(give the arms a --suffix too).",
    )
    p.add_argument(
        "--storage",
        default="memory",
        help="Keep both runs as studies <name>-pruner-<pruner> in this storage (default: memory).",
    )
    args = p.parse_args()

    import optuna
    import torch

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    torch.set_num_threads(1)  # a shared machine: one busy thread beats two contended ones
    from core.studies.spec import load_spec, parse_spec

    with tempfile.TemporaryDirectory() as tmp:
        if args.tiny:
            from tests.conftest import make_reviews

            make_reviews(600, seed=1).to_parquet(Path(tmp) / "train.parquet")
            make_reviews(200, seed=2).to_parquet(Path(tmp) / "test.parquet")
            spec = parse_spec(TINY_SPEC | {"data": {"data": tmp}})
        else:
            spec = load_spec(args.spec)
        if args.data:
            spec.data = spec.data | {"data": args.data}
        if args.seed is not None:
            spec.seed = args.seed
        for item in args.set:
            key, value = item.split("=", 1)
            spec.fixed[key] = _literal(value)
            spec.params.pop(key, None)
        for item in args.sampler_option:
            key, value = item.split("=", 1)
            spec.sampler_options = spec.sampler_options | {key: _literal(value)}
        from core.training import build_run_config, prepare_data

        # Tokenize before timing, so the first variant does not pay for it.
        prepare_data(build_run_config(spec.model, spec.preset, spec.fixed, spec.data_config()).data)
        pruners = args.pruners.split(",") if args.pruners else [spec.pruner, "none"]
        names = [f"{spec.name}-pruner-{p}{args.suffix}" for p in pruners]
        results = {}
        for pruner, name in zip(pruners, names, strict=True):
            # Every arm runs exactly n_trials: the spec's timeout would cut the slowest (unpruned) arm.
            variant = dataclasses.replace(
                spec, pruner=pruner, name=name, n_trials=args.n_trials, timeout_s=None
            )
            if pruner != spec.pruner:
                variant.pruner_options = {}
            if pruner != "none":
                for item in args.pruner_option:
                    key, value = item.split("=", 1)
                    variant.pruner_options = variant.pruner_options | {key: _literal(value)}
            variant.description = (
                f"{spec.description} Pruning comparison: pruner={pruner}, {args.n_trials} trials, "
                f"one worker, one thread; the other arms are the {spec.name}-pruner-* studies."
            )
            r = results[pruner] = run_once(variant, args.n_trials, args.storage)
            test = "-" if r["best_test"] is None else f"{r['best_test']:.4f}"
            print(
                f"pruner={pruner:<18} best val {r['best_val']:.4f} (test {test}), "
                f"{r['pruned']}/{args.n_trials} pruned, {r['steps']} training steps, "
                f"{r['wall_s']:.0f} s; best params {r['best_params']}",
                flush=True,
            )
        if "none" in results:
            ref = results["none"]
            for pruner, r in results.items():
                if pruner != "none":
                    print(
                        f"{pruner}: {r['steps'] / ref['steps']:.2f} of the unpruned steps, "
                        f"best val {100 * (r['best_val'] - ref['best_val']):+.2f} points"
                    )


if __name__ == "__main__":
    main()
