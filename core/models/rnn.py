"""TextRNN: embedding, a recurrent layer stack (RNN, GRU or LSTM), pooling, linear.

With ``cell="rnn"``, one layer, ``pooling="last"`` and ``mask_padding=False`` it is the report's
``SimpleRNN``: batches padded on the right to max_length, so its "last hidden state" is the state
after reading hundreds of padding tokens, and the review itself has almost faded away. That is why
the report's RNN sat at 51 %. ``mask_padding=True`` packs the sequences so the state stops at each
review's last real token.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from core.models.base import TextClassifierPreTrainedModel
from core.models.configuration import TextRNNConfig

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class TextRNNForSequenceClassification(TextClassifierPreTrainedModel):
    config_class = TextRNNConfig

    def __init__(self, config: TextRNNConfig) -> None:
        super().__init__(config)
        self.embed = nn.Embedding(
            config.vocab_size, config.embedding_dim, padding_idx=config.pad_token_id
        )
        kwargs = {"nonlinearity": config.nonlinearity} if config.cell == "rnn" else {}
        self.rnn = CELLS[config.cell](
            config.embedding_dim,
            config.hidden_size,
            num_layers=config.num_layers,
            bidirectional=config.bidirectional,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            batch_first=True,
            **kwargs,
        )
        self.num_directions = 2 if config.bidirectional else 1
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.hidden_size * self.num_directions, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **kwargs,
    ):
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        seq_len = input_ids.shape[1]
        x = self.embed(input_ids)  # (batch, seq, embed)
        if self.config.mask_padding:
            lengths = attention_mask.sum(dim=1).clamp(min=1).cpu()
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, state = self.rnn(packed)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=seq_len)
            mask = attention_mask.bool()
        else:
            out, state = self.rnn(x)  # the report's way: padding flows through the state
            mask = torch.ones_like(attention_mask, dtype=torch.bool)
        # out: (batch, seq, hidden * directions)
        h_n = (
            state[0] if isinstance(state, tuple) else state
        )  # (layers * directions, batch, hidden)
        if self.config.pooling == "last":
            z = torch.cat(list(h_n[-self.num_directions :]), dim=-1)  # (batch, hidden * directions)
        elif self.config.pooling == "mean":
            m = mask.unsqueeze(-1).to(out.dtype)  # (batch, seq, 1)
            z = (out * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)
        else:
            z = out.masked_fill(~mask.unsqueeze(-1), float("-inf")).max(dim=1).values
        logits = self.classifier(self.dropout(z))  # (batch, labels)
        return self._output(logits, labels)
