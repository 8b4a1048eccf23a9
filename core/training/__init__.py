"""Train one run and use what it saved: everything that needs torch.

- :func:`build_run_config` and :class:`RunConfig`: a run's full configuration;
- :func:`prepare_data`: the splits tokenized (a WordPiece tokenizer trained on train) and kept in
  memory, with a distillation teacher's targets when the run has one;
- :func:`train_run`: ``transformers.Trainer`` with model selection on validation, test scored
  once;
- :func:`load_model`, :func:`predict`, :func:`export_model`: a stored model's predictions and
  word attributions; :func:`explain_padding`: why the report's RNN could not learn.

Importing this package imports torch; pages import it only inside the functions that train or
predict.
"""

from __future__ import annotations

from core.training._batching import TokenizedSplit, build_collator
from core.training._config import RunConfig, build_run_config
from core.training._padding import PaddingExplanation, explain_padding, find_padding_pair
from core.training._predict import (
    Prediction,
    check_export_target,
    export_model,
    load_model,
    predict,
)
from core.training._prepared import prepare_data
from core.training._progress import ProgressBar
from core.training._scoring import score_split
from core.training._teacher import choose_weight
from core.training._tokenizer import fitted_defaults, get_tokenizer, token_ids
from core.training._trainer import RunStopped, rehearse, train_run, warm_up

__all__ = [
    "build_collator",
    "build_run_config",
    "check_export_target",
    "choose_weight",
    "explain_padding",
    "export_model",
    "find_padding_pair",
    "fitted_defaults",
    "get_tokenizer",
    "load_model",
    "PaddingExplanation",
    "predict",
    "Prediction",
    "prepare_data",
    "ProgressBar",
    "RunConfig",
    "RunStopped",
    "score_split",
    "token_ids",
    "TokenizedSplit",
    "rehearse",
    "train_run",
    "warm_up",
]
