"""Home: what the app is, the data and storage in use, the best results, and why the report's
RNN sat at 51 %."""

from __future__ import annotations

import streamlit as st

from app_pages._resources import (
    current_dataset,
    data_config,
    get_job_manager,
    get_owner_id,
    load_cached_model,
    show_error,
    usable_datasets,
)
from app_pages._sidebar import view_storage_url
from app_pages._tables import render_best_results
from core.errors import ExplorerError
from core.figures import (
    build_length_histogram,
    build_state_gap_figure,
    get_data_summary,
    get_evidence_table,
)
from core.results import list_saved_runs
from core.settings import get_storage_url, is_read_only
from core.studies.storage import mask_url, public_name
from core.training import build_run_config, explain_padding, find_padding_pair

st.session_state.setdefault("home_explain_steps", 300)
st.session_state.setdefault("home_pair_jobs", [])
st.session_state.setdefault(
    "home_review",
    "A wonderful film: the acting is superb and the story moved me to tears. I loved it.",
)
st.session_state.setdefault(
    "home_other_review", "Dull, clumsy and far too long. The worst script I have sat through."
)

st.title("Hyperparameter Explorer")
if is_read_only():
    st.markdown(
        "How hyperparameters change what two small text classifiers (a CNN and an RNN) learn "
        "from movie reviews, and which ones matter. This viewer shows studies already run: "
        "**Results** and the **Dashboard** compare their trials; **Predict** shows which words "
        "a stored model relies on. Nothing here can be changed."
    )
else:
    st.markdown(
        "Train small text classifiers (a CNN and an RNN) on movie reviews, move one knob at a "
        "time, and see where each result lands among everything tried before. The "
        "**Playground** trains one run from sliders; **Studies** searches many with Optuna; "
        "**Results** and the **Dashboard** compare them; **Predict** shows which words a stored "
        "model relies on."
    )


@st.cache_data(show_spinner="Reading the data…", max_entries=4)
def _summary(source: str):
    return get_data_summary(source)


st.header("Data")
source = current_dataset().source
try:
    summary = _summary(source)
except ExplorerError as err:
    summary = None
    if is_read_only():  # the reason would name the host's paths
        st.caption("The data is not available to this viewer.")
    else:
        st.error(str(err))
if summary is None and not is_read_only():
    others = [e.name for e in usable_datasets() if e.source != source]
    if others:
        st.info(f"Pick another dataset in the sidebar: {', '.join(others)}.")
    else:
        st.info(
            "No data is available. Set the `EXPLORER_DATA` environment variable before starting the "
            "app, to a local folder holding `train` and `test` files (parquet, CSV, TSV or JSON "
            "lines, with `text` and `label` columns) or an `aclImdb/` folder, or to a Hugging Face "
            "dataset id when online, e.g. `EXPLORER_DATA=../shared/data/imdb streamlit run "
            "streamlit_app.py`."
        )
if summary is not None:
    shown = public_name(summary.source) if is_read_only() else summary.source
    st.markdown(f"**Dataset:** {summary.name}" + (f" (`{shown}`)" if shown != summary.name else ""))
    st.markdown(
        f"**{len(summary.label_names)} classes:** "
        + ", ".join(f"`{n}`" for n in summary.label_names)
    )
    if summary.test_carved:
        st.warning(
            "This dataset has no test file: its test split was carved from train (20 %, seeded and "
            f"stratified), so test accuracy here is on {summary.nouns} from the training file."
        )
    cols = st.columns(len(summary.sizes))
    for col, (split, n) in zip(cols, summary.sizes.items(), strict=True):
        col.metric(f"{split} {summary.nouns}", f"{n:,}")
    left, right = st.columns([1, 2])
    left.caption("Label balance")
    left.dataframe(summary.label_counts)
    right.caption(
        f"{summary.noun.capitalize()} length (words), {len(summary.lengths):,} training "
        f"{summary.nouns}"
    )
    right.plotly_chart(build_length_histogram(summary.lengths, summary.noun), key="home_lengths")

