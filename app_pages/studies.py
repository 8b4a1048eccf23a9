"""Studies: define a search (a preset or an edited space), see its cost, launch background
workers, and follow every study in the storage while it runs."""

from __future__ import annotations

import streamlit as st

from app_pages._history import (
    INTERACTIVE_HELP,
    draw_history,
    study_counts,
    study_summary,
    warn_failures,
)
from app_pages._resources import (
    current_dataset,
    get_study_reader,
    get_worker_registry,
    show_error,
)
from core.errors import ExplorerError
from core.figures import build_history_figure
from core.settings import PROJECT_ROOT, get_storage_url, get_study_logs_dir
from core.studies import estimate_budget, estimate_cost
from core.studies.run import launch_workers
from core.studies.spec import (
    PRUNERS,
    SAMPLERS,
    load_spec_files,
    parse_budget,
    parse_spec,
    spec_to_table,
    table_to_raw_spec,
)
from core.studies.storage import request_stop

PRESET_DIR = PROJECT_ROOT / "studies"

st.session_state.setdefault("studies_watch", None)
storage = get_storage_url()


st.title("Studies")
presets = load_spec_files(PRESET_DIR)
if not presets:
    st.error(f"No study presets found in {PRESET_DIR}.")
    st.stop()

with st.expander("New study", expanded=True):
    name = st.selectbox("Preset", list(presets), key="studies_preset")
    base = presets[name]
    st.caption(base.description)
    st.caption(
        "Tick **search** to tune a knob: a range (low, high, log or step) or comma-separated "
        "choices. Other knobs keep their **fixed** value, or the preset's."
    )
    table = st.data_editor(
        spec_to_table(base),
        hide_index=True,
        key=f"studies_space_{name}",
        disabled=["knob"],
        use_container_width=True,
        column_config={
            "search": st.column_config.CheckboxColumn(help="Search this knob"),
            "log": st.column_config.CheckboxColumn(help="Sample on a log scale"),
        },
    )
    c1, c2, c3 = st.columns(3)
    study_name = c1.text_input("Study name", value=base.name, key=f"studies_name_{name}")
    sampler = c2.selectbox(
        "Sampler", SAMPLERS, index=SAMPLERS.index(base.sampler), key=f"studies_sampler_{name}"
    )
    pruner = c3.selectbox(
        "Pruner", PRUNERS, index=PRUNERS.index(base.pruner), key=f"studies_pruner_{name}"
    )
    c1, c2, c3 = st.columns(3)
    n_trials = c1.number_input(
        "Trials", 1, 5000, value=base.n_trials or 20, key=f"studies_trials_{name}"
    )
    minutes = c2.number_input(
        "Time budget (minutes, 0: none)",
        0,
        24 * 60,
        value=int((base.timeout_s or 0) // 60),
        key=f"studies_minutes_{name}",
    )
    workers = c3.number_input("Workers (processes)", 1, 8, value=1, key="studies_workers")
    budget_text = st.text_input(
        "Or a compute budget, instead of the number of trials",
        value="" if base.budget is None else str(base.budget),
        placeholder="e.g. 20000 steps, or 1h",
        key=f"studies_budget_{name}",
        help="Training steps (each trial's max_steps, pruned ones at the steps they ran) or "
        "training time, summed over every trial; the study runs until it has spent it. With a "
        "pruner, the same budget buys more trials.",
    )

    spec = None
    try:
        budget = parse_budget(budget_text) if budget_text.strip() else None
        raw = table_to_raw_spec(
            base,
            table,
            {
                "name": study_name,
                "n_trials": None if budget else int(n_trials),
                "budget": None if budget is None else str(budget),
                "timeout_s": float(minutes * 60) if minutes else None,
                "sampler": base.to_dict()["sampler"] if sampler == base.sampler else sampler,
                "pruner": base.to_dict()["pruner"] if pruner == base.pruner else pruner,
            },
        )
        spec = parse_spec(raw)
        if budget is None:
            cost = estimate_cost(spec, storage, n_trials=int(n_trials))
            st.info(f"Estimated cost: {cost.describe()}")
        else:
            st.info(f"Estimated: {estimate_budget(spec, budget, storage).describe()}")
    except ExplorerError as err:
        show_error(err)
    if st.button("Launch", type="primary", disabled=spec is None, key="studies_launch"):
        try:
            handles = launch_workers(
                spec,
                None if spec.budget else int(n_trials),
                int(workers),
                storage,
                log_dir=get_study_logs_dir(),
                data=current_dataset().source,
            )
            get_worker_registry().add(spec.name, handles)
            study_counts.clear()  # the launcher sees the new study now, not up to 2 s later
            st.session_state["studies_watch"] = spec.name
            st.success(f"Launched {len(handles)} worker(s) for study '{spec.name}'.")
        except ExplorerError as err:
            show_error(err)


def render_monitor() -> None:
    """Every search study in the storage: counts, best so far, live history, Stop."""
    try:
        studies = study_counts(storage)
    except ExplorerError as err:
        show_error(err)
        return
    studies = studies[studies["kind"] != "playground"]
    if studies.empty:
        st.info("No study in the storage yet.")
        return
    alive = get_worker_registry().alive()
    studies = studies.assign(workers=[alive.get(n, 0) for n in studies["study"]])
    st.dataframe(
        studies[
            [
                "study",
                "model",
                "trials",
                "complete",
                "running",
                "pruned",
                "fail",
                "best_value",
                "workers",
                "stop_requested",
                "last_change",
            ]
        ],
        hide_index=True,
        key="studies_table",
        column_config={"best_value": st.column_config.NumberColumn(format="percent")},
    )
    names = studies["study"].tolist()
    watch = st.session_state["studies_watch"]
    chosen = st.selectbox(
        "Follow", names, index=names.index(watch) if watch in names else 0, key="studies_follow"
    )
    row = studies[studies["study"] == chosen].iloc[0]
    # The followed study through the server's shared reader: each refresh fetches only the
    # trials that changed (a full read is 0.7 s at 10,000 trials), so its counts are current
    # while the table above may be up to 2 s old.
    snapshot = get_study_reader(storage).read(chosen)
    summary = study_summary(storage, snapshot.version, chosen, snapshot.study)
    counts = {
        "complete": summary.n_completed,
        "running": summary.n_running,
        "pruned": summary.n_pruned,
        "fail": summary.n_failed,
    }
    cols = st.columns(5)
    for col, (label, count) in zip(cols, counts.items(), strict=False):
        col.metric(label, count)
    best = summary.best
    cols[4].metric("best so far", "–" if best is None else f"{best.value:.1%}")
    if st.button(
        "Stop (finish current evaluations)",
        key="studies_stop",
        disabled=bool(row["stop_requested"]) or summary.n_running == 0 and not alive.get(chosen),
    ):
        request_stop(chosen, storage)
        study_counts.clear()
        st.toast(f"Stop requested for '{chosen}'.")
    warn_failures(summary)
    if summary.n_completed + summary.n_pruned == 0:
        return
    try:
        if st.session_state.get("studies_interactive"):
            fig = build_history_figure(snapshot.study)
            st.plotly_chart(fig.figure, key="studies_history")
        else:  # the same SVG as Results' (no plotly.js), cached per snapshot version
            draw_history(chosen, snapshot.version, snapshot.study, summary)
    except ValueError as err:
        st.warning(f"The history cannot be drawn for this study: {err}")
    st.toggle(
        "Interactive charts",
        key="studies_interactive",
        help=INTERACTIVE_HELP,
    )


st.header("Studies in the storage")


def _any_running() -> bool:
    if get_worker_registry().alive():
        return True
    try:  # workers started before this server (or elsewhere): the storage knows
        return bool((study_counts(storage)["running"] > 0).any())
    except ExplorerError:
        return False


running = _any_running()
st.fragment(render_monitor, run_every=2.0 if running else None)()
