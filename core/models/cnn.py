"""TextCNN: embedding, 1-D convolutions of one or several widths, max-pool over time, linear.

With ``num_filter_sizes=1``, no dropout and ``mask_padding=False`` it is the report's
``SimpleCNN``. ``mask_padding`` excludes windows that reach into the padding from the max-pool,
so a prediction does not depend on how much padding its batch carried.
"""

from __future__ import annotations

import torch
from torch import nn

from core.config import TextCNNConfig
from core.models.base import TextClassifierPreTrainedModel


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
        self.classifier = nn.Linear(
            config.num_filters * len(config.filter_sizes), config.num_labels
        )
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **kwargs,
    ):
        x = self.embed(input_ids)  # (batch, seq, embed)
        x = x.transpose(1, 2)  # (batch, embed, seq): Conv1d wants channels first
        lengths = attention_mask.sum(dim=1) if attention_mask is not None else None
        pooled = []
        for conv in self.convs:
            h = torch.relu(conv(x))  # (batch, filters, seq - k + 1)
            if self.config.mask_padding and lengths is not None:
                k = conv.kernel_size[0]
                last_start = (lengths - k).clamp(min=0)  # a review shorter than k keeps window 0
                starts = torch.arange(h.shape[-1], device=h.device)
                inside = starts[None, :] <= last_start[:, None]  # (batch, seq - k + 1)
                h = h.masked_fill(~inside[:, None, :], 0.0)  # ReLU output is >= 0, so 0 is neutral
            pooled.append(h.max(dim=2).values)  # (batch, filters)
        z = torch.cat(pooled, dim=1)  # (batch, filters * widths)
        logits = self.classifier(self.dropout(z))  # (batch, labels)
        return self._output(logits, labels)
