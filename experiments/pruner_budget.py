"""Pruning at equal compute: with the same training steps, does a pruned search find a better
model than an unpruned one?

    .venv/bin/python -m experiments.pruner_budget --seeds 20 --noise-draws 3 --processes 2
    .venv/bin/python -m experiments.pruner_budget --designs sh-rf4,median --seeds 4   # a quick look

Runs on the surrogate of ``pruner_surrogate.py`` (a forest fitted on every stored curve of the
``cnn-pruner-*`` arms, the spec's own TPE sampler and pruner). For each sampler seed and noise
draw, the unpruned arm's 30 trials set the unit of compute, ``R`` steps. Every arm, pruned or
not, then keeps proposing trials until it has spent ``4 R``; its score at a budget ``B`` is its
best trial among those that finished within ``B`` (the trial running when the budget runs out
is cut and does not count, as a deadline would cut it). A step counts once whether the trial
completed or was pruned at it. At ``B = 1 R`` the unpruned arm is the 30-trial study itself.

Each trial's test accuracy is a second forest's, fitted on the stored trials' test accuracy (of
their best-validation checkpoint) from the configuration and the step its best validation came
at; it is read once, for the best trial by validation, and never steers anything.

The table: for each design and budget, the share of seed-draws where the pruned arm's best
validation is at least the unpruned arm's at the same budget, and the median gain in points
(validation and test).
"""

from __future__ import annotations

import argparse
import statistics
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from experiments.pruner_surrogate import (
    DESIGNS,
    SEARCHED,
    Simulator,
    features,
    fit_surrogate,
    stored_curves,
)

ROOT = Path(__file__).resolve().parents[1]
BUDGETS = (1, 2, 4)
CANDIDATES = {
    "sh-rf4": DESIGNS["sh-rf4"],
    "sh-rf3": DESIGNS["sh-rf3"],
    "sh-rf4-cap": DESIGNS["sh-rf4-cap"],
    "sh-rf3-cap": DESIGNS["sh-rf3-cap"],
    "sh-rf4-cap-late": DESIGNS["sh-rf4-cap-late"],
    "hyperband-rf3": DESIGNS["hyperband-rf3"],
    "median": ("median", {"n_startup_trials": 5, "n_warmup_steps": 200}, {}, {}),
}


def stored_tests(url: str) -> tuple[list, list]:
    """(features, test accuracy) of every stored completed trial of the arms that scored test."""
    import optuna

    from core.studies.storage import open_storage, read_only_url

    storage = open_storage(read_only_url(url))  # reading must not touch the committed file
    x, y, seen = [], [], set()
    for summary in optuna.get_all_study_summaries(storage):
        if not summary.study_name.startswith("cnn-pruner-"):
            continue
        study = optuna.load_study(study_name=summary.study_name, storage=storage)
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
            flat, test = t.user_attrs.get("flat"), t.user_attrs.get("test_accuracy")
            if not flat or test is None or not t.intermediate_values:
                continue
            key = repr(sorted((k, flat[k]) for k in (*SEARCHED, "learning_rate", "max_steps")))
            if key in seen:
                continue
            seen.add(key)
            best_step = max(t.intermediate_values, key=lambda s: t.intermediate_values[s])
            x.append(features(flat, best_step))
            y.append(test)
    return x, y


