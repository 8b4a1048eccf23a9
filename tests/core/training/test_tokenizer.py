"""Tokenizer training and caching, per-batch padding."""

from __future__ import annotations

import os

import torch

from core.data._loading import load_data
from core.knobs._fields import DataConfig
from core.training._batching import PadCollator
from core.training._tokenizer import SPECIAL_TOKENS, build_wordpiece, get_tokenizer, tokenize_splits


def test_tokenizer_is_trained_on_train_only_and_cached(tiny_data: DataConfig) -> None:
    data = load_data(tiny_data)
    tok = get_tokenizer(data, tiny_data)
    assert tok.pad_token_id == 0
    assert len(tok) <= tiny_data.vocab_size
    assert tok.tokenize("Wonderful<br />FILM") == ["wonderful", "film"]
    cache = os.environ["EXPLORER_CACHE"]
    path = os.path.join(cache, "tokenizers", tok.name_or_path, "tokenizer.json")
    mtime = os.path.getmtime(path)
    again = get_tokenizer(data, tiny_data)
    assert os.path.getmtime(path) == mtime  # loaded, not retrained
    assert again.get_vocab() == tok.get_vocab()
    other = get_tokenizer(data, DataConfig(data=tiny_data.data, vocab_size=500, val_fraction=0.2))
    assert other.name_or_path != tok.name_or_path


def test_the_same_reviews_give_the_same_token_ids() -> None:
    # Many words of equal frequency: the trainer alone numbered them differently run to run.
    import random

    rng = random.Random(0)
    words = [
        "".join(rng.choice("abcdefghij") for _ in range(rng.randint(3, 8))) for _ in range(400)
    ]
    texts = [" ".join(rng.choice(words) for _ in range(30)) for _ in range(300)]
    vocabs = [build_wordpiece([texts], 300).get_vocab() for _ in range(5)]
    assert all(v == vocabs[0] for v in vocabs[1:])
    assert [vocabs[0][t] for t in SPECIAL_TOKENS] == [0, 1]
    assert sorted(vocabs[0].values()) == list(range(len(vocabs[0])))
    tok = build_wordpiece([texts], 300)
    assert tok.decode(tok.encode(texts[0]).ids) == texts[0]


def test_two_local_tokenizers_of_one_name_never_share_token_ids(
    tiny_data: DataConfig, tmp_path
) -> None:
    import dataclasses

    data = load_data(tiny_data)
    trained = {}
    for folder, vocab in (("a", 1000), ("b", 80)):
        cfg = dataclasses.replace(tiny_data, vocab_size=vocab)
        tok = get_tokenizer(data, cfg)
        tok.save_pretrained(tmp_path / folder / "tok")  # same folder name, other vocabulary
        trained[folder] = dataclasses.replace(tiny_data, tokenizer=str(tmp_path / folder / "tok"))
    review = data.splits["train"]["text"][0]
    for cfg in trained.values():  # a's cache first: b must not read it
        tok = get_tokenizer(data, cfg)
        splits = tokenize_splits(data, tok, cfg)
        expected = tok.backend_tokenizer.encode(review, add_special_tokens=False).ids
        assert splits["train"][0]["input_ids"] == expected[: cfg.max_tokens]
    a, b = (get_tokenizer(data, cfg) for cfg in trained.values())
    assert len(a) > len(b) == 80
    assert a.backend_tokenizer.encode(review).ids != b.backend_tokenizer.encode(review).ids


def test_tokenized_splits_are_cached_and_sorted_for_eval(tiny_data: DataConfig) -> None:
    data = load_data(tiny_data)
    tok = get_tokenizer(data, tiny_data)
    splits = tokenize_splits(data, tok, tiny_data)
    assert set(splits) == {"train", "validation", "test"}
    assert len(splits["test"]) == 200
    lengths = splits["test"]["length"]
    assert list(lengths) == sorted(lengths, reverse=True)
    row = splits["train"][0]
    assert len(row["input_ids"]) == row["length"] > 0
    assert tokenize_splits(data, tok, tiny_data)["train"][0] == row


