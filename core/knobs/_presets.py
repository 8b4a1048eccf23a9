"""The presets: named sets of knob values, per model family. ``default`` is the knobs' own
defaults; ``seed`` is the report's setup, faithfully."""

from __future__ import annotations

from typing import Any

# The report's setup: what the student trained. Everything else keeps its default.
_SEED_COMMON: dict[str, Any] = {
    "max_length": 512,
    "padding": "max_length",
    "mask_padding": False,
    "truncation_side": "right",
    "embedding_init_std": 1.0,
    "embedding_dim": 64,
    "dropout": 0.0,
    "learning_rate": 1e-3,
    "batch_size": 8,
    "max_steps": 2500,
    "eval_steps": 500,
    "lr_scheduler_type": "linear",
    "weight_decay": 0.0,
    "group_by_length": False,
}
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "cnn": {
        "default": {},
        "seed": _SEED_COMMON | {"filter_size": 3, "num_filter_sizes": 1, "num_filters": 10},
    },
    "rnn": {
        "default": {},
        "seed": _SEED_COMMON
        | {
            "cell": "rnn",
            "nonlinearity": "tanh",
            "hidden_size": 96,
            "num_layers": 1,
            "bidirectional": False,
            "pooling": "last",
        },
    },
}
