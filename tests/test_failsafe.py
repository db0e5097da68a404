"""Each part of the page fails alone: a one-line message in its place, the rest of the page kept."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app.failsafe import user_message
from geo.errors import LayerReadError
from tests.test_app import APP


@pytest.fixture(autouse=True)
def fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def test_user_message__names_the_part_and_hides_server_paths():
    err = ValueError("cannot convert /srv/app/.venv/lib/python3.11/site-packages/x.py line 3\nmore detail")
    text = user_message("The Metrics tab", err)
    assert text.startswith("The Metrics tab failed on the data shown (ValueError: cannot convert …")
    assert "/srv" not in text and "more detail" not in text and "remove it with ✕" in text
    assert (
        user_message("The map", LayerReadError("a.kml: not readable")) == "The map cannot be shown: a.kml: not readable"
    )


def _boom(*args, **kwargs):
    raise TypeError("unsupported operand type(s) for +: 'float' and 'str'")


@pytest.mark.parametrize(
    ("target", "tab", "shown"),
    [
        ("app.main.metrics_section", "Metrics", "The Metrics tab failed"),
        ("app.main.visible_table", "Visible features", "The Visible features tab failed"),
        ("app.main.search_bar", "Metrics", "Search and share failed"),
        ("app.main.show_map", "Metrics", "The map failed"),
        ("app.sidebar.filters_section", "Metrics", "Filters failed"),
        ("app.sidebar.drawings_section", "Metrics", "Your drawings failed"),
    ],
)
def test_app__a_failing_part_shows_one_line_and_the_rest_of_the_page_works(monkeypatch, target, tab, shown):
    monkeypatch.setattr(target, _boom)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["tab"] = tab
    at.run()
    assert not at.exception  # no traceback replaces the page
    errors = [e.value for e in at.error]
    assert any(e.startswith(shown) and "TypeError" in e for e in errors), errors
    assert len(at.checkbox) >= 7  # the layer toggles are still there
    assert at.sidebar.title[0].value == "Corridor Atlas"
    if "filters" not in target:
        assert at.multiselect(key="f_status") is not None


def test_app__an_upload_whose_page_data_fails_is_left_off_the_map_but_stays_listed(monkeypatch):
    import layers.layer
    from tests.test_app import _uploaded

    made = layers.layer.layer_payload

    def failing_for_uploads(spec, gdf):
        return _boom() if spec.group == "Your layers" else made(spec, gdf)

    monkeypatch.setattr(layers.layer, "layer_payload", failing_for_uploads)
    at = _uploaded(AppTest.from_file(APP, default_timeout=60)).run()
    assert not at.exception
    assert any(e.value.replace("\\", "").startswith("Your layer depots.geojson failed") for e in at.error)
    assert at.checkbox(key="layer_up_test").value is True  # still listed, with its ✕
    assert at.button(key="remove_up_test") is not None
