"""Screen pruning designs on a surrogate of cnn.toml's learning curves, sampler feedback included.

    .venv/bin/python -m experiments.pruner_surrogate --seeds 20 --calibrate
    .venv/bin/python -m experiments.pruner_surrogate --designs sh-rf4-cap-late --n-trials 60
    .venv/bin/python -m experiments.pruner_surrogate --check       # the surrogate's own error

``pruner_replay.py`` replays pruners over an unpruned arm's stored curves, so it keeps that
arm's trials and cannot show what decided every real arm that failed: the sampler learns from the
pruner's decisions and proposes other trials (README, "Pruning"). This benchmark runs the real
study code instead (the spec's TPE from ``build_sampler``, its pruner from ``build_pruner``,
parameters from ``suggest_overrides``) against a model of the curves: a random forest fitted on
every stored trial of the storage's ``cnn-pruner-*`` arms (610 distinct configurations at 256
tokens and batch 64 in research.db; each validation of each curve is a row), as surrogate
benchmarks do (Eggensperger et al., "Efficient Benchmarking of Hyperparameter Optimizers via
Surrogates", AAAI 2015).

A simulated trial draws its configuration's curve from the forest and adds a per-configuration
offset (a training seed's luck: ``--config-sd``, 0.25 points as ``seed_noise.py`` measured
at val_fraction 0.2) and per-validation noise (``--eval-sd``), both fixed by the configuration
(and the step), as a real trial's fixed seed is. It stops early as the trainer does (patience 4),
and its value is its best validation. Each design runs at sampler seeds 0 .. N-1 beside the
unpruned arm of the same seed; the table counts the seeds at which it meets both of issue 17's
bars (at most a third of the unpruned steps, best within 0.5 points). ``--calibrate`` adds an
unpruned arm at another sampler seed, scored the same way: how often a search that prunes nothing
meets the accuracy bar.

The forest is smoother than training (held-out error on final values 0.66 points, ``--check``)
and only knows the regions earlier arms sampled, so one seed's outcome here is not a forecast of
one real arm's (README, "A surrogate of the curves"); the share of seeds that pass is the number
to read. The ``-oracle`` designs show the other side: their pruner ranks trials at each rung by
the value they would end with, so they measure what a perfect forecast from the first
validations would be worth.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import math
import statistics
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

SEARCHED = ("embedding_dim", "filter_size", "num_filter_sizes", "num_filters", "dropout")
LOGGED = ("embedding_dim", "num_filters", "learning_rate")
PREFIX = "cnn-pruner-"
SH = "successive_halving"
CAP = {"first_rung_cap": True}
LATE = CAP | {"promote_later": True}
RUNG = {"compare_at_rung": True}
# name: (pruner, pruner options, sampler options, knobs fixed in this arm). The first group are
# the real arms' designs (README, "Pruning"); the default list.
DESIGNS: dict[str, tuple[str, dict, dict, dict]] = {
    "none": ("none", {}, {}, {}),
    "sh-rf4": (SH, {"reduction_factor": 4}, {}, {}),
    "sh-rf3": (SH, {"reduction_factor": 3}, {}, {}),
    "sh-rf4-cap": (SH, {"reduction_factor": 4} | CAP, {}, {}),
    "sh-rf3-cap": (SH, {"reduction_factor": 3} | CAP, {}, {}),
    "sh-rf4-cap-fixed900": (SH, {"reduction_factor": 4} | CAP, {}, {"max_steps": 900}),
    "sh-rf4-cap-fixed1200": (SH, {"reduction_factor": 4} | CAP, {}, {"max_steps": 1200}),
    "sh-rf3-cap-rung": (SH, {"reduction_factor": 3} | CAP, RUNG, {}),
    "sh-rf3-cap-rung-fixed900": (SH, {"reduction_factor": 3} | CAP, RUNG, {"max_steps": 900}),
    "sh-rf4-cap-late": (SH, {"reduction_factor": 4} | LATE, {}, {}),
}
DEFAULT = list(DESIGNS)[1:]
DESIGNS |= {
    "sh-rf3-cap-late": (SH, {"reduction_factor": 3} | LATE, {}, {}),
    "sh-rf4-cap-late-fixed900": (SH, {"reduction_factor": 4} | LATE, {}, {"max_steps": 900}),
    "hyperband-rf3": ("hyperband", {"reduction_factor": 3}, {}, {}),
    "hyperband-rf3-fixed1200": ("hyperband", {"reduction_factor": 3}, {}, {"max_steps": 1200}),
    # "report validation more often in early steps": a first rung at 50 steps, with extra
    # validations at 50 and 150 (the simulation's; no knob validates off the eval_steps grid)
    **{
        f"sh-min50-rf{rf}-cap": (
            SH,
            {"reduction_factor": rf, "min_resource": 50} | CAP,
            {},
            {"early_evals": (50, 150)},
        )
        for rf in (2, 3, 4)
    },
    # the twelfth session's screens (README, "Where the ceiling is"): other factors, samplers
    # and start-ups; "sampler" names another sampler than the file's
    **{f"sh-rf{rf}": (SH, {"reduction_factor": rf}, {}, {}) for rf in (5, 6)},
    "sh-rf2-cap": (SH, {"reduction_factor": 2} | CAP, {}, {}),
    "sh-rf3-cap-late-rung": (SH, {"reduction_factor": 3} | LATE, RUNG, {}),
    "sh-rf4-cap-late-rung": (SH, {"reduction_factor": 4} | LATE, RUNG, {}),
    "sh-rf4-univariate": (SH, {"reduction_factor": 4}, {"multivariate": False}, {}),
    **{
        f"sh-rf4{name}-{variant}": (SH, {"reduction_factor": 4} | opts, sampler, {})
        for name, opts in (("", {}), ("-cap", CAP), ("-cap-late", LATE))
        for variant, sampler in (
            ("random", {"sampler": "random"}),
            ("startup20", {"n_startup_trials": 20}),
        )
    },
    # an oracle first rung: the pruner sees at every rung the value the trial would end with
    # (its trained curve is unchanged), so what a perfect early forecast would gain
    **{
        f"sh-rf4{name}-oracle": (SH, {"reduction_factor": 4} | opts, {}, {"oracle": True})
        for name, opts in (("", {}), ("-cap", CAP), ("-cap-late", LATE))
    },
}


def features(flat: dict, step: float) -> list[float]:
    row = [
        math.log(flat[k]) if k in LOGGED else float(flat[k]) for k in (*SEARCHED, "learning_rate")
    ]
    m = float(flat["max_steps"])
    return [*row, m, step, step / m, float(flat.get("val_fraction", 0.1))]


def stored_curves(url: str) -> list[tuple[dict, dict[int, float]]]:
    """Every distinct (configuration, curve) of the comparison's arms: twins are exact copies."""
    import optuna

    from core.studies.storage import open_storage, read_only_url

    storage = open_storage(read_only_url(url))  # reading must not touch the committed file
    seen: dict[str, tuple[dict, dict[int, float]]] = {}
    for summary in optuna.get_all_study_summaries(storage):
        if not summary.study_name.startswith(PREFIX):
            continue
        study = optuna.load_study(study_name=summary.study_name, storage=storage)
        for t in study.get_trials(deepcopy=False):
            flat = t.user_attrs.get("flat")
            if not flat or not t.intermediate_values:
                continue
            key = repr(
                sorted(
                    (k, flat[k]) for k in (*SEARCHED, "learning_rate", "max_steps", "val_fraction")
                )
            )
            seen.setdefault(key, (flat, dict(t.intermediate_values)))
    return list(seen.values())


