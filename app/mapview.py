"""The map: one component page per map state, shown with its layers switched on or off in the page."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import re
from collections.abc import Collection, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import streamlit as st
import streamlit.components.v1 as components

from app.data import DATA_CREDIT, Source, basemap_page_data, basemap_urls, catalog, data_bounds
from app.page_data import Offered, offer
from app.results import corridor_analysis, corridor_name, result, route_analysis
from app.state import session
from app.statics import published_link, published_scripts, serving
from geo.errors import CorridorAtlasError
from geo.filters import Filters, year_range
from layers.detail import detail_answer, detail_call, detail_source, parsed_request
from layers.layer import Layer, LayerSet
from layers.overlays import Overlay, overlay_call, overlay_payload
from layers.render import BuiltMap, MapView, build_map, element_numbers, stable_names

MAP_KEY = "map"


class MapState(NamedTuple):
    """Everything the map's page is made from.

    Which layers are shown is not part of it (see :func:`show_map`), nor are the corridor buffer and
    the route: the page shows those by a call (see :func:`analysis_call`), so a new query keeps the map.
    """

    layers: tuple[tuple[str, str], ...]  # LayerSet.key: each layer's content and declaration keys, in order
    filters: Filters  # statuses only: the page applies the year (the timeline) itself
    view: MapView | None


class Analyses(NamedTuple):
    """The analysis results a map shows: a corridor buffer (line or ``layer:<id>``, width) and a route."""

    corridor: str | None
    corridor_km: int
    route: tuple[str, str] | None


def map_state(layers: LayerSet, statuses: Sequence[str], opening_view: MapView | None) -> MapState:
    """The map state of a session or a scene: its layers, the statuses shown and the view the map opened at."""
    return MapState(layers=layers.key, filters=Filters(tuple(statuses), None), view=opening_view)


def chosen_analyses() -> Analyses:
    """The corridor and route this session asked for (its Corridor and Route tabs, or its URL)."""
    origin, destination = session.get("route_from"), session.get("route_to")
    return Analyses(
        corridor=session.get("corridor") or None,
        corridor_km=int(session.get("corridor_km") or 50),
        route=(origin, destination) if origin and destination and origin != destination else None,
    )


def analysis_call(layers: LayerSet, asked: Analyses, src: Source) -> str:
    """The page call showing the corridor buffer and the route asked for (made once per query and layers)."""
    return result("analysis_call", (*asked, src), layers, lambda: overlay_call(analysis_overlays(asked, layers, src)))


def analysis_overlays(asked: Analyses, layers: LayerSet, src: Source) -> list[Overlay]:
    """The corridor buffer and the route, when chosen, as map overlays (one that cannot be made is left out)."""
    cat = catalog(src)
    overlays: list[Overlay] = []
    if asked.corridor and "buffer" in cat.analysis:
        try:
            report = corridor_analysis(layers, asked.corridor, asked.corridor_km, src)
        except (CorridorAtlasError, KeyError):
            report = None  # the Corridor tab says why
        if report is not None:
            title, style = cat.analysis["buffer"]
            label = f"{title} ({asked.corridor_km:g} km)"
            tip = f"{label} around {corridor_name(asked.corridor, layers)}"
            overlays.append(Overlay(label, overlay_payload(report.buffer, [tip]), style, "polygon"))
    if asked.route and "route" in cat.analysis:
        try:
            route, _, _ = route_analysis(layers, *asked.route, src)
        except (CorridorAtlasError, KeyError):
            route = None  # the Route tab says why
        if route is not None:
            title, style = cat.analysis["route"]
            label = f"{title} ({route.length_km:,.0f} km)"
            path = gpd.GeoDataFrame(geometry=[route.geometry], crs=4326)
            tip = f"{route.origin} → {route.destination}: {route.length_km:,.0f} km"
            overlays.append(Overlay(label, overlay_payload(path, [tip]), style, "line"))
    return overlays


#: The map frame's height before the page's stylesheet makes it fill the window (see app/css/app.css).
MAP_HEIGHT = 640
#: What the map sends back: its state (selection, year, label language: see :class:`MapAsk`), what was
#: drawn, and the view (the URL holds them). Nothing else reruns the script.
MAP_RETURNS = ("last_active_drawing", "all_drawings", "center", "zoom", "bounds")


class MapAsk(NamedTuple):
    """What the app asks of the map's page besides which layers show (``CorridorAtlas.apply``).

    ``seq`` changes only when the app chose the feature (search, a table row) or a scene: the map then
    goes to the feature, or to ``bounds`` (west, south, east, north) when given (a presented scene).
    """

    feature: str | None
    seq: int
    year: int | None
    lang: str
    theme: str
    bounds: tuple[float, float, float, float] | None = None


class MapPage(NamedTuple):
    """The map component's arguments for one :class:`MapState`, made once and shared by every session.

    ``groups`` names, for each layer id, the variable that holds its Leaflet layer group in ``script``.
    """

    script: str
    header: str
    html: str
    key: str
    css_links: tuple[str, ...]
    js_links: tuple[str, ...]
    defaults: dict[str, Any]
    groups: dict[str, str]


@st.cache_resource(show_spinner=False, max_entries=32)
def map_page(state: MapState, src: Source, _layers: LayerSet) -> MapPage:
    """The map of a state (``_layers``: the layers its ``layers`` key names), prepared for the component."""
    return component_page(state_map(state, _layers, src))


def state_map(state: MapState, layers: LayerSet, src: Source) -> BuiltMap:
    """Build the map of a state with every layer on (the page shows and hides them: see :func:`show_map`)."""
    cat = catalog(src)
    urls = basemap_urls(src) if serving() else None
    base = urls if urls is not None else basemap_page_data(src)[0]
    shown = layers.through(state.filters)
    return build_map(
        [(layer.spec, layer.page_data) for layer in shown],
        basemap=cat.basemap,
        basemap_parts=base,
        visible=shown.ids,
        view=state.view,
        fit=data_bounds([layer.frame for layer in layers]),
        attribution=DATA_CREDIT,
        link_assets=False,
        span=year_range(layers.frames().values()),
        draw=True,
    )


# --- the component: the st_folium front end, declared here and fed one prepared page ---------------
# The map is drawn by streamlit-folium's front end (its packaged build), declared as this app's own
# component: it runs ``script`` (which defines the map as ``map_div``) in its frame, after loading
# ``js_links`` and ``css_links``, and evaluates ``layer_control`` whenever that changes.


def _front_end() -> Path:
    """streamlit-folium's packaged front end, found without importing the package (which imports folium.plugins)."""
    spec = importlib.util.find_spec("streamlit_folium")
    if spec is None or not spec.submodule_search_locations:
        raise CorridorAtlasError("streamlit-folium is not installed: the map's front end is missing")
    return Path(next(iter(spec.submodule_search_locations))) / "frontend" / "build"


