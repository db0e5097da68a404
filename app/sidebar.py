"""The sidebar: layer toggles, users' own layers, filters and search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import streamlit as st

from app.catalog import current_catalog
from app.data import DATA_CREDIT
from app.drawings import drawings_section
from app.failsafe import part
from app.results import find_feature, result
from app.state import UrlState, choose_feature, keep_view, session
from app.text import plain
from app.uploads import current_layers, uploads_section
from geo.filters import year_range
from geo.schema import STATUSES
from geo.summary import status_counts
from layers.catalog import GROUPS
from layers.layer import LayerSet


def layer_toggles(errors: dict[str, str], sectors: Sequence[str]) -> None:
    """Layer toggles by group; a layer whose file is broken is shown disabled with its error.

    A group the Sector filter leaves out is shown folded away, its toggles disabled: the map
    draws none of its layers whatever their boxes say.
    """
    for group in GROUPS:
        specs = current_catalog().in_group(group)
        if not specs:
            continue
        kept = group in sectors
        st.subheader(group if kept else f"{group} (hidden by the Sector filter)")
        for spec in specs:
            why = errors.get(spec.id) or (None if kept else f"Add {group} under Filters › Sector to show it.")
            st.checkbox(plain(spec.title), key=spec.widget_key, disabled=spec.id in errors or not kept, help=why)


def sidebar_tools(layers: LayerSet) -> Any:
    """The workspace, filters, users' own layers and drawings, and the credits; the workspace's status slot."""
    from app.workspaces import workspace_section

    status = None
    with st.sidebar, part("workspace"):
        status = workspace_section()
    with st.sidebar, part("filters"):
        filters_section(layers)
    with st.sidebar, part("uploads"):
        uploads_section()
    with st.sidebar, part("drawings"):
        drawings_section()
    st.sidebar.divider()
    st.sidebar.caption(
        "Basemap (works offline): Natural Earth 1:10m in the region, 1:110m beyond, 1:50m rivers, places and "
        "country names; borders © OpenStreetMap contributors (ODbL). "
        "Online base layers: © OpenStreetMap "
        "contributors; Esri World Imagery. " + DATA_CREDIT
    )
    return status


def go_to_search_result() -> None:
    """Switch the chosen search result's layer on and select it: the map goes to it and opens its details."""
    picked = session.get("q_pick")
    found = find_feature(current_layers(), picked) if picked else None
    if found is None:
        return
    layer, _ = found
    if layer.spec.widget_key in session:
        session[layer.spec.widget_key] = True
    choose_feature(picked)


def feature_counts(layers: LayerSet) -> dict[str, int]:
    """How many features of these layers have each status."""
    return result("status_counts", (), layers, lambda: status_counts(layers.frames().values()))


def filters_section(layers: LayerSet) -> None:
    """Status and sector filters, their options and counts from the data (the timeline is on the map)."""
    st.sidebar.subheader("Filters")
    counts = feature_counts(layers)
    session["f_status"] = [s for s in session.get("f_status") or [] if s in counts or s not in STATUSES]
    st.sidebar.multiselect(
        "Status",
        [*counts, *(s for s in session["f_status"] if s not in counts)],
        key="f_status",
        on_change=keep_view,
        format_func=lambda status: f"{status} ({counts.get(status, 0)})",
        help="Features of these statuses are drawn, counted in Metrics and listed; the counts are of all features.",
    )
    st.sidebar.multiselect("Sector", GROUPS, key="f_sector", help="Layers of other sectors are hidden and not counted.")


def search_bar(layers: LayerSet) -> None:
    """Search by name or alias (in any script), beside the map; picking a result selects it on the map."""
    ask, pick, share = st.columns([3, 4, 1.2], vertical_alignment="bottom")
    query = ask.text_input(
        "Search", key="q", placeholder="Search: Khorgos, Druzhba, 霍尔果斯 …", label_visibility="collapsed"
    )
    if query:
        from geo.search import search_features

        hits = search_features(layers.frames(), query, limit=15)
        if hits.empty:
            pick.caption(plain(f"No feature is called or also known as “{query}”."))
        else:
            labels = {
                row.feature_id: f"{row.name} · {row.matched} ({layers.get(row.layer).title})"
                for row in hits.itertuples()
            }
            pick.selectbox(
                "Results",
                list(labels),
                index=None,
                format_func=lambda fid: labels[fid],
                key="q_pick",
                on_change=go_to_search_result,
                placeholder=f"{len(labels)} match(es): pick one to go to it",
                label_visibility="collapsed",
            )
    with share.popover("Share", icon=":material/link:", width="stretch"):
        share_link()


#: URL parameters a view's permalink leaves out: a workspace's link token is shared only on purpose.
PRIVATE_PARAMS = frozenset({"ws", "key"})


def share_link() -> None:
    """The permalink of this view (layers, view, selection, filters, year, open tab), with a copy button.

    It never carries the open workspace's link (see :data:`PRIVATE_PARAMS`): the workspace section
    gives its edit and read-only links.
    """
    base = (st.context.url or "").split("?")[0]
    wanted = {key: value for key, value in UrlState.wanted().items() if key not in PRIVATE_PARAMS}
    query = "&".join(f"{key}={quote(value, safe=',.-_')}" for key, value in wanted.items())
    st.caption("Link to exactly this view (copy with the button on the right):")
    st.code(f"{base}?{query}" if query else base, language=None, wrap_lines=True)


def year_span(layers: LayerSet) -> tuple[int, int] | None:
    """The first and last year of these layers' features (None when none has a year)."""
    return result("year_span", (), layers, lambda: year_range(layers.frames().values()))


def settle_year(layers: LayerSet) -> None:
    """Keep the timeline's year within the years of these layers (the latest year when none is chosen)."""
    span = year_span(layers)
    if span is None:
        return
    first, last = span
    chosen = session.get("f_year")
    session["f_year"] = last if chosen is None else min(max(int(chosen), first), last)
    session["_year_max"] = last
