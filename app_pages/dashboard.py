"""Dashboard: optuna-dashboard on the same storage, started on demand and embedded here."""

from __future__ import annotations

import streamlit as st

from app_pages._common import get_dashboard_server, show_error
from core.errors import ExplorerError
from core.settings import get_storage_url

st.title("Dashboard")
st.caption(
    "optuna-dashboard runs as a separate process on a free localhost port, reading the same "
    "storage; it stops when the app stops."
)
server = get_dashboard_server(get_storage_url())
try:
    with st.spinner("Starting optuna-dashboard…"):
        url = server.start()
except ExplorerError as err:
    show_error(err)
else:
    left, right, _ = st.columns([1, 1, 4])
    left.link_button("Open in a new tab", url)
    if right.button("Restart", key="dashboard_restart"):
        server.stop()
        st.rerun()
    st.iframe(url, height=900)
