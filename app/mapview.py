"""The map: one component page per map state, shown with its layers switched on or off in the page."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from typing import Any, NamedTuple

import folium
import geopandas as gpd
import streamlit as st
import streamlit_folium
from folium.elements import JSCSSMixin

from app.data import (
    DATA_CREDIT,
    MAP_KEY,
    Extra,
    basemap_page_data,
    basemap_urls,
    catalog,
    corridor_analysis,
    data_bounds,
    filtered_page_data,
    layer_frame,
    route_analysis,
)
from app.state import AppState
from app.statics import published_link, serving
from app.uploads import session_uploads
from geo.errors import CorridorAtlasError
from layers.catalog import LayerSpec
from layers.payload import PageJSON
from layers.render import MapView, Overlay, build_map, overlay_payload


class MapState(NamedTuple):
    """Everything the map's page is made from. Which layers are shown is not part of it: see :func:`show_map`."""

    loaded: tuple[str, ...]
    statuses: tuple[str, ...]
    year: int | None
    view: MapView | None
    corridor: str | None
    corridor_km: int
    route: tuple[str, str] | None
    uploads: tuple[tuple[str, str], ...]  # (id, title) of each upload, in order: ids, titles and colours


def map_state(frames: dict[str, gpd.GeoDataFrame], state: AppState) -> MapState:
    """The map state of this session: loaded layers, filters, opening view, analyses, uploads."""
    ss = st.session_state
    origin, destination = ss.get("route_from"), ss.get("route_to")
    return MapState(
        loaded=tuple(frames),
        statuses=state.statuses,
        year=state.year,
        view=ss.get("opening_view"),
        corridor=ss.get("corridor") or None,
        corridor_km=int(ss.get("corridor_km") or 50),
        route=(origin, destination) if origin and destination and origin != destination else None,
        uploads=tuple((uid, title) for uid, (title, _) in session_uploads().items()),
    )


def analysis_overlays(state: MapState, catalog_file: str, data_folder: str, extra: Extra) -> list[Overlay]:
    """The corridor buffer and the route, when chosen, as map overlays."""
    cat = catalog(catalog_file, data_folder)
    uploads = tuple(sorted(uid for uid, _ in state.uploads))
    overlays: list[Overlay] = []
    if state.corridor and "buffer" in cat.analysis:
        try:
            report = corridor_analysis(state.corridor, state.corridor_km, uploads, catalog_file, data_folder, extra)
        except (CorridorAtlasError, KeyError):
            report = None
        if report is not None:
            title, style = cat.analysis["buffer"]
            label = f"{title} ({state.corridor_km:g} km)"
            tip = f"{label} around {state.corridor}"
            overlays.append(Overlay(label, overlay_payload(report.buffer, [tip]), style, "polygon"))
    if state.route and "route" in cat.analysis:
        try:
            route, _, _ = route_analysis(*state.route, uploads, catalog_file, data_folder, extra)
        except (CorridorAtlasError, KeyError):
            route = None
        if route is not None:
            title, style = cat.analysis["route"]
            label = f"{title} ({route.length_km:,.0f} km)"
            path = gpd.GeoDataFrame(geometry=[route.geometry], crs=4326)
            tip = f"{route.origin} → {route.destination}: {route.length_km:,.0f} km"
            overlays.append(Overlay(label, overlay_payload(path, [tip]), style, "line"))
    return overlays


MAP_HEIGHT = 620
#: What the map sends back: selection and view (the URL holds them). Nothing else reruns the script.
MAP_RETURNS = ("last_active_drawing", "center", "zoom", "bounds")


class MapPage(NamedTuple):
    """The map component's arguments for one :class:`MapState`, made once and shared by every session.

    ``groups`` names, for each layer id, the variable that holds its Leaflet layer group in ``script``.
    """

    script: str
    header: str
    html: str
    map_id: str
    key: str
    css_links: tuple[str, ...]
    js_links: tuple[str, ...]
    defaults: dict[str, Any]
    groups: dict[str, str]


@st.cache_resource(show_spinner=False, max_entries=32)
def map_page(
    state: MapState,
    catalog_file: str,
    data_folder: str,
    _uploaded: tuple[tuple[LayerSpec, PageJSON], ...],
    _extra: Extra,
) -> MapPage:
    """The map of a state, prepared for the component; ``_uploaded``: each upload's declaration and page data."""
    layers = [*catalog_page_data(state, catalog_file, data_folder), *_uploaded]
    return component_page(state_map(state, layers, catalog_file, data_folder, _extra), [spec for spec, _ in layers])


def catalog_page_data(state: MapState, catalog_file: str, data_folder: str) -> list[tuple[LayerSpec, PageJSON]]:
    """Each loaded catalog layer's declaration and page data, through the state's filters."""
    cat = catalog(catalog_file, data_folder)
    return [
        (cat.get(lid), filtered_page_data(lid, state.statuses, state.year, catalog_file, data_folder))
        for lid in state.loaded
    ]


