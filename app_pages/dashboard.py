"""Dashboard: optuna-dashboard on the same storage, started on demand and embedded here.

A read-only storage (the viewer, or a committed study file) is never handed to it: it serves a
copy taken when it starts (``core.dashboard.DashboardServer``), so its own delete and rename buttons
can touch nothing real. "Refresh" takes a new copy.
"""

from __future__ import annotations

import streamlit as st

from app_pages._resources import get_dashboard_server, show_error
from app_pages._sidebar import view_storage_url
from core.errors import ExplorerError

st.title("Dashboard")
server = get_dashboard_server(view_storage_url())
if server.serves_copy:
    st.caption(
        "optuna-dashboard runs as a separate process on a free localhost port. It shows a "
        "read-only copy of the studies taken when it started: nothing done in it reaches the "
        "stored studies. Refresh takes a new copy."
    )
else:
    st.caption(
        "optuna-dashboard runs as a separate process on a free localhost port, reading the same "
        "storage; it stops when the app stops."
    )
try:
    with st.spinner("Starting optuna-dashboard…"):
        url = server.start()
except ExplorerError as err:
    show_error(err)
else:
    host = (st.context.headers.get("Host") or "").split(":")[0]
    if host and host not in ("localhost", "127.0.0.1", "::1", "[::1]"):
        st.info(
            "The dashboard listens on this server's localhost only, so a browser on another "
            "machine cannot show it below. Results has the same Optuna figures."
        )
    left, right, _ = st.columns([1, 1, 4])
    left.link_button("Open in a new tab", url)
    if right.button("Refresh" if server.serves_copy else "Restart", key="dashboard_restart"):
        server.stop()
        st.rerun()
    st.iframe(url, height=900)
