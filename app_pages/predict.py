"""Predict: pick a stored model, paste a text, see the label and the words that drove it."""

from __future__ import annotations

from collections import Counter

import streamlit as st

from app_pages._resources import (
    current_dataset,
    data_nouns,
    load_cached_model,
    show_error,
    usable_datasets,
)
from app_pages._sidebar import view_storage_url
from app_pages._tables import study_datasets
from core.data import load_data
from core.errors import ExplorerError
from core.figures import build_highlighted_html, get_top_words
from core.knobs import DataConfig
from core.results import StoredRun, list_saved_runs, load_stored_run
from core.studies import find_best_run_dir
from core.studies.storage import public_name
from core.training import predict

# What the text box starts with where the picked dataset cannot be read (a viewer without it)
FALLBACK_TEXT = "The plot was thin, but the acting was wonderful and the ending moved me."


@st.cache_data(show_spinner="Reading the data…", max_entries=4)
def _example_text(source: str) -> str | None:
    """The first text of the dataset's test split, to start the text box with one of its own."""
    try:
        texts = load_data(DataConfig(data=source)).splits["test"]["text"]
    except ExplorerError:
        return None
    return str(texts[0])[:600] if len(texts) else None


st.session_state.setdefault("predict_source", "Saved runs")
# The box starts with a text of the picked dataset, and follows a switch of dataset until the
# visitor types their own.
example = (usable_datasets() and _example_text(current_dataset().source)) or FALLBACK_TEXT
if st.session_state.get("predict_example") != example:
    if st.session_state.get("predict_text") in (None, st.session_state.get("predict_example")):
        st.session_state["predict_text"] = example
    st.session_state["predict_example"] = example

st.title("Predict")
source = (
    st.segmented_control("Model", ["Saved runs", "Best of a study"], key="predict_source")
    or "Saved runs"
)


def _label(run: StoredRun) -> str:
    acc = f"val {run.best_val_accuracy:.1%}" if run.best_val_accuracy is not None else "no val"
    return f"{run.name} · {run.family.upper()} · {acc} · {run.dataset or 'data not recorded'}"


def _of_dataset(named: dict[str, str | None], what: str) -> list[str]:
    """The keys of ``named`` (a model or study -> the dataset it trained on) on the picked
    dataset; where none is, those of the dataset with the most, said so; all of them where
    none names its dataset."""
    picked = current_dataset().name
    mine = [k for k, d in named.items() if d == picked]
    counts = Counter(d for d in named.values() if d)
    if not counts:  # nothing names its data (made outside this app): all of it
        return list(named)
    if mine:
        return mine
    other = counts.most_common(1)[0][0]
    st.caption(f"No {what} trained on **{picked}**; the {what} trained on **{other}**:")
    return [k for k, d in named.items() if d == other]


@st.cache_data(show_spinner=False, ttl=60)
def _has_model(study: str, storage: str) -> bool:
    """Whether the study's best trial has a stored model (those are offered first)."""
    try:
        find_best_run_dir(study, storage)
    except ExplorerError:
        return False
    return True


chosen: StoredRun | None = None
if source == "Saved runs":
    saved = {run.run_dir: run for run in list_saved_runs()}
    runs = [saved[k] for k in _of_dataset({k: r.dataset for k, r in saved.items()}, "models")]
    if not runs:
        st.info("No saved model of this dataset yet: train a run in the Playground first.")
    else:
        chosen = st.selectbox("Saved run", runs, format_func=_label, key="predict_run")
else:
    storage = view_storage_url()
    try:
        names = _of_dataset(study_datasets(), "studies")
        names = sorted(names, key=lambda n: not _has_model(n, storage))
    except ExplorerError as err:  # the storage cannot be read: one sentence, not a traceback
        show_error(err)
        names = None
    if names is None:
        pass
    elif not names:
        st.info("No study in the storage yet.")
    else:
        study = st.selectbox("Study", names, key="predict_study")
        try:
            chosen = load_stored_run(find_best_run_dir(study, storage))
        except ExplorerError as err:
            show_error(err)

noun, _ = data_nouns()
text = st.text_area(noun.capitalize(), height=150, key="predict_text")
if chosen is not None:
    try:
        model = load_cached_model(chosen.run_dir)
        result = predict(model, text)
    except ExplorerError as err:
        show_error(err)
    else:
        cols = st.columns(3)
        cols[0].metric("label", result.label)
        cols[1].metric("probability", f"{result.probability:.1%}")
        cols[2].metric("model", f"{model.family.upper()}")
        trained_on = (chosen.config.get("data") or {}).get("data") if chosen.config else None
        st.caption(
            f"Classes: {', '.join(f'`{n}`' for n in model.label_names)}"
            + (f" (trained on `{public_name(str(trained_on))}`)." if trained_on else ".")
        )
        st.caption(
            f"Words coloured by {result.method}: green pushed toward **{result.label}**, red "
            "away from it. "
            + (
                "Each filter's strongest window, weighted by what it adds to the label's logit."
                if model.family == "cnn"
                else "How much the label's probability drops when the word is removed."
            )
        )
        if result.truncated:
            st.warning(
                f"The {noun} is longer than this model's max_length "
                f"({model.config.max_length} tokens); only the words shown coloured were read."
            )
        st.markdown(build_highlighted_html(result), unsafe_allow_html=True)
        st.dataframe(get_top_words(result), hide_index=True, key="predict_top_words")
