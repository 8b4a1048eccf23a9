"""Hyperparameter Explorer: ``streamlit run streamlit_app.py``.

The file is read twice. ``streamlit run`` first imports it as a module, finds ``app`` (an
``st.App``) and serves that with uvicorn: Streamlit's pages plus, on the same port, the embedded
optuna-dashboard at ``/optuna/`` (``core.dashboard``). Each browser session then runs the file as
``__main__`` (AppTest too): it sets up the page, draws the one sidebar and hands over to the
chosen page (``app_pages/``; not ``pages/``, which Streamlit would also treat as an old-style
page folder). Every page collects input, calls ``core`` and draws what comes back.

In read-only mode (``EXPLORER_READ_ONLY=1``, or ``read_only = true`` in Streamlit secrets) only the
viewing pages exist: Home, Explore, Results, Dashboard and Predict. ``core`` refuses writes on its own too.
"""

import streamlit as st

from app_pages._resources import start_job_workers, stop_job_workers
from app_pages._sidebar import apply_secrets, render_sidebar
from core.settings import is_read_only


def main() -> None:
    """One run of the app for a browser session."""
    apply_secrets()  # before anything reads a setting
    st.set_page_config(
        page_title="Hyperparameter Explorer", page_icon=":material/tune:", layout="wide"
    )
    home = st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True)
    playground = st.Page("app_pages/playground.py", title="Playground", icon=":material/tune:")
    explore = st.Page("app_pages/explore.py", title="Explore", icon=":material/explore:")
    studies = st.Page("app_pages/studies.py", title="Studies", icon=":material/science:")
    results = st.Page("app_pages/results.py", title="Results", icon=":material/bar_chart:")
    dashboard = st.Page("app_pages/dashboard.py", title="Dashboard", icon=":material/monitoring:")
    predict = st.Page("app_pages/predict.py", title="Predict", icon=":material/search_insights:")
    classroom = st.Page(
        "app_pages/class_view.py", title="Class", icon=":material/groups:", url_path="class"
    )
    if is_read_only():
        pages = [home, explore, results, dashboard, predict, classroom]
    else:
        pages = [home, playground, classroom, explore, studies, results, dashboard, predict]
    page = st.navigation(pages)
    render_sidebar()
    page.run()


if __name__ == "__main__":  # a browser session's run (Streamlit runs the script as __main__)
    main()
else:  # `streamlit run` imports the file to find `app`, the server
    from contextlib import asynccontextmanager

    from streamlit import config

    from core.dashboard import mount_dashboard, unmount_dashboard

    _dashboard = mount_dashboard(config.get_option("server.baseUrlPath") or "")

    @asynccontextmanager
    async def _lifespan(_app):
        apply_secrets()  # read-only mode may come from secrets: set before the dashboard serves
        start_job_workers()  # the first Train click finds its workers warm
        yield None
        stop_job_workers()
        unmount_dashboard()  # removes the copies it served

    app = st.App(__file__, routes=_dashboard.routes(), lifespan=_lifespan)