def test_collator_pads_to_the_longest_review_capped_at_max_length() -> None:
    feats = [{"input_ids": [5, 6, 7], "label": 1}, {"input_ids": list(range(1, 21)), "label": 0}]
    batch = PadCollator(max_length=8)(feats)
    assert batch["input_ids"].shape == (2, 8)
    assert batch["attention_mask"].sum(1).tolist() == [3, 8]
    short = PadCollator(max_length=8)(feats[:1])
    assert short["input_ids"].tolist() == [[5, 6, 7]]
    assert PadCollator(max_length=8, min_length=5)(feats[:1])["input_ids"].tolist() == [
        [5, 6, 7, 0, 0]
    ]
    seed_style = PadCollator(max_length=8, padding="max_length")(feats[:1])
    assert seed_style["input_ids"].shape == (1, 8)
    assert torch.equal(seed_style["labels"], torch.tensor([1]))


def test_length_grouped_batches_cover_the_data_with_little_padding() -> None:
    import numpy as np

    from core.training._batching import LengthGroupedBatches

    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 500, size=1000).tolist()
    batch = 16
    generator = torch.Generator().manual_seed(0)
    order = list(LengthGroupedBatches(lengths, batch, generator=generator))
    assert sorted(order) == list(range(1000))  # every review once per epoch
    batches = [order[i : i + batch] for i in range(0, len(order), batch)]
    spread = np.mean([np.ptp([lengths[i] for i in b]) for b in batches])
    random_spread = np.mean(
        [np.ptp([lengths[i] for i in b]) for b in np.array_split(rng.permutation(1000), 63)]
    )
    assert spread < random_spread / 5  # similar lengths share a batch
    firsts = [max(lengths[i] for i in b) for b in batches[:-1]]
    assert firsts != sorted(firsts, reverse=True)  # batches come in random order, not longest first
    again = list(LengthGroupedBatches(lengths, batch, generator=torch.Generator().manual_seed(0)))
    assert again == order  # seeded: the same order


def test_tokenized_split_slices_reviews_out_of_arrow(tiny_data: DataConfig) -> None:
    from core.training._batching import TokenizedSplit

    data = load_data(tiny_data)
    splits = tokenize_splits(data, get_tokenizer(data, tiny_data), tiny_data)
    split = TokenizedSplit.from_dataset(splits["test"], sorted_by_length=True)
    assert len(split) == len(splits["test"])
    for i in (0, 7, len(split) - 1):
        assert split[i]["input_ids"].tolist() == splits["test"][i]["input_ids"]
        assert split[i]["label"] == splits["test"][i]["label"]
    assert split.lengths.tolist() == list(splits["test"]["length"])


def test_token_ids_in_the_data_order_are_the_cached_reviews(tiny_data: DataConfig) -> None:
    """``token_ids`` + ``TokenizedSplit.from_ids`` give the reviews the models train on, in the
    data's order (the cached validation and test splits are sorted by length)."""
    import numpy as np

    from core.training._batching import TokenizedSplit
    from core.training._tokenizer import token_ids

    data = load_data(tiny_data)
    tok = get_tokenizer(data, tiny_data)
    cached = tokenize_splits(data, tok, tiny_data)["test"]
    test = data.splits["test"]
    split = TokenizedSplit.from_ids(token_ids(tok, test["text"], 8), np.asarray(test["label"]))
    assert len(split) == len(test) and split.labels.tolist() == list(test["label"])
    assert split.lengths.max() <= 8 and split.lengths.min() >= 1  # capped, never empty
    split = TokenizedSplit.from_ids(
        token_ids(tok, test["text"], tiny_data.max_tokens), np.asarray(test["label"])
    )
    in_data_order = sorted(split[i]["input_ids"].tolist() for i in range(len(split)))
    assert in_data_order == sorted(cached["input_ids"])
    for i in (0, len(test) - 1):  # row i is review i
        alone = tok.backend_tokenizer.encode(test[i]["text"], add_special_tokens=False).ids
        assert split[i]["input_ids"].tolist() == (alone or [tok.unk_token_id])
