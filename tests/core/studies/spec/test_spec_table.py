"""The Studies form's table <-> study definition, without the page."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import PROJECT_ROOT
from core.studies.spec._parse import parse_spec
from core.studies.spec._table import load_spec_files, spec_to_table, table_to_raw_spec


@pytest.mark.parametrize("name", ["cnn", "rnn", "landscape_rnn"])
def test_a_committed_spec_survives_the_table_round_trip(name: str) -> None:
    spec = load_spec_files(PROJECT_ROOT / "studies")[name]
    table = spec_to_table(spec)
    assert set(table["knob"][table["search"]]) == set(spec.params)
    again = parse_spec(table_to_raw_spec(spec, table, {}))
    assert again.params == spec.params  # ranges, choices and `when` conditions
    assert again.fixed == spec.fixed
    assert (again.model, again.sampler, again.pruner) == (spec.model, spec.sampler, spec.pruner)


def test_edits_in_the_table_become_the_new_definition() -> None:
    spec = load_spec_files(PROJECT_ROOT / "studies")["cnn"]
    table = spec_to_table(spec)
    row = table.index[table["knob"] == "num_filters"][0]
    table.loc[row, ["search", "choices", "low", "high"]] = [True, "16, 64", None, None]
    lr = table.index[table["knob"] == "learning_rate"][0]
    table.loc[lr, ["search", "fixed"]] = [False, "0.003"]
    new = parse_spec(table_to_raw_spec(spec, table, {"name": "edited", "sampler": "random"}))
    assert new.name == "edited" and new.sampler == "random"
    assert new.params["num_filters"].choices == (16, 64)
    assert "learning_rate" not in new.params and new.fixed["learning_rate"] == 0.003


def test_a_bad_cell_is_one_sentence() -> None:
    spec = load_spec_files(PROJECT_ROOT / "studies")["cnn"]
    table = spec_to_table(spec)
    row = table.index[table["knob"] == "embedding_dim"][0]
    table.loc[row, ["search", "choices"]] = [True, "32, lots"]
    with pytest.raises(ConfigError, match="embedding_dim must be a whole number"):
        table_to_raw_spec(spec, table, {})


def test_a_broken_spec_file_is_skipped_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text(
        (PROJECT_ROOT / "studies" / "cnn.toml").read_text(), encoding="utf-8"
    )
    (tmp_path / "bad.toml").write_text('model = "mlp"\n', encoding="utf-8")
    assert list(load_spec_files(tmp_path)) == ["good"]


def test_enqueued_points_survive_the_table_unless_their_ranges_change() -> None:
    spec = parse_spec(load_spec_files(PROJECT_ROOT / "studies")["cnn"].to_dict())
    spec.enqueue = [{"learning_rate": 0.003}, {"dropout": 0.2, "batch_size": 64}]
    table = spec_to_table(spec)
    assert parse_spec(table_to_raw_spec(spec, table, {})).enqueue == spec.enqueue
    lr = table.index[table["knob"] == "learning_rate"][0]
    table.loc[lr, "high"] = 0.005  # the first point's range changed: that point is dropped
    assert parse_spec(table_to_raw_spec(spec, table, {})).enqueue == spec.enqueue[1:]
