"""Dashboard: optuna-dashboard starts on a free port, is embedded, and stops with the app."""

from __future__ import annotations

import urllib.request

from tests.app.conftest import new_app


def test_dashboard_starts_embeds_and_stops(app_env: str) -> None:
    at = new_app("app_pages/dashboard.py")
    assert not at.error, [e.value for e in at.error]
    from app_pages._resources import get_dashboard_server

    server = get_dashboard_server(app_env)
    assert server.running
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/api/meta", timeout=5) as r:
        assert r.status == 200
    assert any(
        getattr(el, "proto", None) is not None and server.url in str(el.proto) for el in at.main
    )
    import streamlit as st

    st.cache_resource.clear()  # what happens when the app stops: on_release stops the process
    assert not server.running


def test_dashboard_server_starts_and_stops(tmp_path) -> None:
    from core.dashboard import DashboardServer

    server = DashboardServer(f"sqlite:///{tmp_path / 'd.db'}")
    url = server.start()
    assert url.startswith("http://127.0.0.1:") and server.running
    server.stop()
    assert not server.running