def fit_surrogate(curves, seed: int = 0):
    from sklearn.ensemble import RandomForestRegressor

    x = [features(flat, s) for flat, iv in curves for s in iv]
    y = [v for _, iv in curves for v in iv.values()]
    model = RandomForestRegressor(n_estimators=200, min_samples_leaf=3, random_state=seed, n_jobs=1)
    return model.fit(np.array(x), np.array(y))


def check(curves) -> None:
    """Five-fold error of the forest on the final value of configurations it did not see."""
    rng = np.random.default_rng(0)
    folds = rng.integers(0, 5, len(curves))
    errors = []
    for k in range(5):
        model = fit_surrogate([c for c, f in zip(curves, folds, strict=True) if f != k])
        for (flat, iv), f in zip(curves, folds, strict=True):
            if f == k and max(iv) >= flat["max_steps"]:
                last = max(iv)
                errors.append(model.predict(np.array([features(flat, last)]))[0] - iv[last])
    e = 100 * np.array(errors)
    print(f"{len(curves)} configurations; final value of {len(e)} held-out complete curves:")
    print(
        f"  mean error {e.mean():+.2f} points, RMSE {np.sqrt((e**2).mean()):.2f}, MAE {np.abs(e).mean():.2f}"
    )


class Simulator:
    def __init__(
        self,
        model,
        config_sd: float,
        eval_sd: float,
        noise_seed: int = 0,
        patience: int = 4,
        every: int = 100,
    ):
        self.model, self.config_sd, self.eval_sd = model, config_sd, eval_sd
        self.noise_seed = noise_seed
        self.patience, self.every = patience, every

    def curve(self, flat: dict) -> list[tuple[int, float]]:
        m = int(flat["max_steps"])
        early = [s for s in flat.get("early_evals", ()) if s < m]
        steps = sorted({*early, *range(self.every, m, self.every), m})
        mean = self.model.predict(np.array([features(flat, s) for s in steps]))
        config = {k: v for k, v in flat.items() if k != "early_evals"}
        digest = hashlib.sha256(repr(sorted(config.items())).encode()).digest()
        seed = int.from_bytes(digest[:8], "little") + self.noise_seed
        offset = np.random.default_rng(seed).normal(0, self.config_sd)
        # each validation's noise fixed by the configuration and the step, whatever else is drawn
        noise = [np.random.default_rng([seed, s]).normal(0, self.eval_sd) for s in steps]
        noisy = mean + offset + np.array(noise)
        return list(zip(steps, np.clip(noisy, 0.0, 1.0).tolist(), strict=True))

    def objective(self, spec, fixed: dict):
        import optuna

        from core.studies.spec import suggest_overrides

        def run(trial: optuna.Trial) -> float:
            flat = {"val_fraction": 0.2} | spec.fixed | fixed | suggest_overrides(trial, spec)
            oracle = flat.pop("oracle", False)
            trained = early_stopped(self.curve(flat), self.patience)
            final = max(value for _, value in trained)
            trial.set_user_attr("flat", flat)
            trial.set_user_attr("best_step", next(s for s, v in trained if v == final))
            try:
                for step, value in trained:
                    trial.set_user_attr("steps", step)
                    # the oracle's pruner sees at each rung the value the trial would end with
                    trial.report(final if oracle else value, step)
                    if trial.should_prune():
                        raise optuna.TrialPruned()
            finally:
                self.ended(trial)
            return final

        return run

    def ended(self, trial) -> None:
        """Called as each trial ends, completed or pruned (its ``steps`` attribute set)."""


