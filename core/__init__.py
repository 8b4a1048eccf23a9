"""Hyperparameter Explorer's engine: data, tokenizer, models, trainer and studies. No Streamlit here."""

from datasets.utils.logging import disable_progress_bar as _disable_datasets_bars
from transformers.utils import logging as _hf_logging

_hf_logging.disable_progress_bar()  # library-internal bars (weight loading/saving) only add noise
_disable_datasets_bars()
