"""The two model families and their config classes, registered with the Auto classes so
``from_pretrained`` finds them."""

from __future__ import annotations

from transformers import AutoConfig, AutoModelForSequenceClassification, PreTrainedModel
from transformers.utils import logging as hf_logging

from core.knobs import family_of
from core.models.cnn import TextCNNForSequenceClassification
from core.models.configuration import (
    CONFIG_CLASSES,
    TextClassifierConfig,
    TextCNNConfig,
    TextRNNConfig,
)
from core.models.rnn import TextRNNForSequenceClassification

hf_logging.disable_progress_bar()  # weight loading/saving bars only add noise

MODEL_CLASSES: dict[str, type[PreTrainedModel]] = {
    "cnn": TextCNNForSequenceClassification,
    "rnn": TextRNNForSequenceClassification,
}

for _config_cls, _model_cls in (
    (TextCNNConfig, TextCNNForSequenceClassification),
    (TextRNNConfig, TextRNNForSequenceClassification),
):
    AutoConfig.register(_config_cls.model_type, _config_cls, exist_ok=True)
    AutoModelForSequenceClassification.register(_config_cls, _model_cls, exist_ok=True)


def build_model(config: TextClassifierConfig) -> PreTrainedModel:
    """A freshly initialised model of the config's family."""
    return MODEL_CLASSES[family_of(config)](config)


def count_parameters(model: PreTrainedModel) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


__all__ = [
    "CONFIG_CLASSES",
    "MODEL_CLASSES",
    "TextClassifierConfig",
    "TextCNNConfig",
    "TextRNNConfig",
    "TextCNNForSequenceClassification",
    "TextRNNForSequenceClassification",
    "build_model",
    "count_parameters",
]