st.header("Storage")
if is_read_only():
    st.markdown(
        f"This is a read-only viewer of the studies in `{public_name(view_storage_url())}`: "
        "move the sliders in **Explore**, browse the studies in **Results**, **Dashboard** and "
        "**Predict**. Nothing here can be changed."
    )
else:
    st.markdown(f"Studies and playground runs are stored in `{mask_url(get_storage_url())}`.")
render_best_results(current_dataset().name)

st.header("Why the report's RNN sat at 51 %")
st.markdown(
    "The report padded every review on the right to `max_length` and classified from the RNN's "
    "**last** state. That state comes after hundreds of padding tokens, so the review has faded "
    "from it: the prediction is the same whatever the review says. A packed RNN stops at each "
    "review's last real token."
)
seed_run, packed_run = find_padding_pair(list_saved_runs())
if seed_run is None or packed_run is None:
    missing = " and ".join(
        name
        for name, run in (("a seed-preset RNN", seed_run), ("a packed RNN", packed_run))
        if run is None
    )
    if is_read_only():
        st.info(f"This needs {missing} saved in the runs folder, and this viewer cannot train.")
        st.stop()
    st.info(f"This needs {missing} saved in the runs folder. Train them here or in the Playground.")
    steps = st.select_slider(
        "Steps for each", options=[20, 100, 300, 1000, 2500], key="home_explain_steps"
    )
    if st.button("Train both in the background", key="home_train_pair"):
        try:
            manager = get_job_manager(get_storage_url())
            st.session_state["home_pair_jobs"] = [
                manager.submit(
                    get_owner_id(),
                    build_run_config(
                        "rnn",
                        preset,
                        {"max_steps": steps, "eval_steps": max(steps // 5, 10)},
                        data=data_config(),
                    ),
                )
                for preset in ("seed", "default")
            ]
            st.success("Both runs started; this section fills in when they finish.")
        except ExplorerError as err:
            show_error(err)

    def render_pair_progress() -> None:
        manager = get_job_manager(get_storage_url())
        jobs = [manager.get(get_owner_id(), j) for j in st.session_state["home_pair_jobs"]]
        jobs = [j for j in jobs if j is not None]
        if jobs and all(j.done for j in jobs):
            st.session_state["home_pair_jobs"] = []
            st.rerun()
        for job in jobs:
            st.progress(job.fraction, text=f"{job.flat_config.get('cell', '')} run: {job.state}")

    pending = bool(st.session_state["home_pair_jobs"])
    st.fragment(render_pair_progress, run_every=2.0 if pending else None)()
else:
    st.caption(
        f"Seed RNN: `{seed_run.name}` (val {seed_run.best_val_accuracy or 0:.1%}); "
        f"packed RNN: `{packed_run.name}` (val {packed_run.best_val_accuracy or 0:.1%})."
    )
    review = st.text_area("A review", key="home_review")
    other = st.text_area("A different review, for contrast", key="home_other_review")
    try:
        explanation = explain_padding(
            load_cached_model(seed_run.run_dir),
            load_cached_model(packed_run.run_dir),
            review,
            other,
        )
    except ExplorerError as err:
        show_error(err)
    else:
        st.dataframe(get_evidence_table(explanation), hide_index=True)
        st.plotly_chart(build_state_gap_figure(explanation), key="home_state_gap")
        st.caption(
            f"The review fills {explanation.review_tokens} of {explanation.max_length} positions; "
            "the rest is padding. Once the seed RNN reads the padding, its state for the review "
            "and its state for an empty review become the same vector, so the classifier "
            f"cannot tell them apart (final-state change {explanation.seed.state_change:.1%}, "
            f"against {explanation.packed.state_change:.1%} for the packed RNN)."
        )
