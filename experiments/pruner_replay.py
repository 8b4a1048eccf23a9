"""What a pruner would have saved on a study that ran unpruned: its stored learning curves replayed,
in trial order, through the pruner's decisions. No training.

    .venv/bin/python -m experiments.pruner_replay cnn-pruner-none --storage sqlite:///studies/research.db

Prints, per pruner, the training steps the replayed study would have used (a pruned trial stops
at the step where the pruner stopped it), the share of the unpruned steps, and the best
validation accuracy among the trials left to complete.

A replay keeps the unpruned study's trials, so it answers "which trials would this pruner have
stopped", not "which trials would the sampler then have proposed": in a real pruned study the
sampler learns from the pruned trials and proposes more good ones, which the pruner then lets
run longer. On the committed 20-trial ``cnn-pruner-none`` the replayed median pruner gives
exactly the steps the real median arm used (11,565), because the TPE sampler's first trials
agree; for successive halving the real arm used about 1.5 times the replayed share.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def candidates(max_steps: int):
    import optuna

    from core.studies.spec import FirstRungCapPruner

    p = optuna.pruners
    yield "median (5 startup, warm-up 200)", p.MedianPruner(n_startup_trials=5, n_warmup_steps=200)
    yield "median (5 startup, no warm-up)", p.MedianPruner(n_startup_trials=5, n_warmup_steps=0)
    for rf in (2, 3, 4):
        for low in (100, 200):
            yield (
                f"successive halving (min {low}, factor {rf})",
                p.SuccessiveHalvingPruner(min_resource=low, reduction_factor=rf),
            )
            yield (
                f"hyperband (min {low}, max {max_steps}, factor {rf})",
                p.HyperbandPruner(min_resource=low, max_resource=max_steps, reduction_factor=rf),
            )
        yield (
            f"successive halving, first rung capped (min 100, factor {rf})",
            FirstRungCapPruner(min_resource=100, reduction_factor=rf),
        )


def replay(trials, pruner) -> tuple[int, float | None]:
    """(steps used, best completed value) had ``pruner`` watched these curves."""
    import optuna

    study = optuna.create_study(direction="maximize", pruner=pruner)
    steps, best = 0, None
    for t in trials:
        live = study.ask()
        last, pruned = 0, False
        for step in sorted(t.intermediate_values):
            live.report(t.intermediate_values[step], step)
            last = step
            if live.should_prune():
                pruned = True
                break
        steps += last if pruned else int(t.user_attrs.get("steps") or last)
        if pruned:
            study.tell(live, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(live, t.value)
            best = t.value if best is None else max(best, t.value)
    return steps, best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("study", help="A study that ran without pruning (e.g. cnn-pruner-none).")
    p.add_argument("--storage", default="sqlite:///studies/research.db")
    p.add_argument(
        "--orders",
        type=int,
        default=0,
        help="Also replay this many random orders of the trials (seeded): how often each pruner "
        "meets both of issue 17's bars (at most 1/3 of the steps, best within 0.5 points).",
    )
    args = p.parse_args()

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    import tempfile

    from core.studies.storage import snapshot_storage

    with tempfile.TemporaryDirectory() as tmp:  # a copy: opening a SQLite file writes to it
        url = snapshot_storage(args.storage, Path(tmp) / "copy.db")
        source = optuna.load_study(study_name=args.study, storage=url)
        source_trials = source.trials
    done = optuna.trial.TrialState.COMPLETE
    trials = sorted((t for t in source_trials if t.state == done), key=lambda t: t.number)
    if not trials:
        sys.exit(f"Study {args.study} has no completed trial to replay.")
    total = sum(int(t.user_attrs.get("steps") or max(t.intermediate_values)) for t in trials)
    best = max(t.value for t in trials)
    longest = max(int(t.user_attrs.get("steps") or max(t.intermediate_values)) for t in trials)
    print(f"{args.study}: {len(trials)} trials, {total} steps unpruned, best val {best:.4f}")
    for label, pruner in candidates(longest):
        steps, kept = replay(trials, pruner)
        kept_text = "-" if kept is None else f"{kept:.4f} ({100 * (kept - best):+.2f} points)"
        print(f"  {label:<60} {steps:>7} steps ({steps / total:.2f})  best val {kept_text}")
    if args.orders:
        _orders(trials, total, best, longest, args.orders)


def _orders(trials, total: int, best: float, longest: int, n: int) -> None:
    """Each candidate over ``n`` random orders of the same trials: the median share of steps,
    the median loss of the best, and the orders that meet both bars. An order the sampler would
    not produce (TPE's random start first, then better trials) measures how much a pruner's
    outcome depends on the order trials arrive in, not its expected outcome."""
    import random

    outcomes: dict[str, list[tuple[float, float]]] = {}  # label -> (share, loss) per order
    for seed in range(n):
        order = random.Random(seed).sample(trials, len(trials))
        for label, pruner in candidates(longest):  # fresh pruners for each order
            steps, kept = replay(order, pruner)
            loss = 100 * (best - kept) if kept is not None else 100.0
            outcomes.setdefault(label, []).append((steps / total, loss))
    print(f"{n} random orders: median share, median loss (points), orders meeting both bars")
    for label, pairs in outcomes.items():
        shares, losses = zip(*pairs, strict=True)
        both = sum(share <= 1 / 3 and loss <= 0.5 for share, loss in pairs)
        print(
            f"  {label:<60} {statistics.median(shares):.2f}  {statistics.median(losses):5.2f}  "
            f"{both}/{n}"
        )


if __name__ == "__main__":
    main()
