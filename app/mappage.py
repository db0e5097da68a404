"""The map's page: one component page per map state, made once with every layer, and what it shows by calls.

The page is shown by the map component (:mod:`app.mapview`); the corridor buffer, the route and
the full detail of large layers reach it as calls in its arguments, so a new query keeps the map.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping, Sequence
from functools import partial
from typing import Any, NamedTuple

import geopandas as gpd
import streamlit as st

from app.catalog import Source, catalog
from app.data import DATA_CREDIT, basemap_page_data, basemap_urls, data_bounds
from app.mapview import MAP_KEY, MapPage
from app.page_data import Offered, offer
from app.results import corridor_analysis, corridor_name, result, route_analysis
from app.state import session
from app.statics import published_link, published_scripts, serving
from geo.errors import CorridorAtlasError
from geo.filters import Filters, year_range
from layers.detail import detail_answer, detail_call, detail_source, parsed_request
from layers.layer import Layer, LayerSet
from layers.overlays import Overlay, overlay_call, overlay_payload
from layers.render import BuiltMap, build_map, element_numbers, stable_names
from layers.viewpoint import MapView


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


#: The corridor buffer's width until one is chosen (km).
DEFAULT_CORRIDOR_KM = 50


def chosen_analyses() -> Analyses:
    """The corridor and route this session asked for (its Corridor and Route tabs, or its URL)."""
    origin, destination = session.get("route_from"), session.get("route_to")
    return Analyses(
        corridor=session.get("corridor") or None,
        corridor_km=int(session.get("corridor_km") or DEFAULT_CORRIDOR_KM),
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


#: Session key: the detail sources this session offered its pages (see :func:`app.page_data.offer`).
_DETAIL_OFFERED = "_detail_offered"
