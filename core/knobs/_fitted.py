"""Defaults fitted to a dataset: where the Playground starts on data it has not seen.

The knobs' own defaults suit long reviews (400 tokens, 300 steps of 64). On short texts they
pad nothing away and stop after a fraction of a pass over a large training split, or after many
passes over a small one. Two knobs are fitted to the data, each with its reason:

- ``max_length``: the 95th percentile of the training texts' token lengths, rounded up to a
  multiple of 16, never above the knob's default (a longer cut makes every step slower);
- ``max_steps``: :data:`EPOCHS` passes over the training split, at least :data:`MIN_STEPS` (one
  validation), and no more than the default run's tokens allow: a step costs about
  ``batch_size × max_length`` tokens, so a run cut at 48 tokens may take 400 / 48 times the
  default's steps in the same time.

Torch-free: the caller measures the token lengths (:func:`core.training.fitted_defaults`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.knobs._fields import get_knob

EPOCHS = 3
MIN_STEPS = 100
LENGTH_PERCENTILE = 95


@dataclass(frozen=True)
class FittedDefaults:
    """Knob values fitted to one dataset, and why each was chosen."""

    values: dict[str, int]
    reasons: dict[str, str]
    dataset: str


def _two_figures(n: float) -> int:
    """``n`` rounded to two significant figures: 1,041 → 1,000, 675 → 680."""
    digits = max(0, int(math.floor(math.log10(max(n, 1)))) - 1)
    return int(round(n / 10**digits) * 10**digits)


def fit_defaults(
    token_lengths: Sequence[int], train_size: int, dataset: str, batch_size: int | None = None
) -> FittedDefaults:
    """``max_length`` and ``max_steps`` for training texts of ``token_lengths`` (a sample is
    enough) and a training split of ``train_size`` rows."""
    length_knob, steps_knob = get_knob("max_length"), get_knob("max_steps")
    batch = batch_size or get_knob("batch_size").default
    p = float(np.percentile(token_lengths, LENGTH_PERCENTILE)) if len(token_lengths) else 0.0
    step, shortest = int(length_knob.step or 1), int(length_knob.low or 1)
    max_length = int(min(length_knob.default, max(shortest, math.ceil(p / step) * step)))
    passes = _two_figures(EPOCHS * train_size / batch)
    cap = _two_figures(steps_knob.default * length_knob.default / max_length)
    max_steps = int(min(max(passes, MIN_STEPS), cap, int(steps_knob.high or cap)))
    if max_length == length_knob.default:
        length_reason = (
            f"{LENGTH_PERCENTILE} % of the training texts fit in {p:,.0f} tokens; cut at the "
            f"default {length_knob.default}, as longer cuts make every step slower"
        )
    else:
        length_reason = (
            f"{LENGTH_PERCENTILE} % of the training texts fit in {p:,.0f} tokens, rounded up to "
            f"a multiple of {step}"
        )
    if max_steps == cap and cap < passes:
        steps_reason = (
            f"{EPOCHS} passes over {train_size:,} training texts would take {passes:,} steps; "
            f"capped at what the default run reads ({steps_knob.default} steps cut at "
            f"{length_knob.default} tokens)"
        )
    elif max_steps == MIN_STEPS and passes < MIN_STEPS:
        steps_reason = f"at least {MIN_STEPS} steps, for {train_size:,} training texts"
    else:
        steps_reason = f"{EPOCHS} passes over {train_size:,} training texts of {batch} per step"
    return FittedDefaults(
        values={"max_length": max_length, "max_steps": max_steps},
        reasons={"max_length": length_reason, "max_steps": steps_reason},
        dataset=dataset,
    )