class BudgetSimulator(Simulator):
    """A simulator whose trials stop the study once the arm has spent its step budget; every
    trial's steps, cumulative spend and (for completed ones) the step of its best validation
    are kept in user attributes."""

    def __init__(self, *args, cap: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.cap, self.spent = cap, 0

    def ended(self, trial) -> None:
        self.spent += trial.user_attrs["steps"]
        trial.set_user_attr("spent", self.spent)
        if self.spent >= self.cap:
            trial.study.stop()


def run_arm(
    sim: BudgetSimulator, base, design: tuple, seed: int
) -> list[tuple[int, float | None, dict, int]]:
    """(cumulative steps at the trial's end, value if completed, flat, best step) per trial."""
    import dataclasses

    import optuna

    from core.studies.spec import build_pruner, build_sampler

    pruner, pruner_options, sampler_options, fixed = design
    spec = dataclasses.replace(
        base,
        seed=seed,
        pruner=pruner,
        pruner_options=dict(pruner_options),
        sampler_options=base.sampler_options | sampler_options,
        params={k: v for k, v in base.params.items() if k not in fixed},
        fixed=base.fixed | fixed,
    )
    study = optuna.create_study(
        # Hyperband assigns trials to brackets by a hash of the study's name: a fixed one
        # makes the arm repeatable
        study_name=f"{pruner}-{seed}",
        direction="maximize",
        sampler=build_sampler(spec),
        pruner=build_pruner(spec),
    )
    study.optimize(sim.objective(spec, fixed), n_trials=100_000)
    complete = optuna.trial.TrialState.COMPLETE
    return [
        (
            t.user_attrs["spent"],
            t.value if t.state == complete else None,
            t.user_attrs["flat"],
            t.user_attrs["best_step"],
        )
        for t in study.trials
    ]


def best_within(trials, budget: float):
    """The best completed trial among those that finished within ``budget`` steps."""
    done = [t for t in trials if t[1] is not None and t[0] <= budget]
    return max(done, key=lambda t: t[1]) if done else None


def one_draw(job: tuple) -> dict:
    """Every design's score at every budget, for one sampler seed and one noise draw."""
    import optuna

    from core.studies.spec import load_spec

    url, spec_path, designs, seed, noise, n_trials, config_sd, eval_sd = job
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    val_model, test_model = _models(url)
    base = load_spec(spec_path)
    base.fixed = base.fixed | {"max_length": 256, "batch_size": 64, "val_fraction": 0.2}
    base.params = {k: v for k, v in base.params.items() if k not in base.fixed}

    def test_of(t) -> float:
        return float(test_model.predict(np.array([features(t[2], t[3])]))[0])

    ref_sim = BudgetSimulator(val_model, config_sd, eval_sd, noise, cap=float("inf"))
    ref = run_arm_n(ref_sim, base, seed, n_trials)
    unit = ref[-1][0]
    out: dict = {"seed": seed, "noise": noise, "unit": unit, "arms": {}}
    for name in ("none", *designs):
        design = DESIGNS["none"] if name == "none" else CANDIDATES[name]
        sim = BudgetSimulator(val_model, config_sd, eval_sd, noise, cap=max(BUDGETS) * unit)
        trials = run_arm(sim, base, design, seed)
        scores = {}
        for b in BUDGETS:
            best = best_within(trials, b * unit)
            n = sum(t[0] <= b * unit for t in trials)
            scores[b] = (best[1], test_of(best), n) if best else (float("nan"), float("nan"), n)
        out["arms"][name] = scores
    return out


def run_arm_n(sim, base, seed: int, n_trials: int):
    """The unpruned arm's first ``n_trials`` trials: the unit of compute."""
    return run_arm(_CountCap(sim, n_trials), base, DESIGNS["none"], seed)


class _CountCap:
    """A simulator wrapper that stops the study after ``n`` trials."""

    def __init__(self, sim, n: int):
        self.sim, self.n = sim, n

    def objective(self, spec, fixed):
        inner = self.sim.objective(spec, fixed)

        def run(trial):
            try:
                return inner(trial)
            finally:
                if trial.number + 1 >= self.n:
                    trial.study.stop()

        return run


class _TreeMean:
    """A fitted forest's ``predict`` without joblib's per-tree dispatch, which costs more than
    the trees on a dozen rows: the same mean of the same trees (sklearn casts to float32 too)."""

    def __init__(self, forest):
        self.trees = [e.tree_ for e in forest.estimators_]

    def predict(self, x):
        x = np.ascontiguousarray(x, dtype=np.float32)
        return np.mean([t.predict(x)[:, 0] for t in self.trees], axis=0)


_CACHE: dict = {}


def _models(url: str):
    if url not in _CACHE:
        from sklearn.ensemble import RandomForestRegressor

        x, y = stored_tests(url)
        test = RandomForestRegressor(n_estimators=200, min_samples_leaf=3, random_state=0)
        val = fit_surrogate(stored_curves(url))
        _CACHE[url] = (_TreeMean(val), _TreeMean(test.fit(np.array(x), np.array(y))))
    return _CACHE[url]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--storage", default=f"sqlite:///{ROOT / 'studies' / 'research.db'}")
    p.add_argument("--spec", default=str(ROOT / "studies" / "cnn.toml"))
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--noise-draws", type=int, default=3)
    p.add_argument("--n-trials", type=int, default=30, help="The unit: this many unpruned trials.")
    p.add_argument(
        "--designs", help=f"Comma-separated, of: {', '.join(CANDIDATES)} (default: all)."
    )
    p.add_argument("--config-sd", type=float, default=0.0025)
    p.add_argument("--eval-sd", type=float, default=0.002)
    p.add_argument("--processes", type=int, default=1)
    p.add_argument("--per-draw", action="store_true", help="Also print every seed-draw's scores.")
    args = p.parse_args()

    designs = args.designs.split(",") if args.designs else list(CANDIDATES)
    jobs = [
        (args.storage, args.spec, designs, s, n, args.n_trials, args.config_sd, args.eval_sd)
        for n in range(args.noise_draws)
        for s in range(args.seeds)
    ]
    with ProcessPoolExecutor(args.processes) as pool:
        draws = []
        for d in pool.map(one_draw, jobs):
            draws.append(d)
            if args.per_draw:
                row = "; ".join(
                    f"{name} " + " ".join(f"{v[0]:.4f}/{v[2]}" for v in arm.values())
                    for name, arm in d["arms"].items()
                )
                print(f"seed {d['seed']} noise {d['noise']} unit {d['unit']}: {row}", flush=True)
    print(
        f"{len(draws)} seed-draws ({args.seeds} sampler seeds x {args.noise_draws} noise draws); "
        f"unit R = the steps of {args.n_trials} unpruned trials "
        f"(median {statistics.median(d['unit'] for d in draws):.0f})"
    )
    print(
        "design | budget | wins or ties (val) | median gain val (points) | "
        "median gain test (points) | median trials (unpruned arm's)"
    )
    for name in designs:
        for b in BUDGETS:
            gain_val = [100 * (d["arms"][name][b][0] - d["arms"]["none"][b][0]) for d in draws]
            gain_test = [100 * (d["arms"][name][b][1] - d["arms"]["none"][b][1]) for d in draws]
            n = statistics.median(d["arms"][name][b][2] for d in draws)
            n_none = statistics.median(d["arms"]["none"][b][2] for d in draws)
            wins = sum(g >= 0 for g in gain_val)
            print(
                f"{name} | {b}x | {wins}/{len(draws)} ({wins / len(draws):.0%}) | "
                f"{statistics.median(gain_val):+.2f} | {statistics.median(gain_test):+.2f} | "
                f"{n:.0f} ({n_none:.0f})",
                flush=True,
            )


if __name__ == "__main__":
    main()
