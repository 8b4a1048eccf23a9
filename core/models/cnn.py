"""TextCNN: embedding, 1-D convolutions of one or several widths, pooling over time, linear.

With ``num_filter_sizes=1``, no dropout, ``mask_padding=False`` and ``filter_pooling="max"`` it
is the report's ``SimpleCNN``. ``mask_padding`` excludes windows that reach into the padding from
the pooling, so a prediction does not depend on how much padding its batch carried.
``filter_pooling="max_mean"`` also feeds the classifier each filter's mean ReLU activation over
the review's windows: how much of a review matches, where the max says only that some part does.
"""

from __future__ import annotations

import torch
from torch import nn

from core.models.base import TextClassifierPreTrainedModel
from core.models.configuration import TextCNNConfig


class TextCNNForSequenceClassification(TextClassifierPreTrainedModel):
    config_class = TextCNNConfig

    def __init__(self, config: TextCNNConfig) -> None:
        super().__init__(config)
        self.embed = nn.Embedding(
            config.vocab_size, config.embedding_dim, padding_idx=config.pad_token_id
        )
        self.convs = nn.ModuleList(
            nn.Conv1d(config.embedding_dim, config.num_filters, k) for k in config.filter_sizes
        )
        self.dropout = nn.Dropout(config.dropout)
        self.pools = ("max", "mean") if config.filter_pooling == "max_mean" else ("max",)
        self.classifier = nn.Linear(
            config.num_filters * len(config.filter_sizes) * len(self.pools), config.num_labels
        )
        self.post_init()

    def classifier_columns(self) -> list[tuple[int, str, slice]]:
        """The classifier's input columns as :meth:`forward` lays them out: per filter width
        (the index into ``convs``), one block of ``num_filters`` columns per pool in
        ``self.pools`` (the max, then with ``max_mean`` the mean). Predict's attribution reads
        the weights through it."""
        out, at = [], 0
        for i, conv in enumerate(self.convs):
            for pool in self.pools:
                out.append((i, pool, slice(at, at + conv.out_channels)))
                at += conv.out_channels
        return out

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **kwargs,
    ):
        x = self.embed(input_ids)  # (batch, seq, embed)
        # Each Conv1d runs as a conv2d of height 1 on a channels-last view of x: the same sums,
        # without copying x into channels-first order; oneDNN's channels-last kernels train
        # about twice as fast on a CPU.
        x = x.unsqueeze(1).permute(0, 3, 1, 2)  # (batch, embed, 1, seq), channels-last strides
        seq = input_ids.shape[1]
        lengths = attention_mask.sum(dim=1) if attention_mask is not None else None
        masked = self.config.mask_padding and lengths is not None and bool((lengths < seq).any())
        with_mean = "mean" in self.pools
        pooled = []
        for conv in self.convs:
            k = conv.kernel_size[0]
            h = nn.functional.conv2d(
                x, conv.weight.unsqueeze(2), conv.bias
            )  # (batch, filters, 1, seq - k + 1)
            h = h.squeeze(2)  # (batch, filters, seq - k + 1)
            inside = None
            if masked:  # windows that reach into the padding never win the max-pool
                last_start = (lengths - k).clamp(min=0)  # a review shorter than k keeps window 0
                starts = torch.arange(h.shape[-1], device=h.device)
                inside = (starts[None, :] <= last_start[:, None])[:, None, :]  # (batch, 1, windows)
            mean = None
            if with_mean:  # the mean ReLU activation over the review's own windows
                r = torch.relu(h)
                if inside is None:
                    mean = r.mean(dim=2)
                else:
                    mean = (r * inside).sum(dim=2) / inside.sum(dim=2).to(r.dtype)
            if inside is not None:
                h = h.masked_fill(~inside, float("-inf"))
            # max-pool, then ReLU: the same as ReLU then max-pool (ReLU is monotonic), on a
            # (batch, filters) tensor instead of the whole feature map
            by_pool = {"max": torch.relu(h.max(dim=2).values), "mean": mean}  # (batch, filters)
            pooled.extend(by_pool[p] for p in self.pools)  # classifier_columns' order
        z = torch.cat(pooled, dim=1)  # (batch, filters * widths * pools)
        logits = self.classifier(self.dropout(z))  # (batch, labels)
        return self._output(logits, labels)