def early_stopped(curve: list[tuple[int, float]], patience: int) -> list[tuple[int, float]]:
    """The validations a trial trains through: it stops after ``patience`` without a new best,
    as the trainer does."""
    best, since = -1.0, 0
    for i, (_, value) in enumerate(curve):
        best, since = (value, 0) if value > best else (best, since + 1)
        if since >= patience:
            return curve[: i + 1]
    return curve


def simulate(sim: Simulator, base, design: tuple, seed: int, n_trials: int) -> dict:
    import optuna

    from core.studies.spec import build_pruner, build_sampler

    pruner, pruner_options, sampler_options, fixed = design
    sampler_options = dict(sampler_options)
    sampler = sampler_options.pop("sampler", base.sampler)
    spec = dataclasses.replace(
        base,
        seed=seed,
        sampler=sampler,
        pruner=pruner,
        pruner_options=dict(pruner_options),
        # the file's sampler options belong to the file's sampler; the design's apply either way
        sampler_options=(base.sampler_options if sampler == base.sampler else {}) | sampler_options,
        params={k: v for k, v in base.params.items() if k not in fixed},
        fixed=base.fixed | fixed,
    )
    study = optuna.create_study(
        direction="maximize", sampler=build_sampler(spec), pruner=build_pruner(spec)
    )
    study.optimize(sim.objective(spec, fixed), n_trials=n_trials)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    return {
        "steps": sum(t.user_attrs.get("steps", 0) for t in study.trials),
        "best": max(t.value for t in done) if done else float("nan"),
        "pruned": sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials),
        "study": study,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--storage", default=f"sqlite:///{ROOT / 'studies' / 'research.db'}")
    p.add_argument("--spec", default=str(ROOT / "studies" / "cnn.toml"))
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--n-trials", type=int, default=30)
    p.add_argument(
        "--designs",
        help=f"Comma-separated, of: {', '.join(DESIGNS)} (default: the real arms' designs, "
        f"{', '.join(DEFAULT)}).",
    )
    p.add_argument("--config-sd", type=float, default=0.0025)
    p.add_argument("--eval-sd", type=float, default=0.002)
    p.add_argument(
        "--noise-seed",
        type=int,
        default=0,
        help="Another draw of every configuration's luck (0: the README's tables).",
    )
    p.add_argument(
        "--check", action="store_true", help="Print the forest's held-out error and stop."
    )
    p.add_argument("--per-seed", action="store_true", help="Also print each seed's share and loss.")
    p.add_argument(
        "--calibrate",
        action="store_true",
        help="Also score a second unpruned arm (sampler seed + 1000) against each reference: how "
        "often a search with every step to spare meets the 0.5-point bar.",
    )
    args = p.parse_args()

    import optuna

    from core.studies.spec import load_spec

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    curves = stored_curves(args.storage)
    if args.check:
        check(curves)
        return
    sim = Simulator(fit_surrogate(curves), args.config_sd, args.eval_sd, args.noise_seed)
    base = load_spec(args.spec)
    base.fixed = base.fixed | {"max_length": 256, "batch_size": 64, "val_fraction": 0.2}
    base.params = {k: v for k, v in base.params.items() if k not in base.fixed}
    names = args.designs.split(",") if args.designs else DEFAULT
    refs = {s: simulate(sim, base, DESIGNS["none"], s, args.n_trials) for s in range(args.seeds)}
    print(
        f"{len(curves)} stored configurations; {args.seeds} sampler seeds, {args.n_trials} trials each"
    )
    print("design | met both bars | median share | median loss (points) | worst loss | pruned")
    if args.calibrate:
        other = [simulate(sim, base, DESIGNS["none"], s + 1000, args.n_trials) for s in refs]
        loss = [
            100 * (ref["best"] - o["best"]) for ref, o in zip(refs.values(), other, strict=True)
        ]
        print(
            f"none at sampler seed + 1000 | {sum(x <= 0.5 for x in loss)}/{args.seeds} within 0.5 "
            f"points | - | {statistics.median(loss):.2f} | {max(loss):.2f} | 0"
        )
    for name in names:
        if name == "none":
            continue
        share, loss, met, pruned = [], [], 0, []
        for s in range(args.seeds):
            r = simulate(sim, base, DESIGNS[name], s, args.n_trials)
            share.append(r["steps"] / refs[s]["steps"])
            loss.append(100 * (refs[s]["best"] - r["best"]))
            pruned.append(r["pruned"])
            met += share[-1] <= 1 / 3 and loss[-1] <= 0.5
            if args.per_seed:
                print(f"  {name} seed {s}: share {share[-1]:.3f}, loss {loss[-1]:.2f} points")
        print(
            f"{name} | {met}/{args.seeds} | {statistics.median(share):.3f} | "
            f"{statistics.median(loss):.2f} | {max(loss):.2f} | {statistics.median(pruned):.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
