"""Hyperparameter Explorer: ``streamlit run streamlit_app.py``.

The entry point only sets up the page, draws the one sidebar and hands over to the chosen page
(``app_pages/``; not ``pages/``, which Streamlit would also treat as an old-style
page folder). Every page collects input, calls ``core`` and draws what comes back.

In read-only mode (``EXPLORER_READ_ONLY=1``, or ``read_only = true`` in Streamlit secrets) only the
viewing pages exist: Home, Explore, Results, Dashboard and Predict. ``core`` refuses writes on its own too.
"""

import streamlit as st

from app_pages._sidebar import apply_secrets, render_sidebar
from core.settings import is_read_only

apply_secrets()  # before anything reads a setting
st.set_page_config(page_title="Hyperparameter Explorer", page_icon=":material/tune:", layout="wide")

home = st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True)
playground = st.Page("app_pages/playground.py", title="Playground", icon=":material/tune:")
explore = st.Page("app_pages/explore.py", title="Explore", icon=":material/explore:")
studies = st.Page("app_pages/studies.py", title="Studies", icon=":material/science:")
results = st.Page("app_pages/results.py", title="Results", icon=":material/bar_chart:")
dashboard = st.Page("app_pages/dashboard.py", title="Dashboard", icon=":material/monitoring:")
predict = st.Page("app_pages/predict.py", title="Predict", icon=":material/search_insights:")
if is_read_only():
    pages = [home, explore, results, dashboard, predict]
else:
    pages = [home, playground, explore, studies, results, dashboard, predict]
page = st.navigation(pages)
render_sidebar()
page.run()
