"""Hyperparameter Explorer: ``streamlit run streamlit_app.py``.

The entry point only sets up the page, draws the one sidebar and hands over to the chosen page
(``app_pages/``; not ``pages/``, which Streamlit would also treat as an old-style
page folder). Every page collects input, calls ``core`` and draws what comes back.
"""

import streamlit as st

from app_pages._common import render_sidebar

st.set_page_config(page_title="Hyperparameter Explorer", page_icon=":material/tune:", layout="wide")

page = st.navigation(
    [
        st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("app_pages/playground.py", title="Playground", icon=":material/tune:"),
        st.Page("app_pages/studies.py", title="Studies", icon=":material/science:"),
        st.Page("app_pages/results.py", title="Results", icon=":material/bar_chart:"),
        st.Page("app_pages/dashboard.py", title="Dashboard", icon=":material/monitoring:"),
        st.Page("app_pages/predict.py", title="Predict", icon=":material/search_insights:"),
    ]
)
render_sidebar()
page.run()
