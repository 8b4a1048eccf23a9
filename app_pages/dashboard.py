"""Dashboard: optuna-dashboard on the same studies, served by the app's own server and embedded.

The app's server (``st.App`` in ``streamlit_app.py``) serves it at ``/optuna/<study file>/``
on its own port (``core.dashboard``), so the frame below works wherever the app does. A
read-only storage (the viewer, or a committed study file) is never handed to it: it serves a copy,
so its own delete and rename buttons can touch nothing real. "Refresh" takes a new copy.
"""

from __future__ import annotations

import streamlit as st

from app_pages._resources import show_error
from app_pages._sidebar import view_storage_url
from core.dashboard import mounted_dashboard, serves_copy
from core.errors import ExplorerError
from core.studies.storage import open_storage

st.title("Dashboard")
storage_url = view_storage_url()
dashboard = mounted_dashboard()
if dashboard is None:
    st.info(
        "optuna-dashboard is served by the app's own server (`streamlit run streamlit_app.py`), "
        "which this session does not have. Results has the same Optuna figures."
    )
    try:
        open_storage(storage_url)  # the chosen study file is checked here too, as on every page
    except ExplorerError as err:
        show_error(err)
else:
    copy = serves_copy(storage_url)
    if copy:
        st.caption(
            "optuna-dashboard, served by this app. It shows a read-only copy of the studies: "
            "nothing done in it reaches the stored studies. Refresh takes a new copy."
        )
    else:
        st.caption(
            "optuna-dashboard, served by this app, on the same storage. Restart empties its cache."
        )
    try:
        with st.spinner("Opening the studies…"):
            path = dashboard.prepare(storage_url)
    except ExplorerError as err:
        show_error(err)
    else:
        left, right, _ = st.columns([1, 1, 4])
        left.link_button("Open in a new tab", path)
        if right.button("Refresh" if copy else "Restart", key="dashboard_restart"):
            dashboard.refresh(storage_url)
            st.rerun()
        st.iframe(path, height=900, alt="optuna-dashboard")
