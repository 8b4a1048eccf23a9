"""Why the report's RNN could not learn: :func:`explain_padding` runs the seed RNN and a packed
RNN on the same review padded to ``max_length`` and measures how much of the review is left in
each model's final state (:func:`find_padding_pair` picks the two among the stored runs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from core.errors import ExplorerError
from core.results import StoredRun
from core.training._predict import LoadedModel, batch_inputs, encode, predict_proba


@dataclass
class ModelEvidence:
    """How one RNN's output depends on the review."""

    name: str
    label: str  # the label whose probability is shown
    prob_review: float  # P(label | the review)
    prob_empty: float  # P(label | an empty review: one unknown token, then padding)
    prob_other: float  # P(label | a different review)
    state_change: float  # ||h(review) - h(empty)|| / ||h(review)||, final states


@dataclass
class PaddingExplanation:
    """The seed RNN against the packed RNN on the same review."""

    seed: ModelEvidence
    packed: ModelEvidence
    review_tokens: int
    max_length: int
    # The seed model's top-layer state distance between the review and the empty review, at
    # each position: large while it reads the review, near zero after the padding.
    state_gap: list[float]


@torch.no_grad()
def _final_states(loaded: LoadedModel, sequences: list[list[int]]) -> torch.Tensor:
    """The vector the RNN's classifier reads for each sequence, ``(batch, hidden * dirs)``."""
    captured: list[torch.Tensor] = []
    hook = loaded.model.classifier.register_forward_hook(
        lambda module, inputs, output: captured.append(inputs[0])
    )
    try:
        loaded.model(**batch_inputs(loaded, sequences))
    finally:
        hook.remove()
    return captured[0]


@torch.no_grad()
def _state_trace(loaded: LoadedModel, sequences: list[list[int]]) -> torch.Tensor:
    """Top-layer outputs at every position, run without packing: ``(batch, seq, hidden)``."""
    batch = batch_inputs(loaded, sequences)
    out, _ = loaded.model.rnn(loaded.model.embed(batch["input_ids"]))
    return out


def _evidence(
    name: str, loaded: LoadedModel, review: list[int], other: list[int], label_id: int
) -> ModelEvidence:
    empty = [loaded.tokenizer.unk_token_id or 0]
    probs = predict_proba(loaded, [review, empty, other])[:, label_id]
    states = _final_states(loaded, [review, empty])
    change = float((states[0] - states[1]).norm() / states[0].norm().clamp(min=1e-8))
    return ModelEvidence(
        name=name,
        label=loaded.label_names[label_id],
        prob_review=float(probs[0]),
        prob_empty=float(probs[1]),
        prob_other=float(probs[2]),
        state_change=change,
    )


def explain_padding(
    seed: LoadedModel, packed: LoadedModel, text: str, other_text: str
) -> PaddingExplanation:
    """Run both RNNs on ``text`` (and, for contrast, on ``other_text`` and on nothing)."""
    for loaded, what in ((seed, "seed"), (packed, "packed")):
        if loaded.family != "rnn":
            raise ExplorerError(f"The {what} model must be an RNN, got a {loaded.family.upper()}.")
    if not text.strip() or not other_text.strip():
        raise ExplorerError("Give two reviews to compare.")
    seed_enc, packed_enc = encode(seed, text), encode(packed, text)
    label_id = len(seed.label_names) - 1  # the last label: "positive" on IMDB
    seed_ev = _evidence(
        "seed (padding read)",
        seed,
        seed_enc.token_ids,
        encode(seed, other_text).token_ids,
        label_id,
    )
    packed_ev = _evidence(
        "packed", packed, packed_enc.token_ids, encode(packed, other_text).token_ids, label_id
    )
    trace = _state_trace(seed, [seed_enc.token_ids, [seed.tokenizer.unk_token_id or 0]])
    gap = (trace[0] - trace[1]).norm(dim=-1)  # (seq,)
    return PaddingExplanation(
        seed=seed_ev,
        packed=packed_ev,
        review_tokens=len(seed_enc.token_ids),
        max_length=trace.shape[1],
        state_gap=[float(g) if math.isfinite(float(g)) else 0.0 for g in gap],
    )


def find_padding_pair(runs: list[StoredRun]) -> tuple[StoredRun | None, StoredRun | None]:
    """The newest saved seed-style RNN (padding read, last state) and the newest packed RNN."""
    seed = packed = None
    for run in runs:
        m = run.model_config
        if run.family != "rnn":
            continue
        if seed is None and not m.get("mask_padding", True) and m.get("padding") == "max_length":
            seed = run
        if packed is None and m.get("mask_padding", True):
            packed = run
    return seed, packed
