"""Study files: the presets load, and every mistake gets its one-sentence message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
import pytest

from core.errors import ConfigError
from core.settings import PROJECT_ROOT
from core.studies.spec._parse import load_spec, parse_spec
from core.studies.spec._samplers import build_pruner, build_sampler
from core.studies.spec._study_spec import suggest_overrides
from tests.core.studies.conftest import tiny_spec_dict


@pytest.mark.parametrize("name", ["seed_cnn", "seed_rnn", "cnn", "rnn"])
def test_preset_files_load(name: str) -> None:
    spec = load_spec(PROJECT_ROOT / "studies" / f"{name}.toml")
    assert spec.model in ("cnn", "rnn")
    assert spec.to_dict()["params"]
    assert parse_spec(spec.to_dict()).to_dict() == spec.to_dict()  # the stored form round-trips


def test_seed_studies_reproduce_the_report() -> None:
    spec = load_spec(PROJECT_ROOT / "studies" / "seed_rnn.toml")
    lr, bs = spec.params["learning_rate"], spec.params["batch_size"]
    assert (lr.low, lr.high, lr.log) == (1e-6, 1e-3, True)
    assert bs.choices == (16, 64, 128, 256)
    assert spec.n_trials == 7 and spec.fixed["max_steps"] == 300  # the report's 10,000 on a GPU
    assert spec.fixed["early_stopping_patience"] > 0 and spec.preset == "seed"


def test_report_knobs_and_dropout_are_searched() -> None:
    cnn = load_spec(PROJECT_ROOT / "studies" / "cnn.toml").params
    rnn = load_spec(PROJECT_ROOT / "studies" / "rnn.toml").params
    common = {"max_length", "embedding_dim", "learning_rate", "batch_size", "max_steps", "dropout"}
    assert common | {"filter_size", "num_filters"} <= set(cnn)
    assert common | {"hidden_size", "nonlinearity", "cell", "pooling"} <= set(rnn)


def _bad(data_dir: Path, **changes: Any) -> dict[str, Any]:
    raw = tiny_spec_dict(data_dir)
    for key, value in changes.items():
        if key.startswith("param_"):
            name = key.removeprefix("param_")
            raw["params"] = dict(raw["params"]) | {name: value}
            raw["fixed"] = {k: v for k, v in raw["fixed"].items() if k != name}
        elif key.startswith("fixed_"):
            raw["fixed"] = dict(raw["fixed"]) | {key.removeprefix("fixed_"): value}
        else:
            raw[key] = value
    return raw


BAD_SPECS: list[tuple[dict[str, Any], str]] = [
    ({"colour": "red"}, "Unknown study setting 'colour'; expected one of"),
    ({"name": ""}, 'The study needs a name (name = "...").'),
    ({"model": "transformer"}, "model must be one of cnn, rnn, got 'transformer'."),
    ({"preset": "best"}, "preset must be one of default, seed, got 'best'."),
    ({"n_trials": 0}, "n_trials must be a positive integer, got 0."),
    (
        {"n_trials": None, "timeout_s": -5},
        "timeout_s must be a positive number of seconds, got -5.",
    ),
    ({"n_trials": None}, "Give the study a budget: n_trials, timeout_s or budget, or several."),
    (
        {"budget": "20000 epochs"},
        "budget '20000 epochs' is not a budget; give training steps ('20000 steps') or training "
        "time ('90 min', '1.5h', '3600s').",
    ),
    ({"budget": "0 steps"}, "budget '0 steps' is not positive."),
    ({"budget": "10.5 steps"}, "budget '10.5 steps': steps are a whole number."),
    ({"seed": -1}, "seed must be a non-negative integer, got -1."),
    ({"score_test": "yes"}, "score_test must be true or false, got yes."),
    ({"sampler": "bayes"}, "sampler must be one of tpe, random, grid, cmaes, gp, got 'bayes'."),
    (
        {"pruner": "asha"},
        "pruner must be one of median, successive_halving, hyperband, none, got 'asha'.",
    ),
    ({"sampler": {"name": "tpe", "n_startup": 3}}, "Bad option for TPESampler:"),
    ({"data": {"path": "x"}}, "Unknown data setting 'path'; expected one of"),
    ({"params": {}}, "The study needs at least one parameter to search under [params]."),
    ({"param_colour": {"choices": [1]}}, "Unknown hyperparameter 'colour' in [params]."),
    (
        {"param_hidden_size": {"low": 8, "high": 64}},
        "hidden_size in [params] applies to rnn models only, not cnn.",
    ),
    ({"fixed_cell": "gru"}, "cell in [fixed] applies to rnn models only, not cnn."),
    ({"fixed_colour": 1}, "Unknown hyperparameter 'colour' in [fixed]."),
    (
        {"fixed_learning_rate": 0.1},
        "learning_rate is both fixed and searched; keep it in one place.",
    ),
    (
        {"param_dropout": 0.2},
        "params.dropout must be a table such as { low = 1, high = 10 } or { choices = [...] }.",
    ),
    (
        {"param_dropout": {"low": 0, "high": 1, "lo": 2}},
        "params.dropout has an unknown key 'lo'; use low, high, log, step, choices, when.",
    ),
    (
        {"param_dropout": {"low": 0.5, "high": 0.1}},
        "params.dropout: low (0.5) must not be greater than high (0.1).",
    ),
    (
        {"param_max_length": {"low": 512.0, "high": 256.0}},
        "params.max_length: low (512) must not be greater than high (256).",
    ),
    (
        {"param_learning_rate": {"low": 0, "high": 0.1, "log": True}},
        "params.learning_rate: a log range needs low > 0, got 0.",
    ),
    (
        {"param_learning_rate": {"low": -1e-3, "high": 0.1, "log": True}},
        "params.learning_rate: a log range needs low > 0, got -0.001.",
    ),
    (
        {"param_dropout": {"low": 0.1}},
        "params.dropout needs both low and high, or a list of choices.",
    ),
    (
        {"param_dropout": {"low": "a", "high": 0.5}},
        "params.dropout: low must be a number, got 'a'.",
    ),
    (
        {"param_embedding_dim": {"low": 8.5, "high": 64}},
        "params.embedding_dim: low must be a whole number, got 8.5.",
    ),
    (
        {"param_dropout": {"low": 0.0, "high": 0.5, "log": "yes"}},
        "params.dropout: log must be true or false, got 'yes'.",
    ),
    (
        {"param_embedding_dim": {"low": 8, "high": 64, "log": True, "step": 8}},
        "params.embedding_dim: a range can have log or step, not both.",
    ),
    (
        {"param_dropout": {"low": 0.0, "high": 0.5, "step": 0}},
        "params.dropout: step must be a positive number, got 0.",
    ),
    (
        {"param_embedding_dim": {"low": 8, "high": 64, "step": 2.5}},
        "params.embedding_dim: step must be a whole number, got 2.5.",
    ),
    (
        {"param_padding": {"low": 1, "high": 2}},
        "params.padding takes a list of choices, not a range.",
    ),
    (
        {"param_batch_size": {"low": 16, "high": 64}},
        "params.batch_size takes a list of choices, not a range.",
    ),
    (
        {"param_dropout": {"low": 0.0, "high": 0.5, "choices": [0.1]}},
        "params.dropout gives both choices and a range; use one of them.",
    ),
    ({"param_padding": {"choices": []}}, "params.padding: choices must be a non-empty list."),
    (
        {"param_padding": {"choices": ["longest", "longest"]}},
        "params.padding: choices repeat a value.",
    ),
    (
        {"param_padding": {"choices": ["shortest"]}},
        "params.padding: 'shortest' is not one of 'longest', 'max_length'.",
    ),
    (
        {"param_batch_size": {"choices": [16, 48]}},
        "params.batch_size: 48 is not one of 8, 16, 32, 64, 128, 256.",
    ),
    (
        {"param_mask_padding": {"choices": [True, "no"]}},
        "params.mask_padding: 'no' is not one of False, True.",
    ),
    (
        {"param_num_filters": {"choices": [8, "many"]}},
        "params.num_filters: choice 'many' must be a number.",
    ),
    (
        {"param_num_filters": {"choices": [8, 9.5]}},
        "params.num_filters: choice 9.5 must be a whole number.",
    ),
    (
        {"param_filter_size": {"low": 2, "high": 5, "when": "cnn"}},
        'params.filter_size: when must be a table such as { cell = "rnn" }.',
    ),
    (
        {"param_filter_size": {"low": 2, "high": 5, "when": {"padding": "longest"}}},
        "params.filter_size: when refers to 'padding', which must be searched above it or fixed.",
    ),
    (
        {"param_dropout": {"low": 0.0, "high": 1.0}},
        "params.dropout = 1.0 is not allowed: dropout must be between 0 and 0.8, got 1.",
    ),
    (
        {"param_embedding_dim": {"low": 0, "high": 64}},
        "params.embedding_dim = 0 is not allowed: embedding_dim must be between 8 and 512, got 0.",
    ),
    (
        {"fixed_max_length": 16, "fixed_filter_size": 15, "fixed_num_filter_sizes": 3},
        "In [fixed]: The widest filter (17 tokens) must not exceed max_length (16).",
    ),
    (
        {"sampler": "grid"},
        "The grid sampler needs choices or a step for every parameter; learning_rate has neither.",
    ),
    ({"sampler": 3}, "sampler must be a name or a table with a name, got 3."),
    ({"data": ["x"]}, "[data] must be a table of data settings."),
    ({"fixed": 3}, "[fixed] must be a table of knob = value."),
    ({"enqueue": {"dropout": 0.1}}, "enqueue must be a list of tables ([[enqueue]] with"),
    ({"enqueue": [{}]}, "enqueue point 1 is empty; give it the searched values to try."),
    (
        {"enqueue": [{"dropout": 0.1}, {"embedding_dim": 32}]},
        "enqueue point 2: 'embedding_dim' is not searched under [params]; fix it under [fixed].",
    ),
    (
        {"enqueue": [{"learning_rate": 0.5}]},
        "enqueue point 1: learning_rate = 0.5 is outside its range 0.001 to 0.03.",
    ),
    (
        {"enqueue": [{"dropout": 0.25}]},
        "enqueue point 1: dropout = 0.25 is not on the range's steps of 0.1 from 0.0.",
    ),
    ({"enqueue": [{"dropout": "low"}]}, "enqueue point 1: dropout must be a number, got 'low'."),
    (
        {
            "param_batch_size": {"choices": [16, 32]},
            "enqueue": [{"batch_size": 64}],
        },
        "enqueue point 1: batch_size = 64 is not one of 16, 32.",
    ),
    (
        {"param_embedding_dim": {"low": 8, "high": 64}, "enqueue": [{"embedding_dim": 9.5}]},
        "enqueue point 1: embedding_dim must be a whole number, got 9.5.",
    ),
    # names become file names (worker logs, kept models): never a path
    *[
        (
            {"name": bad},
            f"The study name {bad!r} is not allowed: use letters, digits, '-', '_' and '.', "
            "not starting with '.', at most 100 characters.",
        )
        for bad in ("../x", "a/b", ".hidden", "x" * 101, "tab\there")
    ],
]


def test_a_file_that_names_no_pruner_prunes_nothing(tiny_data_dir: Path) -> None:
    """No pruning design beat an unpruned search at equal compute (README), so it is the
    default."""
    raw = {k: v for k, v in tiny_spec_dict(tiny_data_dir).items() if k != "pruner"}
    assert parse_spec(raw).pruner == "none"


@pytest.mark.parametrize(("changes", "message"), BAD_SPECS, ids=[m[:40] for _, m in BAD_SPECS])
def test_every_mistake_has_one_sentence(tiny_data_dir: Path, changes: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_spec(_bad(tiny_data_dir, **changes))
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^Study file .*missing.toml does not exist\.$"):
        load_spec(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("name = [unclosed\n")
    with pytest.raises(ConfigError, match=r"^Study file .*broken.toml is not valid TOML: "):
        load_spec(broken)


def test_optional_samplers_say_what_to_install(tiny_data_dir: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("cmaes") is None:
        with pytest.raises(ConfigError, match=r"^the cmaes sampler needs the 'cmaes' package"):
            parse_spec(_bad(tiny_data_dir, sampler="cmaes"))


@pytest.mark.parametrize("explicit", [True, False], ids=["when in the file", "from the knob"])
def test_conditional_parameters_are_only_suggested_when_active(
    tiny_data_dir: Path, explicit: bool
) -> None:
    raw = tiny_spec_dict(tiny_data_dir, model="rnn")
    raw["fixed"] = {k: v for k, v in raw["fixed"].items() if k != "num_filters"}
    raw["params"] = {
        "cell": {"choices": ["rnn", "gru"]},
        "nonlinearity": {"choices": ["tanh", "relu"]},
    }
    if explicit:
        raw["params"]["nonlinearity"]["when"] = {"cell": "rnn"}
    spec = parse_spec(raw)
    assert spec.params["nonlinearity"].when == {"cell": ("rnn",)}  # Knob.requires by default
    study = optuna.create_study(sampler=build_sampler(spec), pruner=build_pruner(spec))
    for _ in range(12):
        trial = study.ask()
        chosen = suggest_overrides(trial, spec)
        assert ("nonlinearity" in chosen) == (chosen["cell"] == "rnn")
        assert chosen["max_length"] == 64  # fixed values come along
        study.tell(trial, 0.5)


def test_grid_sampler_covers_the_grid(tiny_data_dir: Path) -> None:
    raw = tiny_spec_dict(tiny_data_dir, sampler="grid")
    raw["params"] = {
        "dropout": {"low": 0.0, "high": 0.2, "step": 0.1},
        "batch_size": {"choices": [16, 32]},
    }
    del raw["fixed"]["batch_size"]
    spec = parse_spec(raw)
    study = optuna.create_study(sampler=build_sampler(spec))
    seen = set()

    def objective(trial: optuna.Trial) -> float:
        chosen = suggest_overrides(trial, spec)
        seen.add((round(chosen["dropout"], 3), chosen["batch_size"]))
        return 0.5

    study.optimize(objective, n_trials=20)  # the grid sampler stops the study when it is done
    assert len(seen) == 6 and len(study.trials) == 6
