"""Hyperparameter Explorer's engine. No Streamlit here.

Packages, from the bottom up: ``knobs`` (every hyperparameter), ``data`` (a dataset's text and
labels), ``models`` (the CNN and the RNN), ``training`` (torch: train, score, predict),
``studies`` (Optuna searches and their storage), ``figures``, ``jobs`` (the Playground's job
slots). ``docs/architecture.md`` draws the layers.

Importing ``core`` imports nothing heavy: a page that only reads a study file never loads
torch or transformers (``tests/core/test_imports.py``).
"""
