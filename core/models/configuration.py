"""The Hugging Face config classes of the two model families, saved with a model's weights.

The knobs themselves (defaults, help, ranges) live in the torch-free :mod:`core.knobs._fields`;
:class:`TextClassifierConfig` inherits them from :class:`~core.knobs._fields.ModelKnobs`, so a default is
written once. ``model_type`` picks the architecture.
"""

from __future__ import annotations

from transformers import PretrainedConfig

from core.knobs import FAMILY_OF_MODEL_TYPE, ModelKnobs


class TextClassifierConfig(ModelKnobs, PretrainedConfig):
    """Knobs of the CNN and the RNN (from :class:`~core.knobs._fields.ModelKnobs`). ``model_type`` picks
    the architecture (see ``core.models``).

    ``ModelKnobs`` comes first among the bases so that its fields would win over any
    ``PretrainedConfig`` field of the same name (dataclass fields are collected base-last).
    """

    model_type = "text_classifier"

    vocab_size: int = 20000  # set from the tokenizer; the knob is DataConfig.vocab_size
    pad_token_id: int | None = 0

    @property
    def min_pad_length(self) -> int:
        """Shortest padded length the model accepts (a CNN needs a full window)."""
        return max(self.filter_sizes) if self.model_type == TextCNNConfig.model_type else 1


class TextCNNConfig(TextClassifierConfig):
    model_type = "text_cnn"


class TextRNNConfig(TextClassifierConfig):
    model_type = "text_rnn"


CONFIG_CLASSES: dict[str, type[TextClassifierConfig]] = {"cnn": TextCNNConfig, "rnn": TextRNNConfig}


# core.knobs._fields.FAMILY_OF_MODEL_TYPE is the one map; the classes must agree with it.
assert all(FAMILY_OF_MODEL_TYPE[cls.model_type] == f for f, cls in CONFIG_CLASSES.items())
