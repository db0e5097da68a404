"""The page: lays out the map, the sidebar and the tabs, and wires widgets to them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import geopandas as gpd
import streamlit as st

from app.analyses import corridor_panel, route_panel
from app.data import basemap_page_data, current_catalog, load_current_catalog, loaded_layers, source
from app.mapview import map_page, map_state, show_map
from app.panels import Shown, details_panel, metrics_section, shown_frames, visible_table
from app.reports import charts_panel, export_panel
from app.sidebar import settle_year, sidebar
from app.state import TAB_KEY, TABS, AppState, UrlState, keep_tab_widgets, read_map_events
from app.text import plain
from app.uploads import upload_extra, upload_layers, upload_page_data
from layers.catalog import CatalogError, LayerSpec

if TYPE_CHECKING:  # imported where used, after the map: uploads, analyses (networkx), exports (matplotlib)
    from geo.ingest import Ingested


def main() -> None:
    """Lay out the page and wire widgets to the map and tables; the map goes out first."""
    st.set_page_config(page_title="Corridor Atlas", page_icon="🗺️", layout="wide")
    try:
        load_current_catalog()
    except CatalogError as err:
        st.error(plain(f"The layer catalog cannot be used: {err}"))
        return
    UrlState.seed()
    keep_tab_widgets()
    frames, errors = loaded_layers()
    for message in errors.values():
        st.error(plain(message))
    _, base_problems = basemap_page_data(*source())
    for message in base_problems:
        st.warning(plain(message))
    settle_year(frames)

    state = UrlState.current()
    uploads = upload_layers()
    sectors = set(state.sectors)
    visible = tuple(lid for lid in state.visible if lid in frames and current_catalog().get(lid).group in sectors)
    visible += tuple(spec.id for spec, _ in uploads if st.session_state.get(spec.widget_key))
    uploaded = tuple((spec, upload_page_data(spec, layer)) for spec, layer in uploads)
    page = map_page(map_state(frames, state), *source(), uploaded, upload_extra())
    map_col, detail_col = st.columns([5, 2])
    with map_col:
        result = show_map(page, visible)
    read_map_events(result)
    sidebar(errors, frames)  # widget values are in session state already; the sidebar is laid out apart
    state = UrlState.current()
    with detail_col:
        details_panel({**frames, **{spec.id: layer.frame for spec, layer in uploads}}, state.feature)

    everything = tuple(frames) + tuple(spec.id for spec, _ in uploads)
    panels: tuple[Callable[[], None], ...] = (
        lambda: metrics_section(everything, state),
        lambda: visible_table(visible, state),
        lambda: corridor_panel(frames),
        lambda: route_panel(frames),
        lambda: charts_panel(tuple(lid for lid in visible if lid in frames), state),
        lambda: export_panel(drawn_frames(frames, state, uploads), visible, {spec.id: spec for spec, _ in uploads}),
    )
    tabs = st.tabs(TABS, key=TAB_KEY, on_change="rerun")
    for tab, panel in zip(tabs, panels, strict=True):
        if tab.open:
            with tab:
                panel()
    UrlState.write()


def drawn_frames(
    frames: dict[str, gpd.GeoDataFrame], state: AppState, uploads: list[tuple[LayerSpec, Ingested]]
) -> dict[str, gpd.GeoDataFrame]:
    """What the map draws of each layer: catalog layers through the filters, uploads' display copies."""
    shown = shown_frames(tuple(frames), Shown.of(state), {})
    return {**shown, **{spec.id: layer.display for spec, layer in uploads}}
