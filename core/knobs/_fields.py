"""Every knob, its default, its one-line help and its legal range: the single source of truth.

This module is torch-free, so anything that only needs to know the knobs (listing studies,
reading a study file, the sidebar, exercise links) never pays for importing torch or transformers.
:mod:`core.training._config` builds the Hugging Face config classes on top of it.

Each knob is a dataclass field whose ``metadata`` carries its help text and its legal range
(``low``/``high``/``log``/``step``) or ``choices``. Sliders, search spaces, the CLI flags,
:func:`core.training._config.validate` and the stored trials all read it through :func:`get_knobs`, so a
default is written once.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from core.errors import ConfigError

FAMILIES = ("cnn", "rnn")
# The one map from a model config's ``model_type`` (as stored in ``config.json``) to its family.
FAMILY_OF_MODEL_TYPE: dict[str, str] = {"text_cnn": "cnn", "text_rnn": "rnn"}


def knob(default: Any, help: str, **meta: Any) -> Any:
    """A dataclass field that is also a user-facing knob.

    ``meta``: ``low``/``high`` (the legal range, which the sliders, the CLI and
    :func:`core.training._config.validate` all use), ``log`` (a log scale), ``step``, ``choices``,
    ``family`` (only that model family has it), ``requires`` (``{"cell": "rnn"}``: the knob
    only matters when those other knobs have those values) and ``before`` (for a knob added after
    runs were stored: the value at which training does exactly what it did before the knob
    existed; :func:`core.studies.run._replay.replay_key` leaves the knob out of the key there, so the
    stored runs keep their keys).
    """
    return field(default=default, metadata={"help": help, "knob": True, **meta})


@dataclass(eq=False, repr=False)
class ModelKnobs:
    """The model's knobs, for both families. :class:`core.training._config.TextClassifierConfig` (a
    ``PretrainedConfig``, saved with the weights) inherits them, so they are written once."""

    max_length: int = knob(
        400, "Tokens kept per review; longer reviews are cut.", low=16, high=1024, step=16
    )
    truncation_side: str = knob(
        "left",
        "Which end of a long review to cut: left keeps its ending, where the verdict usually is.",
        choices=["left", "right"],
    )
    padding: str = knob(
        "longest",
        "Pad each batch to its longest review (fast), or always to max_length (the report's way).",
        choices=["longest", "max_length"],
    )
    mask_padding: bool = knob(
        True,
        "Keep padding out of the model: packed sequences (RNN), masked max-pool (CNN).",
    )
    embedding_dim: int = knob(64, "Size of each token's learned vector.", low=8, high=512, log=True)
    embedding_init_std: float = knob(
        0.1,
        "Spread of the initial token vectors (PyTorch's default is 1).",
        low=0.01,
        high=1.0,
        log=True,
    )
    embedding_init: str = knob(
        "random",
        "Starting token vectors: random, or word2vec learnt without labels from the training "
        "and unlabelled reviews.",
        choices=["random", "word2vec"],
        before="random",
    )
    freeze_embeddings: bool = knob(
        False,
        "Keep the pretrained token vectors fixed (only the layers above them learn) instead of "
        "fine-tuning them.",
        requires={"embedding_init": "word2vec"},
        before=False,
    )
    dropout: float = knob(
        0.0,
        "Fraction of features zeroed during training, against overfitting.",
        low=0.0,
        high=0.8,
        step=0.05,
    )
    # CNN
    filter_size: int = knob(
        3, "Width of each convolution filter, in tokens.", low=1, high=15, family="cnn"
    )
    num_filter_sizes: int = knob(
        1,
        "How many widths: filter_size, filter_size+1, ... (Kim 2014 used 3, 4, 5).",
        low=1,
        high=5,
        family="cnn",
    )
    num_filters: int = knob(
        64,
        "Filters per width: how many n-gram detectors.",
        low=1,
        high=512,
        log=True,
        family="cnn",
    )
    filter_pooling: str = knob(
        "max",
        "Per filter, its strongest match (max), or also how much of the review matches (mean).",
        choices=["max", "max_mean"],
        family="cnn",
        before="max",
    )
    # RNN
    cell: str = knob(
        "gru",
        "Recurrent cell: plain RNN, GRU or LSTM.",
        choices=["rnn", "gru", "lstm"],
        family="rnn",
    )
    nonlinearity: str = knob(
        "tanh",
        "Activation of the plain RNN cell.",
        choices=["tanh", "relu"],
        family="rnn",
        requires={"cell": "rnn"},
    )
    hidden_size: int = knob(
        96, "Size of the recurrent state.", low=8, high=512, log=True, family="rnn"
    )
    num_layers: int = knob(1, "Stacked recurrent layers.", low=1, high=5, family="rnn")
    bidirectional: bool = knob(False, "Also read each review right to left.", family="rnn")
    pooling: str = knob(
        "last",
        "How the RNN's states become one vector: the last state, or the mean or max over tokens.",
        choices=["last", "mean", "max"],
        family="rnn",
    )

    @property
    def filter_sizes(self) -> list[int]:
        return [self.filter_size + i for i in range(self.num_filter_sizes)]


@dataclass
class TrainConfig:
    """Optimisation knobs, passed to ``transformers.TrainingArguments``."""

    learning_rate: float = knob(
        1e-2,
        "Step size of the AdamW optimiser (too large, and training diverges).",
        low=1e-6,
        high=10.0,
        log=True,
    )
    batch_size: int = knob(64, "Reviews per training step.", choices=[8, 16, 32, 64, 128, 256])
    max_steps: int = knob(
        300, "Training steps (each sees batch_size reviews).", low=10, high=20000, log=True
    )
    group_by_length: bool = knob(
        True,
        "Batch reviews of similar length together, so batches carry little padding (faster).",
    )
    eval_steps: int = knob(
        100, "Validate (and log the loss) every this many steps.", low=5, high=5000, log=True
    )
    early_stopping_patience: int = knob(
        0, "Stop after this many validations without improvement (0: never).", low=0, high=20
    )
    weight_decay: float = knob(0.0, "AdamW weight decay.", low=0.0, high=0.3, step=0.01)
    lr_scheduler_type: str = knob(
        "linear",
        "How the learning rate changes over the run.",
        choices=["linear", "constant", "cosine"],
    )
    warmup_ratio: float = knob(
        0.0,
        "Share of the steps over which the learning rate rises from 0 to learning_rate "
        "(a warm-up; 0: none).",
        low=0.0,
        high=0.5,
        step=0.01,
        before=0.0,
    )
    seed: int = knob(42, "Seed for initial weights and batch order.", low=0, high=2**31 - 1)
    eval_batch_size: int = 256


@dataclass
class DataConfig:
    """Where the reviews come from and how they become token ids."""

    data: str | None = None  # None: the EXPLORER_DATA setting (core.settings)
    text_column: str = "text"
    label_column: str = "label"
    label_names: list[str] | None = None  # names for integer labels; None: see core.data._loading
    val_fraction: float = knob(
        0.1, "Share of the training reviews held out for validation.", low=0.02, high=0.5
    )
    val_split: str = knob(
        "random",
        "Validation: random rows of each class, or each class's last rows in file order (tail: "
        "grouped rows stay together).",
        choices=["random", "tail"],
        before="random",
    )
    teacher: str = knob(
        "none",
        "Also learn the linear baseline's class probabilities on unlabelled and training reviews "
        "(distillation).",
        choices=["none", "baseline"],
        before="none",
    )
    teacher_weight: float = knob(
        0.5,
        "Share of the teacher's probabilities in a training review's target; the rest is its label.",
        low=0.0,
        high=1.0,
        step=0.05,
        requires={"teacher": "baseline"},
        before=0.5,
    )
    # With teacher = "baseline": a saved model's folder (model/ and result.json, trained on this
    # same train part) whose probabilities are averaged with the baseline's, its weight chosen on
    # validation (core.training._teacher). None: the baseline alone. A path, so not a knob: set it in a
    # study file's [data] table or with --teacher-model.
    teacher_model: str | None = None
    split_seed: int = 42
    vocab_size: int = knob(
        20000,
        "Tokens the WordPiece tokenizer learns from the training split.",
        low=1000,
        high=60000,
        step=1000,
    )
    tokenizer: str | None = None  # a pretrained tokenizer name, for users who are online
    max_tokens: int = 1024  # tokenisation cap; max_length cuts further per batch
    max_train_samples: int | None = None  # for tests and quick demos; None: all
    max_test_samples: int | None = None  # None: the full test set (the honest number)


@dataclass(frozen=True)
class Knob:
    """A user-facing hyperparameter, as read from its config field."""

    name: str
    scope: str  # "model", "train" or "data"
    default: Any
    help: str
    type: type
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] | None = None
    family: str | None = None  # None: both families
    requires: tuple[tuple[str, Any], ...] = ()  # (knob, value) pairs under which it matters
    added_later: bool = False  # added after runs were stored: see ``before``
    before: Any = None  # if added_later: the value that trains as before the knob existed

    def applies(self, values: dict[str, Any]) -> bool:
        """Whether this knob matters given the other knobs' ``values`` (missing: default)."""
        return all(values.get(name, get_knob(name).default) == want for name, want in self.requires)

    def check(self, value: Any) -> None:
        """Raise :class:`ConfigError` (one sentence) unless ``value`` is legal for this knob."""
        if self.type is bool:
            if not isinstance(value, bool):
                raise ConfigError(f"{self.name} must be true or false, got '{value}'.")
            return
        if self.choices is not None:
            if value not in self.choices:
                shown = f"'{value}'" if isinstance(value, str) else f"{value}"
                raise ConfigError(
                    f"{self.name} must be one of {', '.join(map(str, self.choices))}, got {shown}."
                )
            return
        if self.type is int and (not isinstance(value, int) or isinstance(value, bool)):
            raise ConfigError(f"{self.name} must be a whole number, got {value}.")
        if self.type is float and (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            raise ConfigError(f"{self.name} must be a number, got {value}.")
        if self.low is not None and self.high is not None and not self.low <= value <= self.high:
            shown = f"{value:g}" if isinstance(value, float) else f"{value}"
            raise ConfigError(
                f"{self.name} must be between {self.low:g} and {self.high:g}, got {shown}."
            )


def _knobs_of(cls: type, scope: str) -> list[Knob]:
    out = []
    for f in dataclasses.fields(cls):
        if not f.metadata.get("knob"):
            continue
        m = f.metadata
        default = f.default
        out.append(
            Knob(
                name=f.name,
                scope=scope,
                default=default,
                help=m["help"],
                type=type(default),
                low=m.get("low"),
                high=m.get("high"),
                log=m.get("log", False),
                step=m.get("step"),
                choices=tuple(m["choices"]) if "choices" in m else None,
                family=m.get("family"),
                requires=tuple(m.get("requires", {}).items()),
                added_later="before" in m,
                before=m.get("before"),
            )
        )
    return out


_ALL_KNOBS: list[Knob] = (
    _knobs_of(ModelKnobs, "model") + _knobs_of(TrainConfig, "train") + _knobs_of(DataConfig, "data")
)


def get_knobs(family: str | None = None) -> list[Knob]:
    """The knobs, in display order; with ``family``, only those that apply to it."""
    return [k for k in _ALL_KNOBS if family is None or k.family in (None, family)]


def get_knob(name: str) -> Knob:
    for k in _ALL_KNOBS:
        if k.name == name:
            return k
    raise ConfigError(f"Unknown hyperparameter '{name}'.")
