"""How much of a trial's validation accuracy is its seed? Retrains one stored trial's exact
configuration with other seeds and prints each run's best validation accuracy, their mean and
standard deviation, and what that spread means for comparing the best of k trials.

    .venv/bin/python -m experiments.seed_noise cnn-pruner-none --seeds 1,2,3 \
        --storage sqlite:///studies/research.db                 # the study's best trial
    .venv/bin/python -m experiments.seed_noise STUDY --trial 17 --seeds 1,2

A study's best trial is the maximum of its trials' noisy scores, so it sits above what its
configuration scores on average: with n trials whose scores spread by ``sd``, the best of them
sits about ``E[max of n standard normals] * sd`` above their mean when they are equally good.
Each run uses one torch thread and the configuration the trial stored (its data, seed aside).
The test set is scored only with ``--test`` (its best-validation checkpoint, as a trial's is).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time

import numpy as np


def expected_max_of_normals(n: int, draws: int = 200_000, seed: int = 0) -> float:
    """E[max of n independent standard normals], by simulation."""
    rng = np.random.default_rng(seed)
    return float(rng.standard_normal((draws, n)).max(axis=1).mean()) if n > 1 else 0.0


def _spread(values: list[float]) -> str:
    """Mean, standard deviation and range of accuracies (fractions), in percent and points."""
    return (
        f"mean {100 * statistics.mean(values):.2f} %, sd {100 * statistics.stdev(values):.2f} "
        f"points, range {100 * min(values):.2f}-{100 * max(values):.2f} %"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("study")
    p.add_argument("--trial", type=int, help="Trial number (default: the study's best).")
    p.add_argument("--seeds", default="1,2,3", help="Comma-separated seeds to train with.")
    p.add_argument("--storage", default="sqlite:///studies/research.db")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--test", action="store_true", help="Score each run on the test set too.")
    args = p.parse_args()

    import optuna
    import torch

    from core.training import RunConfig, prepare_data, train_run

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    torch.set_num_threads(args.threads)
    study = optuna.load_study(study_name=args.study, storage=args.storage)
    trial = study.best_trial if args.trial is None else study.trials[args.trial]
    if "config" not in trial.user_attrs:
        sys.exit(f"Trial #{trial.number} of {args.study} stored no config to retrain.")
    run = RunConfig.from_dict(trial.user_attrs["config"])
    stored_test = trial.user_attrs.get("test_accuracy")
    print(
        f"{args.study} #{trial.number}: stored best val {trial.value:.4f}, test {stored_test} "
        f"(seed {run.train.seed}), {trial.params}",
        flush=True,
    )
    prepared = prepare_data(run.data)
    scores = [trial.value]
    tests = [stored_test] if stored_test is not None else []
    for seed in (int(s) for s in args.seeds.split(",")):
        t0 = time.perf_counter()
        again = dataclasses.replace(run, train=dataclasses.replace(run.train, seed=seed))
        result = train_run(again, save=False, evaluate_test=args.test, prepared=prepared)
        if result.best_val_accuracy is None:
            print(f"seed {seed}: {result.status} ({result.message})", flush=True)
            continue
        scores.append(result.best_val_accuracy)
        test = ""
        if result.test_accuracy is not None:
            tests.append(result.test_accuracy)
            test = f", test {result.test_accuracy:.4f} on {result.test_size:,} reviews"
        print(
            f"seed {seed}: best val {result.best_val_accuracy:.4f} at step {result.best_step}"
            f"{test}, {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
    if len(scores) < 3:
        return
    sd = statistics.stdev(scores)
    print(f"{len(scores)} runs (the stored one included): {_spread(scores)}")
    if args.test and len(tests) >= 3:
        print(f"test: {_spread(tests)}")
    for n in (5, 10, 30):
        print(
            f"the best of {n} equally good trials sits about "
            f"{100 * expected_max_of_normals(n) * sd:.2f} points above their mean"
        )


if __name__ == "__main__":
    main()
