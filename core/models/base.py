"""What the CNN and the RNN share: the Hugging Face plumbing and the classification loss."""

from __future__ import annotations

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

from core.config import TextClassifierConfig


class TextClassifierPreTrainedModel(PreTrainedModel):
    """Base class: weights keep PyTorch's default initialisation (seeded by the trainer)."""

    config_class = TextClassifierConfig
    base_model_prefix = "text_classifier"
    main_input_name = "input_ids"

    def _init_weights(self, module: nn.Module) -> None:
        # PyTorch's per-layer defaults (Kaiming-uniform) suit these small models; nothing to add.
        pass

    def _output(
        self, logits: torch.Tensor, labels: torch.Tensor | None
    ) -> SequenceClassifierOutput:
        loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)
