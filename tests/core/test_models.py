"""Models: shapes, padding behaviour (fixed vs the report's), save/load round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import AutoConfig, AutoModelForSequenceClassification

from core.models import build_model
from core.training._config import build_run_config


def _model(family: str, preset: str = "default", **overrides):
    run = build_run_config(
        family, preset, {"dropout": 0.0, **overrides} if preset == "default" else overrides
    )
    run.model.vocab_size = 50
    torch.manual_seed(0)
    return build_model(run.model).eval()


def _review(length: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(1, 50, (1, length), generator=g)


def _pad(ids: torch.Tensor, total: int) -> tuple[torch.Tensor, torch.Tensor]:
    padded = torch.zeros((ids.shape[0], total), dtype=torch.long)
    padded[:, : ids.shape[1]] = ids
    mask = torch.zeros_like(padded)
    mask[:, : ids.shape[1]] = 1
    return padded, mask


@pytest.mark.parametrize(
    ("family", "overrides"),
    [
        ("cnn", {}),
        ("cnn", {"num_filter_sizes": 1, "filter_size": 5}),
        ("rnn", {"cell": "rnn", "nonlinearity": "relu"}),
        ("rnn", {"cell": "lstm", "num_layers": 2, "bidirectional": True, "pooling": "mean"}),
        ("rnn", {"cell": "gru", "pooling": "max", "bidirectional": True}),
    ],
)
def test_output_shapes_and_loss(family: str, overrides: dict) -> None:
    model = _model(family, **overrides)
    ids, mask = _pad(torch.randint(1, 50, (4, 12)), 16)
    out = model(input_ids=ids, attention_mask=mask, labels=torch.tensor([0, 1, 1, 0]))
    assert out.logits.shape == (4, 2)
    assert out.loss.ndim == 0 and torch.isfinite(out.loss)


@pytest.mark.parametrize(
    "overrides",
    [
        {"cell": "gru", "pooling": "last"},
        {"cell": "lstm", "pooling": "mean", "bidirectional": True, "num_layers": 2},
        {"cell": "rnn", "pooling": "max"},
    ],
)
def test_fixed_rnn_prediction_ignores_padding(overrides: dict) -> None:
    model = _model("rnn", **overrides)
    review = _review(10)
    with torch.no_grad():
        short = model(*_pad(review, 10)).logits
        long = model(*_pad(review, 200)).logits
    torch.testing.assert_close(short, long, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("pooling", ["max", "max_mean"])
def test_fixed_cnn_prediction_ignores_padding(pooling: str) -> None:
    model = _model("cnn", filter_pooling=pooling)
    review = _review(10)
    with torch.no_grad():
        short = model(*_pad(review, 10)).logits
        long = model(*_pad(review, 300)).logits
    torch.testing.assert_close(short, long, atol=1e-5, rtol=1e-5)


def test_seed_rnn_prediction_changes_with_padding() -> None:
    model = _model("rnn", "seed")
    review = _review(10)
    with torch.no_grad():
        short = model(*_pad(review, 10)).logits
        long = model(*_pad(review, 200)).logits
    assert not torch.allclose(short, long, atol=1e-3)


def test_seed_rnn_final_state_forgets_the_review() -> None:
    """After hundreds of padding steps, two different reviews end in (nearly) the same state."""
    model = _model("rnn", "seed")
    with torch.no_grad():
        a = model(*_pad(_review(10, seed=1), 512)).logits
        b = model(*_pad(_review(10, seed=2), 512)).logits
        a_short = model(*_pad(_review(10, seed=1), 10)).logits
        b_short = model(*_pad(_review(10, seed=2), 10)).logits
    assert (a - b).abs().max() < 1e-4 < (a_short - b_short).abs().max()


@pytest.mark.parametrize("family", ["cnn", "rnn"])
@pytest.mark.parametrize("preset", ["default", "seed"])
def test_save_pretrained_round_trip(tmp_path: Path, family: str, preset: str) -> None:
    model = _model(family, preset)
    model.save_pretrained(tmp_path)
    config = AutoConfig.from_pretrained(tmp_path)
    assert type(config) is type(model.config)
    loaded = AutoModelForSequenceClassification.from_pretrained(tmp_path).eval()
    assert type(loaded) is type(model)
    assert loaded.config.to_diff_dict() == model.config.to_diff_dict()
    ids, mask = _pad(torch.randint(1, 50, (3, 20)), 24)
    with torch.no_grad():
        torch.testing.assert_close(model(ids, mask).logits, loaded(ids, mask).logits)


def test_max_mean_pooling_adds_each_filters_mean_over_the_reviews_own_windows() -> None:
    model = _model("cnn", filter_pooling="max_mean", num_filter_sizes=2, filter_size=3)
    n = model.config.num_filters
    assert model.classifier.in_features == 2 * 2 * n  # max and mean, for each of two widths
    assert [(i, pool, c.start, c.stop) for i, pool, c in model.classifier_columns()] == [
        (0, "max", 0, n),
        (0, "mean", n, 2 * n),
        (1, "max", 2 * n, 3 * n),
        (1, "mean", 3 * n, 4 * n),
    ]  # the layout the checks below read, and Predict's attribution too
    seen = []
    model.classifier.register_forward_hook(lambda _m, args, _out: seen.append(args[0]))
    review = _review(12)
    with torch.no_grad():
        model(*_pad(review, 40))  # 28 padding tokens: their windows are not averaged
        x = model.embed(review).transpose(1, 2)  # (1, embed, 12)
        for i, conv in enumerate(model.convs):  # features: [max, mean] per width, in order
            h = torch.relu(conv(x))  # (1, filters, 12 - k + 1): the review's own windows
            block = seen[0][:, 2 * i * n : 2 * (i + 1) * n]
            torch.testing.assert_close(block[:, :n], h.max(dim=2).values, atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(block[:, n:], h.mean(dim=2), atol=1e-5, rtol=1e-5)
