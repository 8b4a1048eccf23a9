"""How one Playground job reads on a page: its progress line while it waits or trains, and its
result once it ends."""

from __future__ import annotations

import streamlit as st

from core.figures import build_run_curve_figure
from core.jobs import JobSnapshot


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 < 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def progress_text(s: JobSnapshot) -> str:
    """One line: where a waiting job is in line, or how far a running one has got, and where."""
    if s.state == "queued":
        where = f"{_ordinal(s.queue_position or 1)} in line"
        if s.eta_s is None:  # in the queue that every server and worker shares
            return f"waiting for a worker: {where}"
        return f"waiting for a free slot: {where}, starts in about {s.eta_s:.0f} s"
    if s.state == "preparing":
        return "preparing the data and the model"
    if s.state == "cancelling":
        return "cancelling"
    if s.state != "training" or s.eta_s is None:
        return s.state
    where = f" · on {s.worker}" if s.worker else ""
    return f"step {s.step}/{s.max_steps} · about {s.eta_s:.0f} s left{where}"


def render_result(s: JobSnapshot, nouns: str) -> None:
    """A finished job: its outcome, its numbers, what data they are on, and its curves."""
    r = s.result
    if s.state == "failed" or r is None:
        if s.state == "cancelled":
            st.info(s.message or "Cancelled.")
        else:
            st.error(s.message or "The run failed.")
        return
    if s.replayed:
        st.success(f"Replayed: trial #{s.trial_number} of {s.study}, answered from the store.")
        st.caption(s.message)
    else:
        st.success(
            f"Run {s.state}"
            + (f": stored as trial #{s.trial_number}." if s.trial_number is not None else ".")
        )
        if s.message:
            st.warning(s.message)
    cols = st.columns(5)
    cols[0].metric(
        "best val accuracy",
        f"{r.best_val_accuracy:.1%}" if r.best_val_accuracy is not None else "–",
    )
    cols[1].metric(
        "test accuracy",
        f"{r.test_accuracy:.1%}" if r.test_accuracy is not None else "–",
        help=f"On all {r.test_size:,} test {nouns}, with the checkpoint chosen on validation.",
    )
    cols[2].metric("wall time (stored run)" if s.replayed else "wall time", f"{r.wall_s:.1f} s")
    cols[3].metric("parameters", f"{r.params:,}")
    cols[4].metric("samples/s", f"{r.train_samples_per_s:,.0f}")
    notes = []
    if r.dataset:
        notes.append(f"Data: **{r.dataset}**.")
    if r.test_carved:
        notes.append("No test file: the test split was carved from train (20 %, seeded).")
    if r.test_macro_f1 is not None:
        notes.append(
            f"The test classes are unbalanced: test macro-F1 {r.test_macro_f1:.1%} (the mean of "
            "each class's F1) beside the accuracy."
        )
    if notes:
        st.caption(" ".join(notes))
    if s.history:
        st.plotly_chart(build_run_curve_figure(s.history), key="playground_curves")
