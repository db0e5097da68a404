"""The page: lays out the map, the sidebar and the tabs, and wires widgets to them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import geopandas as gpd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app.analyses import corridor_panel, route_panel
from app.data import basemap_page_data, current_catalog, load_current_catalog, loaded_layers, source
from app.failsafe import part
from app.mapview import MapPage, map_page, map_state, show_map
from app.panels import Shown, details_panel, metrics_section, shown_frames, visible_table
from app.reports import charts_panel, export_panel
from app.sidebar import layer_toggles, settle_year, sidebar_heading, sidebar_tools
from app.state import TAB_KEY, TABS, AppState, UrlState, keep_tab_widgets, read_map_events
from app.text import plain
from app.uploads import upload_extra, upload_layers, upload_page_data
from layers.catalog import CatalogError, LayerSpec
from layers.payload import PageJSON

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
    uploads, uploaded = drawable_uploads()
    sidebar_heading()
    toggles = st.sidebar.container()
    map_col, detail_col = st.columns([5, 2])
    page = None
    with map_col, part("map"):
        page = map_page(map_state(frames, state), *source(), uploaded, upload_extra())
    st.session_state[_FULL_RUN] = True
    try:
        with map_col:
            map_area(MapArea(page, frames, errors, tuple(uploads)), toggles, detail_col)
    finally:
        st.session_state[_FULL_RUN] = False
    sidebar_tools(frames)
    state = UrlState.current()
    visible = st.session_state.get(_DRAWN, ())

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
    for name, tab, panel in zip(TABS, tabs, panels, strict=True):
        if tab.open:
            with tab, part(name):
                panel()
    UrlState.write()


def drawable_uploads() -> tuple[list[tuple[LayerSpec, Ingested]], tuple[tuple[LayerSpec, PageJSON], ...]]:
    """The uploads whose page data can be made, with it; each one that cannot is named in an error instead.

    A layer that cannot be drawn leaves the map, but stays listed in the sidebar where it can be removed.
    """
    uploads, uploaded = [], []
    for spec, layer in upload_layers():
        with part(f"Your layer {spec.title}"):
            page_data = upload_page_data(spec, layer)
            uploads.append((spec, layer))
            uploaded.append((spec, page_data))
    return uploads, tuple(uploaded)


#: Session state: whether a full run is on (else a fragment rerun), and the layers the map last drew.
_FULL_RUN, _DRAWN = "_full_run", "_drawn_layers"
#: Tabs that show something of the visible layers only: a toggle while one is open reruns the page.
VISIBILITY_TABS = frozenset({"Visible features", "Charts", "Export"})


class MapArea(NamedTuple):
    """What the map area is drawn from, as the last full run made it."""

    page: MapPage | None  # None when the map could not be made (its error is shown in its place)
    frames: dict[str, gpd.GeoDataFrame]
    errors: dict[str, str]
    uploads: tuple[tuple[LayerSpec, Ingested], ...]


def visible_layers(area: MapArea, state: AppState) -> tuple[str, ...]:
    """The layers switched on, of the loaded catalog layers in the chosen sectors, and the uploads."""
    sectors = set(state.sectors)
    cat = current_catalog()
    visible = tuple(lid for lid in state.visible if lid in area.frames and cat.get(lid).group in sectors)
    return visible + tuple(spec.id for spec, _ in area.uploads if st.session_state.get(spec.widget_key))


@st.fragment
def map_area(area: MapArea, toggles: DeltaGenerator, detail_col: DeltaGenerator) -> None:
    """The layer toggles, the map and the selected feature's details: what a toggle, a pan or a click changes.

    A fragment: a toggle or a map event reruns only this, with the arguments of the last full run
    (the map page does not depend on which layers are on, see :func:`show_map`). The toggles are
    drawn into the sidebar. When the open tab lists what is visible, a toggle reruns the page.
    """
    with toggles, part("toggles"):
        layer_toggles(area.errors)
    visible = visible_layers(area, UrlState.current())
    if area.page is not None:
        with part("map"):
            result = show_map(area.page, visible)
            read_map_events(result)
    with detail_col, part("details"):
        frames = {**area.frames, **{spec.id: layer.frame for spec, layer in area.uploads}}
        details_panel(frames, UrlState.current().feature)
    changed = visible != st.session_state.get(_DRAWN)
    st.session_state[_DRAWN] = visible
    if not st.session_state.get(_FULL_RUN):
        UrlState.write()
        if changed and st.session_state.get(TAB_KEY) in VISIBILITY_TABS:
            st.rerun()


def drawn_frames(
    frames: dict[str, gpd.GeoDataFrame], state: AppState, uploads: list[tuple[LayerSpec, Ingested]]
) -> dict[str, gpd.GeoDataFrame]:
    """What the map draws of each layer: catalog layers through the filters, uploads' display copies."""
    shown = shown_frames(tuple(frames), Shown.of(state), {})
    return {**shown, **{spec.id: layer.display for spec, layer in uploads}}
