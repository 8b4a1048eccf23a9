"""Training throughput: the report's padding (every batch padded to max_length) against batches
padded to their longest review, in random order and grouped by length (the default), same model,
same machine, one run.

    python -m benchmarks.padding [--steps 60] [--max-length 512]

Uses EXPLORER_DATA (the IMDB folder) and prints one row per model and padding, then the speed-up.
"""

from __future__ import annotations

import argparse

from core.training import (
    build_run_config,
    prepare_data,
    train_run,
    warm_up,
)

MODELS = {
    "cnn (default)": ("cnn", {}),
    "gru (default)": ("rnn", {}),
}


# (padding, group_by_length): the seed's way, per-batch padding, and the default
WAYS = (("max_length", False), ("longest", False), ("longest", True))
WAY_NAMES = {
    ("max_length", False): "max_length",
    ("longest", False): "longest",
    ("longest", True): "grouped",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--only", help="only the models whose label contains this")
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    rows = []
    for label, (family, overrides) in MODELS.items():
        if args.only and args.only not in label:
            continue
        speeds = {}
        for padding, grouped in WAYS:
            run = build_run_config(
                family,
                overrides=overrides
                | {
                    "padding": padding,
                    "group_by_length": grouped,
                    "max_length": args.max_length,
                    "max_steps": args.steps,
                    "eval_steps": args.steps,
                    "batch_size": args.batch_size,
                },
            )
            prepared = prepare_data(run.data)
            warm_up(run, prepared)  # torch's one-time costs, outside the timed run
            result = train_run(run, save=False, evaluate_test=False, prepared=prepared)
            way = WAY_NAMES[padding, grouped]
            speeds[way] = result.train_samples_per_s
            rows.append((label, way, result.train_samples_per_s))
        for way in WAY_NAMES.values():
            if way != "max_length":
                rows.append((label, f"{way} / max_length", speeds[way] / speeds["max_length"]))
    print(
        f"data: {prepared.data.source}; {args.steps} steps of {args.batch_size}, max_length {args.max_length}"
    )
    print("max_length: every batch padded to max_length (the seed); longest: padded to its")
    print("longest review, random batches; grouped: longest, batches grouped by length (default)")
    print(f"{'model':<16} {'batches':<24} {'train samples/s':>16}")
    for label, way, value in rows:
        fmt = f"{value:>15.2f}x" if "/" in way else f"{value:>16.1f}"
        print(f"{label:<16} {way:<24} {fmt}")


if __name__ == "__main__":
    main()