_FRONT_END = _front_end()


@functools.cache
def _map_component() -> Any:
    """The map component, declared on first use.

    Streamlit registers a component with the server only when it is declared in a session's run, and
    this module may be imported first by the warm start (:mod:`app.server`).
    """
    return components.declare_component("corridor_atlas_map", path=str(_FRONT_END))


_MAP_DIV = re.compile(r'<div class="folium-map" id="[^"]*"\s*></div>')


def component_page(built: BuiltMap) -> MapPage:
    """The component's arguments for a built map, rendered once (:func:`map_page` caches them)."""
    fmap = built.map
    root = fmap.get_root()
    root.render()
    name = fmap.get_name()
    script = root.script.render().replace(name, "map_div")
    numbers = element_numbers(script)  # the same map, the same names: a rebuilt map keeps its key
    script = stable_names(script, numbers)
    header = stable_names(root.header.render().replace(name, "map_div"), numbers)
    html = _MAP_DIV.sub("", root.html.render()).strip()
    publishing = serving()  # Leaflet and the page script by URL, not inline (see app.statics)
    css_links = [published_link(href, stem=stem) if publishing else href for stem, href in built.css]
    js_links = published_scripts(tuple(built.js)) if publishing else tuple(src for _, src in built.js)
    try:
        (south, west), (north, east) = fmap.get_bounds()
    except AttributeError:
        (south, west), (north, east) = (None, None), (None, None)
    defaults = {
        "last_active_drawing": None,
        "all_drawings": None,
        "bounds": {"_southWest": {"lat": south, "lng": west}, "_northEast": {"lat": north, "lng": east}},
        "zoom": fmap.options.get("zoom"),
    }
    digest = hashlib.sha256(script.encode("utf-8")).hexdigest()
    return MapPage(
        script=script,
        header=header,
        html=html,
        key=f"{MAP_KEY}_{digest}",
        css_links=tuple(dict.fromkeys(css_links)),
        js_links=tuple(dict.fromkeys(js_links)),
        defaults=defaults,
        groups={layer_id: stable_names(group, numbers) for layer_id, group in built.groups.items()},
    )


