"""Hyperparameter Explorer's engine: data, tokenizer, models, trainer and studies. No Streamlit here.

Importing ``core`` imports nothing heavy: a page that only reads a study file never loads
torch, transformers or datasets (``tests/core/test_imports.py``).
"""
