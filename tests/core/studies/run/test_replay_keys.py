"""Knobs added later must not change the replay keys of runs stored before they existed."""

from __future__ import annotations

import hashlib
import json

import pytest
import transformers

from core.studies.run._replay import ENGINE_VERSION, replay_key
from core.training._config import build_run_config


def _old_key(family: str, fingerprint: str, threads: int) -> str:
    """The key the engine computed before embedding_init, freeze_embeddings and warmup_ratio
    existed: its hashed config written out field by field, as stored runs have it (copied from
    ``json.dumps(build_run_config(family).to_dict())`` at that commit, data location and the
    fields derived from the data removed as ``replay_key`` removes them)."""
    model_type = {"cnn": "text_cnn", "rnn": "text_rnn"}[family]
    config = {
        "data": {
            "label_column": "label",
            "label_names": None,
            "max_test_samples": None,
            "max_tokens": 1024,
            "max_train_samples": None,
            "split_seed": 42,
            "text_column": "text",
            "tokenizer": None,
            "val_fraction": 0.1,
            "vocab_size": 20000,
        },
        "model": {
            "bidirectional": False,
            "cell": "gru",
            "dropout": 0.0,
            "embedding_dim": 64,
            "embedding_init_std": 0.1,
            "filter_size": 3,
            "hidden_size": 96,
            "mask_padding": True,
            "max_length": 400,
            "model_type": model_type,
            "nonlinearity": "tanh",
            "num_filter_sizes": 1,
            "num_filters": 64,
            "num_layers": 1,
            "padding": "longest",
            "pooling": "last",
            "transformers_version": transformers.__version__,
            "truncation_side": "left",
        },
        "train": {
            "batch_size": 64,
            "early_stopping_patience": 0,
            "eval_batch_size": 256,
            "eval_steps": 100,
            "group_by_length": True,
            "learning_rate": 0.01,
            "lr_scheduler_type": "linear",
            "max_steps": 300,
            "seed": 42,
            "weight_decay": 0.0,
        },
    }
    blob = json.dumps(
        {"data": fingerprint, "config": config, "threads": threads, "v": ENGINE_VERSION},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def test_a_run_at_defaults_keeps_the_key_it_had_before_the_new_knobs() -> None:
    for family in ("cnn", "rnn"):
        assert replay_key(build_run_config(family), "abc123", 2) == _old_key(family, "abc123", 2)
    # With transformers 5.24.0 (the pinned version) that key was, before this change:
    if transformers.__version__ == "5.24.0":
        assert replay_key(build_run_config("cnn"), "fingerprint0123", 2) == (
            "eafafd385c0055a827a639d11ac879ae"
        )


def test_the_new_knobs_change_the_key_only_when_they_change_the_run() -> None:
    base = replay_key(build_run_config("cnn"), "fp", 2)
    # freeze_embeddings does nothing with random vectors: same run, same key
    assert (
        replay_key(build_run_config("cnn", overrides={"freeze_embeddings": True}), "fp", 2) == base
    )
    keys = {
        replay_key(build_run_config("cnn", overrides=o), "fp", 2)
        for o in (
            {"embedding_init": "word2vec"},
            {"embedding_init": "word2vec", "freeze_embeddings": True},
            {"warmup_ratio": 0.1},
            {"filter_pooling": "max_mean"},
        )
    }
    assert len(keys) == 4 and base not in keys
    # filter_pooling at "max" is the CNN as it was: the key of the runs stored before it existed
    assert replay_key(build_run_config("cnn", overrides={"filter_pooling": "max"}), "fp", 2) == base


@pytest.mark.parametrize("study_file", ["examples.db", "research.db"])
def test_every_committed_trial_keeps_its_stored_key(study_file: str) -> None:
    """The committed studies were stored before the new knobs: each trial's replay key,
    recomputed from its stored config, must equal the key it was stored with (trials stored by
    another transformers version are skipped: the version is part of the hashed config)."""
    import sqlite3

    from core.settings import PROJECT_ROOT
    from core.training._config import RunConfig

    db = sqlite3.connect(f"file:{PROJECT_ROOT / 'studies' / study_file}?mode=ro", uri=True)
    wanted = ("replay_key", "config", "threads", "data_fingerprint")
    attrs: dict[int, dict] = {}
    for trial_id, key, value in db.execute(
        "SELECT trial_id, key, value_json FROM trial_user_attributes WHERE key IN (?, ?, ?, ?)",
        wanted,
    ):
        attrs.setdefault(trial_id, {})[key] = json.loads(value)
    db.close()
    checked = 0
    for a in attrs.values():
        if set(wanted) <= set(a) and (
            a["config"]["model"].get("transformers_version") == transformers.__version__
        ):
            run = RunConfig.from_dict(a["config"])
            assert replay_key(run, a["data_fingerprint"], a["threads"]) == a["replay_key"]
            checked += 1
    assert checked > 100 or transformers.__version__ != "5.24.0"
