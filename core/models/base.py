"""What the CNN and the RNN share: the Hugging Face plumbing and the classification loss."""

from __future__ import annotations

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import SequenceClassifierOutput

from core.models.configuration import TextClassifierConfig


class TextClassifierPreTrainedModel(PreTrainedModel):
    """Base class: PyTorch's default initialisation (seeded by the trainer), except embeddings."""

    config_class = TextClassifierConfig
    base_model_prefix = "text_classifier"
    main_input_name = "input_ids"

    def _init_weights(self, module: nn.Module) -> None:
        # Other layers keep PyTorch's per-layer defaults (Kaiming-uniform). Embeddings start at
        # config.embedding_init_std: PyTorch's N(0, 1) (the report's) moves slowly under Adam,
        # whose steps are about learning_rate in size whatever the weight's scale.
        if isinstance(module, nn.Embedding):
            init.normal_(module.weight, mean=0.0, std=self.config.embedding_init_std)
            if module.padding_idx is not None:
                init.zeros_(module.weight[module.padding_idx])

    def set_token_vectors(self, vectors: torch.Tensor, freeze: bool = False) -> None:
        """Start the embedding from ``vectors`` (vocab, embed), e.g. pretrained word2vec rows in
        token-id order; with ``freeze`` they stay fixed and only the layers above them learn."""
        embed: nn.Embedding = self.embed  # both families name their embedding so
        if tuple(vectors.shape) != tuple(embed.weight.shape):
            raise ValueError(
                f"token vectors of shape {tuple(vectors.shape)} do not fit the embedding "
                f"{tuple(embed.weight.shape)}"
            )
        with torch.no_grad():
            embed.weight.copy_(vectors)
        embed.weight.requires_grad_(not freeze)

    def _output(
        self, logits: torch.Tensor, labels: torch.Tensor | None
    ) -> SequenceClassifierOutput:
        loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)
