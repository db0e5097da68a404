"""The sidebar: layer toggles, users' own layers, filters and search."""

from __future__ import annotations

import streamlit as st

from app.data import DATA_CREDIT, current_catalog, source, years
from app.failsafe import part
from app.results import find_feature
from app.state import keep_view, session
from app.text import plain
from app.uploads import current_layers, uploads_section
from geo.kinds import kind_of, spot
from geo.schema import STATUSES
from layers.catalog import GROUPS
from layers.layer import LayerSet
from layers.render import MapView


def sidebar_heading() -> None:
    """The app's name at the top of the sidebar."""
    st.sidebar.title("Corridor Atlas")
    st.sidebar.caption("Kazakhstan–China infrastructure corridors")


def layer_toggles(errors: dict[str, str]) -> None:
    """Layer toggles by group; a layer whose file is broken is shown disabled with its error."""
    for group in GROUPS:
        specs = current_catalog().in_group(group)
        if not specs:
            continue
        st.subheader(group)
        for spec in specs:
            st.checkbox(plain(spec.title), key=spec.widget_key, disabled=spec.id in errors, help=errors.get(spec.id))


def sidebar_tools(layers: LayerSet) -> None:
    """Users' own layers, filters and search, and the credits."""
    with st.sidebar, part("uploads"):
        uploads_section()
    with st.sidebar, part("filters"):
        filters_and_search(layers)
    st.sidebar.divider()
    st.sidebar.caption(
        "Basemap: Natural Earth 1:10m, borders © OpenStreetMap contributors (ODbL) (works offline). "
        "Online base layers: © OpenStreetMap "
        "contributors; Esri World Imagery. " + DATA_CREDIT
    )


def go_to_search_result() -> None:
    """Zoom to the chosen search result, switch its layer on and open its details."""
    picked = session.get("q_pick")
    found = find_feature(current_layers(), picked) if picked else None
    if found is None:
        return
    layer, row = found
    session[layer.spec.widget_key] = True
    centre = spot(row.geometry)
    zoom = 9.0 if kind_of(row.geometry) == "point" else 6.0
    session["feature"] = picked
    session["view"] = session["opening_view"] = MapView(lat=centre.y, lon=centre.x, zoom=zoom)


def filters_and_search(layers: LayerSet) -> None:
    """Status, sector and year filters (the timeline), and search by name or alias."""
    st.sidebar.subheader("Filters")
    st.sidebar.multiselect("Status", STATUSES, key="f_status", on_change=keep_view)
    st.sidebar.multiselect("Sector", GROUPS, key="f_sector")
    span = years(source())
    if span is not None:
        first, last = span
        st.sidebar.slider(
            "Network as it stood in",
            min_value=first,
            max_value=last,
            key="f_year",
            on_change=keep_view,
            help="Features opened or agreed after this year are hidden; cities always show.",
        )
    st.sidebar.subheader("Search")
    query = st.sidebar.text_input("Name or alias", key="q", placeholder="Khorgos, Druzhba, 霍尔果斯 …")
    if query:
        from geo.search import search_features

        hits = search_features(layers.frames(), query, limit=15)
        if hits.empty:
            st.sidebar.caption("No match.")
        else:
            labels = {
                row.feature_id: f"{row.name} · {row.matched} ({layers.get(row.layer).title})"
                for row in hits.itertuples()
            }
            st.sidebar.selectbox(
                "Results",
                list(labels),
                index=None,
                format_func=lambda fid: labels[fid],
                key="q_pick",
                on_change=go_to_search_result,
                placeholder=f"{len(labels)} match(es): pick one to zoom to it",
            )


def settle_year() -> None:
    """Keep the timeline's year within the data's years (the latest year when none is chosen)."""
    span = years(source())
    if span is None:
        return
    first, last = span
    chosen = session.get("f_year")
    session["f_year"] = last if chosen is None else min(max(int(chosen), first), last)
    session["_year_max"] = last