def state_map(
    state: MapState,
    layers: Sequence[tuple[LayerSpec, PageJSON]],
    catalog_file: str,
    data_folder: str,
    extra: Extra,
) -> folium.Map:
    """Build the map of a state with every layer on (the page shows and hides them: see :func:`show_map`)."""
    cat = catalog(catalog_file, data_folder)
    urls = basemap_urls(catalog_file, data_folder) if serving() else None
    base = urls if urls is not None else basemap_page_data(catalog_file, data_folder)[0]
    return build_map(
        layers,
        basemap=cat.basemap,
        basemap_parts=base,
        visible=[spec.id for spec, _ in layers],
        view=state.view,
        fit=data_bounds({lid: layer_frame(lid, catalog_file, data_folder) for lid in state.loaded}),
        attribution=DATA_CREDIT,
        overlays=analysis_overlays(state, catalog_file, data_folder, extra),
    )


def _with_assets(element: object) -> Iterator[JSCSSMixin]:
    """The map's elements that bring scripts or stylesheets (folium's JSCSSMixin), depth first."""
    if isinstance(element, JSCSSMixin):
        yield element
    for child in getattr(element, "_children", {}).values():
        yield from _with_assets(child)


def component_page(fmap: folium.Map, specs: Sequence[LayerSpec]) -> MapPage:
    """What ``st_folium(fmap, key=MAP_KEY, returned_objects=MAP_RETURNS)`` sends, made the same way.

    st_folium renders the whole page three times and hashes the script on every call; here the
    map is rendered once, and the result is cached by :func:`map_page`. ``specs`` are the layers
    passed to ``build_map``, in order: their groups are the last overlay groups of the map.
    """
    fmap.render()
    html = streamlit_folium._get_html(fmap)
    header = streamlit_folium._get_header(fmap)
    script = streamlit_folium._get_map_string(fmap)  # renames every element: map_div, feature_group_div_4 …
    overlays = [c for c in fmap._children.values() if isinstance(c, folium.FeatureGroup) and c.overlay]
    own = overlays[len(overlays) - len(specs) :]
    if [g.layer_name for g in own] != [spec.title for spec in specs]:
        raise RuntimeError("build_map no longer adds one overlay group per layer, last and in order")
    css_links, js_links = [], []
    publishing = serving()  # Leaflet and the page script by URL, not inline (see app.statics)
    for element in _with_assets(fmap):
        for name, href in getattr(element, "default_css", []):
            css_links.append(published_link(href, stem=name) if publishing else href)
        for name, src in getattr(element, "default_js", []):
            js_links.append(published_link(src, stem=name) if publishing else src)
    try:
        (south, west), (north, east) = fmap.get_bounds()
    except AttributeError:
        (south, west), (north, east) = (None, None), (None, None)
    defaults = {
        "last_active_drawing": None,
        "bounds": {"_southWest": {"lat": south, "lng": west}, "_northEast": {"lat": north, "lng": east}},
        "zoom": fmap.options.get("zoom"),
    }
    return MapPage(
        script=script,
        header=header,
        html=html,
        map_id=streamlit_folium.get_full_id(fmap),
        key=streamlit_folium.generate_js_hash(script, MAP_KEY, False),
        css_links=tuple(dict.fromkeys(css_links)),
        js_links=tuple(dict.fromkeys(js_links)),
        defaults=defaults,
        groups={spec.id: group.get_name() for spec, group in zip(specs, own, strict=True)},
    )


#: Shows and hides a page's layer groups in place. streamlit-folium evaluates its ``layer_control``
#: argument in the map's frame once the map is made and again whenever it changes, without
#: rebuilding the map; the layer control and the legend follow the groups added and removed.
_VISIBILITY_JS = """
(function (map, shown, hidden) {
  shown.forEach(function (name) { var g = window[name]; if (g && !map.hasLayer(g)) { map.addLayer(g); } });
  hidden.forEach(function (name) { var g = window[name]; if (g && map.hasLayer(g)) { map.removeLayer(g); } });
})(window.map, %s, %s);
"""


def show_map(page: MapPage, visible: Collection[str]) -> dict[str, Any] | None:
    """Show a prepared map page with the ``visible`` layers on; return what the map sent back.

    A layer toggle changes only the small visibility script, so the map is not rebuilt: it keeps
    its view, and the server sends the page it already made.
    """
    shown = [name for lid, name in page.groups.items() if lid in visible]
    hidden = [name for lid, name in page.groups.items() if lid not in visible]

    def on_change() -> None:
        st.session_state[MAP_KEY] = st.session_state.get(page.key, {})

    return streamlit_folium._component_func(
        script=page.script,
        header=page.header,
        html=page.html,
        id=page.map_id,
        key=page.key,
        height=MAP_HEIGHT,
        width=None,
        returned_objects=list(MAP_RETURNS),
        default=dict(page.defaults),
        zoom=None,
        center=None,
        feature_group=None,
        return_on_hover=False,
        layer_control=_VISIBILITY_JS % (json.dumps(shown), json.dumps(hidden)),
        pixelated=False,
        css_links=list(page.css_links),
        js_links=list(page.js_links),
        on_change=on_change,
        wrap_longitude=False,
    )
