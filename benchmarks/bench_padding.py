"""Training throughput: the report's padding (every batch padded to max_length) against per-batch
padding (to the longest review in the batch, capped at max_length), same model, same machine,
one run.

    python benchmarks/bench_padding.py [--steps 60] [--max-length 512]

Uses EXPLORER_DATA (the IMDB folder) and prints one row per model and padding, then the speed-up.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.config import build_run_config  # noqa: E402
from core.trainer import prepare_data, train_run  # noqa: E402

MODELS = {
    "cnn (default)": ("cnn", {}),
    "gru (default)": ("rnn", {}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    rows = []
    for label, (family, overrides) in MODELS.items():
        speeds = {}
        for padding in ("max_length", "longest"):
            run = build_run_config(
                family,
                overrides=overrides
                | {
                    "padding": padding,
                    "max_length": args.max_length,
                    "max_steps": args.steps,
                    "eval_steps": args.steps,
                    "batch_size": args.batch_size,
                },
            )
            prepared = prepare_data(run.data)
            result = train_run(run, save=False, evaluate_test=False, prepared=prepared)
            speeds[padding] = result.train_samples_per_s
            rows.append((label, padding, result.train_samples_per_s))
        rows.append((label, "speed-up", speeds["longest"] / speeds["max_length"]))
    print(
        f"data: {prepared.data.source}; {args.steps} steps of {args.batch_size}, max_length {args.max_length}"
    )
    print(f"{'model':<16} {'padding':<12} {'train samples/s':>16}")
    for label, padding, value in rows:
        fmt = f"{value:>15.2f}x" if padding == "speed-up" else f"{value:>16.1f}"
        print(f"{label:<16} {padding:<12} {fmt}")


if __name__ == "__main__":
    main()
