"""Config validation: each impossible value gives one sentence."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from core.knobs._fields import get_knob, get_knobs
from core.knobs._presets import PRESETS
from core.training._config import RunConfig, build_run_config


@pytest.mark.parametrize(
    ("family", "overrides", "message"),
    [
        (
            "cnn",
            {"filter_size": 15, "num_filter_sizes": 3, "max_length": 16},
            r"^The widest filter \(17 tokens\) must not exceed max_length \(16\)\.$",
        ),
        (
            "cnn",
            {"filter_size": 14, "num_filter_sizes": 5, "max_length": 16},
            r"^The widest filter \(18 tokens\) must not exceed max_length \(16\)\.$",
        ),
        # every bound comes from the knob's metadata: the sliders' range, the CLI's too
        ("cnn", {"embedding_dim": 0}, r"^embedding_dim must be between 8 and 512, got 0\.$"),
        ("cnn", {"num_filters": -3}, r"^num_filters must be between 1 and 512, got -3\.$"),
        ("rnn", {"hidden_size": 0}, r"^hidden_size must be between 8 and 512, got 0\.$"),
        (
            "cnn",
            {"batch_size": 0},
            r"^batch_size must be one of 8, 16, 32, 64, 128, 256, got 0\.$",
        ),
        ("cnn", {"max_steps": 0}, r"^max_steps must be between 10 and 20000, got 0\.$"),
        ("cnn", {"learning_rate": 0}, r"^learning_rate must be between 1e-06 and 10, got 0\.$"),
        ("cnn", {"learning_rate": float("nan")}, r"^learning_rate must be a number, got nan\.$"),
        ("cnn", {"mask_padding": "maybe"}, r"^mask_padding must be true or false"),
        (
            "rnn",
            {"nonlinearity": "sigmoid"},
            r"^nonlinearity must be one of tanh, relu, got 'sigmoid'\.$",
        ),
        (
            "rnn",
            {"cell": "transformer"},
            r"^cell must be one of rnn, gru, lstm, got 'transformer'\.$",
        ),
        ("cnn", {"dropout": 1.0}, r"^dropout must be between 0 and 0\.8, got 1\.$"),
        ("cnn", {"max_length": 4096}, r"^max_length must be between 16 and 1024, got 4096\.$"),
        ("cnn", {"colour": "red"}, r"^Unknown hyperparameter 'colour'\.$"),
        ("cnn", {"embedding_dim": "wide"}, r"^embedding_dim must be a whole number, got 'wide'\.$"),
    ],
)
def test_invalid_values_raise_one_sentence(family, overrides, message) -> None:
    with pytest.raises(ConfigError, match=message):
        build_run_config(family, overrides=overrides)


def test_unknown_family_and_preset() -> None:
    with pytest.raises(ConfigError, match=r"^model must be one of cnn, rnn, got 'mlp'\.$"):
        build_run_config("mlp")
    with pytest.raises(ConfigError, match=r"^preset must be one of default, seed, got 'best'\.$"):
        build_run_config("cnn", "best")


def test_every_knob_has_help_and_a_legal_default() -> None:
    for k in get_knobs():
        assert k.help.endswith(".") and len(k.help) < 120, k.name
        if k.choices is not None:
            assert k.default in k.choices, k.name
        if k.low is not None:
            assert k.low <= k.default <= k.high, k.name


def test_family_knobs_are_separated() -> None:
    cnn = {k.name for k in get_knobs("cnn")}
    rnn = {k.name for k in get_knobs("rnn")}
    assert {"filter_size", "num_filters"} <= cnn - rnn
    assert {"hidden_size", "nonlinearity", "cell"} <= rnn - cnn
    assert {"max_length", "embedding_dim", "learning_rate", "batch_size", "max_steps"} <= cnn & rnn


def test_seed_preset_is_the_report_setup_and_round_trips() -> None:
    run = build_run_config("rnn", "seed")
    flat = run.to_flat()
    assert flat["cell"] == "rnn" and flat["hidden_size"] == 96 and flat["embedding_dim"] == 64
    assert flat["learning_rate"] == 1e-3 and flat["batch_size"] == 8 and flat["max_steps"] == 2500
    assert flat["mask_padding"] is False and flat["padding"] == "max_length"
    again = RunConfig.from_dict(run.to_dict())
    assert again.to_flat() == flat
    assert set(PRESETS["cnn"]["seed"]) <= {k.name for k in get_knobs("cnn")}


def test_string_values_are_coerced_with_the_knob_type() -> None:
    run = build_run_config(
        "rnn", overrides={"bidirectional": "true", "hidden_size": "32", "learning_rate": "0.01"}
    )
    assert run.model.bidirectional is True and run.model.hidden_size == 32
    assert run.train.learning_rate == 0.01
    assert get_knob("learning_rate").log is True


def test_knob_dependencies_come_from_the_knob() -> None:
    from core.knobs._fields import get_knob

    nonlinearity = get_knob("nonlinearity")
    assert nonlinearity.requires == (("cell", "rnn"),)
    assert nonlinearity.applies({"cell": "rnn"}) and not nonlinearity.applies({"cell": "gru"})
    assert not nonlinearity.applies({})  # the cell's default (GRU) has no nonlinearity knob
    for k in get_knobs():
        for name, value in k.requires:
            get_knob(name).check(value)  # each dependency names a real knob and a legal value


def test_the_validation_protocol_in_words() -> None:
    """What a page says a best was chosen on; a run stored before val_split held out random
    rows."""
    from core.knobs import describe_validation

    assert describe_validation({"val_split": "tail", "val_fraction": 0.2}) == (
        "the last 20 % of each class (tail)"
    )
    assert describe_validation({"val_fraction": 0.1}) == "a random 10 % of each class"
    assert describe_validation({}) == "a random 10 % of each class"