def view_detail(page: MapPage, layers: LayerSet, visible: Collection[str], filters: Filters) -> str:
    """The page script's call drawing the full detail of the shown large line layers wherever the map goes.

    Empty when no shown layer has levels of detail. Each such layer, as the filters show it, is
    offered to the page (:mod:`app.page_data`) at a URL kept for the session's layer, so the call is
    the same text while the layers and filters stay (the page does nothing with it); the page script
    fetches the lines of each view it moves to itself, without a rerun of the app. A layer no longer
    shown is no longer offered.
    """
    detailed = [
        layer for layer in layers if layer.detail is not None and layer.id in visible and layer.id in page.groups
    ]
    if not detailed:
        return ""
    offered: Offered = session.setdefault(_DETAIL_OFFERED, {})
    sources, names = [], set()
    for layer in detailed:
        shown, group, name = layer.through(filters), page.groups[layer.id], f"{layer.id}|{page.groups[layer.id]}"
        sources.append(detail_source(shown, group, offer(offered, name, partial(_answer, shown, group))))
        names.add(name)
    for name in set(offered) - names:  # a layer hidden or removed: its URL stops answering, its data can go
        del offered[name]
    return detail_call(sources)


def _answer(shown: Layer, group: str, query: Mapping[str, str]) -> dict[str, Any] | None:
    return detail_answer(shown, group, parsed_request(query))


#: The call that takes earlier analysis results off the map when none is asked for.
_NO_ANALYSIS = overlay_call([])
#: Session key: the detail sources this session offered its pages (see :func:`app.page_data.offer`).
_DETAIL_OFFERED = "_detail_offered"


def show_map(
    page: MapPage, visible: Collection[str], ask: MapAsk, detail: str = "", analysis: str = _NO_ANALYSIS
) -> dict[str, Any] | None:
    """Show a prepared map page with the ``visible`` layers on; return what the map sent back.

    A layer toggle changes only the small visibility call (the page script's ``showOnly``), so the
    map is not rebuilt: it keeps its view, and the server sends the page it already made.
    ``detail`` (see :func:`view_detail`) draws large layers in full detail for the view;
    ``analysis`` (see :func:`analysis_call`) shows the corridor buffer and route asked for (by default
    none: earlier ones are taken off).
    """
    shown = [name for lid, name in page.groups.items() if lid in visible]
    hidden = [name for lid, name in page.groups.items() if lid not in visible]
    asked = json.dumps(ask._asdict())
    control = f"CorridorAtlas.showOnly(window.map, {json.dumps(shown)}, {json.dumps(hidden)});"

    return _map_component()(
        script=page.script,
        header=page.header,
        html=page.html,
        key=page.key,
        height=MAP_HEIGHT,
        width=None,
        returned_objects=list(MAP_RETURNS),
        default=dict(page.defaults),
        zoom=None,
        center=None,
        feature_group=None,
        return_on_hover=False,
        layer_control=f"{control} CorridorAtlas.apply(window.map, {asked}); {detail} {analysis}",
        pixelated=False,
        css_links=list(page.css_links),
        js_links=list(page.js_links),
        on_change=None,  # the value comes back as the result; a change reruns the map's fragment
        wrap_longitude=False,
    )
