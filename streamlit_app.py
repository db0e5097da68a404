"""Corridor Atlas: the Streamlit app. Wiring only: widgets and state in, functions from layers/ and geo/ out."""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st
import streamlit_folium
from folium.elements import JSCSSMixin

from geo.errors import CorridorAtlasError
from geo.filters import feature_mask, year_range
from geo.schema import STATUSES
from geo.summary import feature_table, figures_table, km_by_country
from layers.catalog import CATALOG_PATH, DATA_DIR, GROUPS, Catalog, CatalogError, LayerSpec, load_catalog
from layers.load import load_basemap_part, load_layer
from layers.payload import PageJSON
from layers.popup import FIELD_LABELS, format_value, safe_url
from layers.render import MapView, Overlay, basemap_payloads, build_map, layer_payload, overlay_payload

if TYPE_CHECKING:  # imported where used, after the map: uploads, analyses (networkx), exports (matplotlib)
    from geo.corridor import CorridorReport
    from geo.ingest import Ingested
    from geo.network import Network, Route

st.set_page_config(page_title="Corridor Atlas", page_icon="🗺️", layout="wide")

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """Escape Markdown so that Streamlit shows text (file names, ids, titles) literally."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


# The whole script runs again on every rerun, definitions included: records are NamedTuples (a frozen
# dataclass costs about 1 ms to create, each time), cache decorators are applied when a function is
# first called (see on_first_call), and heavy imports wait until a panel needs them.

F = TypeVar("F", bound=Callable[..., Any])


def on_first_call(cache: Callable[[F], F]) -> Callable[[F], F]:
    """Apply a Streamlit cache decorator when the function is first called in a run, not where it is defined.

    ``st.cache_data`` and ``st.cache_resource`` read a function's source each time they decorate
    it (about 1 ms a function), and the script's definitions run again on every rerun: this way a
    rerun pays only for the cached functions it calls. The cache is the same either way (Streamlit
    keys it by the function's module, name and source).
    """

    def wrap(func: F) -> F:
        cached: F | None = None

        @functools.wraps(func)
        def call(*args: Any, **kwargs: Any) -> Any:
            nonlocal cached
            if cached is None:
                cached = cache(func)
            return cached(*args, **kwargs)

        return cast(F, call)

    return wrap


DATA_CREDIT = "Corridor data: see each feature's sources; some routes © OpenStreetMap contributors (ODbL)"
MAP_KEY = "map"


# --- the catalog and its data, cached by layer id ----------------------------------------------
# The catalog file and data folder can be pointed elsewhere with CORRIDOR_ATLAS_CATALOG and
# CORRIDOR_ATLAS_DATA; every cached function takes them as its arguments.
#
# Frames and page data are cached with st.cache_resource: they are read-only once made (nothing in
# the app or in geo/ and layers/ changes a frame it is given), and st.cache_data would unpickle a
# copy of every frame and of the megabytes of page data on every rerun. Small derived tables stay
# with st.cache_data. Caches whose keys follow the user's choices are bounded by max_entries.

CATALOG_FILE = os.environ.get("CORRIDOR_ATLAS_CATALOG", str(CATALOG_PATH))
DATA_FOLDER = os.environ.get("CORRIDOR_ATLAS_DATA", str(DATA_DIR))


@on_first_call(st.cache_resource(show_spinner=False))
def catalog(catalog_file: str, data_folder: str) -> Catalog:
    """The layer catalog (immutable, shared by every session)."""
    return load_catalog(Path(catalog_file), data_dir=Path(data_folder))


try:
    CATALOG = catalog(CATALOG_FILE, DATA_FOLDER)
except CatalogError as err:
    st.error(plain(f"The layer catalog cannot be used: {err}"))
    st.stop()


@on_first_call(st.cache_resource(show_spinner=False))
def layer_frame(layer_id: str, catalog_file: str, data_folder: str) -> gpd.GeoDataFrame:
    """A catalog layer's validated features (read once per server process; read-only)."""
    return load_layer(catalog(catalog_file, data_folder).get(layer_id))


@on_first_call(st.cache_resource(show_spinner=False))
def basemap_frame(part_id: str, catalog_file: str, data_folder: str) -> gpd.GeoDataFrame:
    """One part of the offline basemap (read-only)."""
    parts = catalog(catalog_file, data_folder).basemap.parts
    return load_basemap_part(next(p for p in parts if p.id == part_id))


@on_first_call(st.cache_resource(show_spinner=False))
def basemap_page_data(catalog_file: str, data_folder: str) -> tuple[dict[str, PageJSON], list[str]]:
    """Payloads of every basemap part that loads, and messages for those that do not."""
    cat = catalog(catalog_file, data_folder)
    frames, problems = {}, []
    for part in cat.basemap.parts:
        try:
            frames[part.id] = basemap_frame(part.id, catalog_file, data_folder)
        except CorridorAtlasError as err:
            problems.append(str(err))
    return basemap_payloads(cat.basemap, frames), problems


def data_bounds(frames: dict[str, gpd.GeoDataFrame]) -> tuple[float, float, float, float] | None:
    """Bounds of every loaded layer together, to open the map on when the URL names no view."""
    if not frames:
        return None
    bounds = pd.DataFrame([gdf.total_bounds for gdf in frames.values()], columns=["x0", "y0", "x1", "y1"])
    return (bounds.x0.min(), bounds.y0.min(), bounds.x1.max(), bounds.y1.max())


@on_first_call(st.cache_resource(show_spinner=False))
def catalog_layers(catalog_file: str, data_folder: str) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, str]]:
    """Frames of the layers that load, and the error message of each that does not (both kept)."""
    frames, errors = {}, {}
    for spec in catalog(catalog_file, data_folder).layers:
        try:
            frames[spec.id] = layer_frame(spec.id, catalog_file, data_folder)
        except CorridorAtlasError as err:
            errors[spec.id] = str(err)
    return frames, errors


def loaded_layers() -> tuple[dict[str, gpd.GeoDataFrame], dict[str, str]]:
    """Frames of the layers that load, and the error message of each that does not (fresh dicts)."""
    frames, errors = catalog_layers(CATALOG_FILE, DATA_FOLDER)
    return dict(frames), dict(errors)


@on_first_call(st.cache_resource(show_spinner=False))
def years(layer_ids: tuple[str, ...], catalog_file: str, data_folder: str) -> tuple[int, int]:
    """First and last year of the loaded catalog layers (the timeline slider's range)."""
    return year_range([layer_frame(lid, catalog_file, data_folder) for lid in layer_ids])


# --- analysis: filters, corridor, route (cached by their arguments) -------------------------------
# ``uploads`` names the users' layers taking part (content-addressed ids, so a cache never mixes two
# users' files); ``_extra`` holds them, ``(kind, frame)`` by id, and is not hashed.

Extra = dict[str, tuple[str, gpd.GeoDataFrame]]


def layer_ids(geometry: str) -> tuple[str, ...]:
    """Catalog layers of one geometry kind (``line`` or ``point``)."""
    return tuple(spec.id for spec in CATALOG.layers if spec.geometry == geometry)


@on_first_call(st.cache_resource(show_spinner=False, max_entries=512))
def filtered_frame(
    layer_id: str, statuses: tuple[str, ...], year: int | None, catalog_file: str, data_folder: str
) -> gpd.GeoDataFrame:
    """A layer's features that pass the status and year filters (read-only)."""
    gdf = layer_frame(layer_id, catalog_file, data_folder)
    return gdf[feature_mask(gdf, statuses=statuses, year=year)]


@on_first_call(st.cache_resource(show_spinner=False, max_entries=512))
def filtered_page_data(
    layer_id: str, statuses: tuple[str, ...], year: int | None, catalog_file: str, data_folder: str
) -> PageJSON:
    """Page data of a filtered layer (serialised once per filter setting)."""
    spec = catalog(catalog_file, data_folder).get(layer_id)
    return layer_payload(spec, filtered_frame(layer_id, statuses, year, catalog_file, data_folder))


@on_first_call(st.cache_resource(show_spinner=False))
def rail_network(catalog_file: str, data_folder: str) -> Network:
    """The routable rail network (built once; read-only afterwards)."""
    from geo.network import build_network  # networkx: only for routes

    return build_network(layer_frame("rail_corridors", catalog_file, data_folder))


def all_frames(catalog_file: str, data_folder: str) -> dict[str, gpd.GeoDataFrame]:
    """Every loadable layer, unfiltered."""
    frames = {}
    for spec in catalog(catalog_file, data_folder).layers:
        try:
            frames[spec.id] = layer_frame(spec.id, catalog_file, data_folder)
        except CorridorAtlasError:
            continue
    return frames


def corridor_lines(corridor: str, frames: dict[str, gpd.GeoDataFrame], line_ids: Sequence[str]) -> gpd.GeoDataFrame:
    """The lines a corridor choice stands for: a whole line layer (``layer:<id>``) or one feature."""
    if corridor.startswith("layer:"):
        return frames[corridor.removeprefix("layer:")]
    for layer_id in line_ids:
        if layer_id in frames and corridor in frames[layer_id].index:
            return frames[layer_id].loc[[corridor]]
    raise KeyError(corridor)


@on_first_call(st.cache_resource(show_spinner=False, max_entries=64))
def corridor_analysis(
    corridor: str, km: int, uploads: tuple[str, ...], catalog_file: str, data_folder: str, _extra: Extra
) -> CorridorReport:
    """Buffer, facilities inside, km per country and border crossings of a corridor (read-only)."""
    from geo.corridor import corridor_report
    from geo.places import crossing_places

    frames, points, line_ids = analysis_inputs(uploads, catalog_file, data_folder, _extra)
    countries = basemap_frame("countries", catalog_file, data_folder)
    lines = corridor_lines(corridor, frames, line_ids)
    return corridor_report(lines, points, countries, float(km), places=crossing_places(points))


@on_first_call(st.cache_resource(show_spinner=False, max_entries=16))
def analysis_inputs(
    uploads: tuple[str, ...], catalog_file: str, data_folder: str, _extra: Extra
) -> tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame, tuple[str, ...]]:
    """Every layer (catalog and uploads), all point features in one frame, and the line layer ids."""
    from geo.places import combine_points

    frames = all_frames(catalog_file, data_folder)
    frames.update({uid: gdf for uid, (_, gdf) in _extra.items()})
    point_ids = layer_ids("point") + tuple(uid for uid, (kind, _) in _extra.items() if kind == "point")
    line_ids = layer_ids("line") + tuple(uid for uid, (kind, _) in _extra.items() if kind == "line")
    return frames, combine_points(frames, point_ids), line_ids


@on_first_call(st.cache_resource(show_spinner=False, max_entries=64))
def route_analysis(
    origin: str, destination: str, uploads: tuple[str, ...], catalog_file: str, data_folder: str, _extra: Extra
) -> tuple[Route, pd.DataFrame, pd.DataFrame]:
    """Shortest rail route between two places, the borders it crosses and the places it passes (read-only)."""
    from geo.network import shortest_route  # networkx: only for routes
    from geo.places import route_summary

    _, points, _ = analysis_inputs(uploads, catalog_file, data_folder, _extra)
    ends = []
    for place_id in (origin, destination):
        row = points.loc[place_id]
        ends.append((str(row["name"]), row.geometry.x, row.geometry.y))
    route = shortest_route(rail_network(catalog_file, data_folder), ends[0], ends[1])
    countries = basemap_frame("countries", catalog_file, data_folder)
    crossings, via = route_summary(route, points, countries)
    return route, crossings, via


# --- the map: one page per map state, shown with its layers switched on or off in the page ----------


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
        uploads=tuple((uid, title) for uid, (title, _) in _uploads().items()),
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


@on_first_call(st.cache_resource(show_spinner=False, max_entries=32))
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
    base, _ = basemap_page_data(catalog_file, data_folder)
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
    for element in _with_assets(fmap):
        css_links.extend(href for _, href in getattr(element, "default_css", []))
        js_links.extend(src for _, src in getattr(element, "default_js", []))
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


# --- session and URL state: the one accessor ----------------------------------------------------


def _csv(allowed: Sequence[str]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        values = [v for v in text.split(",") if v in allowed]
        if not values:
            raise ValueError(text)
        return values

    return parse


def _parse_view(text: str) -> MapView:
    lat, lon, zoom = (float(v) for v in text.split(","))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 1 <= zoom <= 18):
        raise ValueError(text)
    return MapView(lat=lat, lon=lon, zoom=zoom)


class Param(NamedTuple):
    """One piece of state kept in both session state (``key``) and the URL (``url``)."""

    url: str
    key: str
    default: Any
    parse: Callable[[str], Any]
    dump: Callable[[Any], str]


PARAMS: tuple[Param, ...] = (
    Param("view", "view", None, _parse_view, lambda v: f"{v.lat:.4f},{v.lon:.4f},{v.zoom:g}"),
    Param("feature", "feature", None, str, str),
    Param("status", "f_status", list(STATUSES), _csv(STATUSES), ",".join),
    Param("sector", "f_sector", list(GROUPS), _csv(GROUPS), ",".join),
    Param("year", "f_year", None, int, str),
    Param("corridor", "corridor", None, str, str),
    Param("km", "corridor_km", 50, int, str),
    Param("from", "route_from", None, str, str),
    Param("to", "route_to", None, str, str),
)


class AppState(NamedTuple):
    """What the URL holds: visible layers, map view, selection, filters, corridor and route."""

    visible: tuple[str, ...]
    view: MapView | None
    feature: str | None
    statuses: tuple[str, ...]
    sectors: tuple[str, ...]
    year: int | None


class UrlState:
    """Reads the URL once per session into session state, and writes session state back to the URL."""

    LAYERS = "layers"

    @staticmethod
    def seed() -> None:
        """On a session's first run, set every widget's state from the URL (or the defaults)."""
        if st.session_state.get("_seeded"):
            return
        params = st.query_params
        requested = params.get(UrlState.LAYERS)
        wanted = set(requested.split(",")) if requested is not None else None
        for spec in CATALOG.layers:
            st.session_state[spec.widget_key] = spec.visible if wanted is None else spec.id in wanted
        for param in PARAMS:
            value = param.default
            if param.url in params:
                try:
                    value = param.parse(params[param.url])
                except ValueError:
                    value = param.default  # a mangled parameter is ignored, not fatal
            st.session_state[param.key] = value
        st.session_state["opening_view"] = st.session_state["view"]
        st.session_state["_seeded"] = True

    @staticmethod
    def current() -> AppState:
        """The state as the widgets and the map last left it."""
        ss = st.session_state
        visible = tuple(spec.id for spec in CATALOG.layers if ss.get(spec.widget_key))
        return AppState(
            visible=visible,
            view=ss["view"],
            feature=ss.get("feature"),
            statuses=tuple(ss["f_status"]),
            sectors=tuple(ss["f_sector"]),
            year=ss.get("f_year"),
        )

    @staticmethod
    def write() -> None:
        """Mirror session state into the URL, leaving out values equal to their defaults."""
        ss = st.session_state
        layers = ",".join(spec.id for spec in CATALOG.layers if ss.get(spec.widget_key))
        wanted = {UrlState.LAYERS: layers}
        for param in PARAMS:
            value = ss.get(param.key)
            if param.key == "f_year" and value == ss.get("_year_max"):
                continue  # the latest year is no filter at all
            if value is not None and value != param.default:
                wanted[param.url] = param.dump(value)
        for key in [k for k in st.query_params if k not in wanted]:
            del st.query_params[key]
        for key, value in wanted.items():
            if st.query_params.get(key) != value:
                st.query_params[key] = value


def keep_view() -> None:
    """A change that rebuilds the map (filters, corridor, route, uploads): reopen it where the user was looking.

    Layer toggles do not rebuild the map (see :func:`show_map`), so they leave the opening view alone.
    """
    st.session_state["opening_view"] = st.session_state["view"]


#: The tabs under the map. Only the open tab's panel runs (``st.tabs`` tracks the open tab).
TABS = ("Metrics", "Visible features", "Corridor", "Route", "Charts", "Export")
TAB_KEY = "tab"
#: Widgets inside tabs whose values must outlive their tab being closed: Streamlit forgets the
#: state of a widget that a run does not draw, and the corridor and route also drive the map and URL.
TAB_WIDGETS = (
    "corridor",
    "corridor_km",
    "route_from",
    "route_to",
    "export_title",
    "export_subtitle",
    "export_format",
    "export_size",
    "export_dpi",
    "export_tiles",
)


def keep_tab_widgets() -> None:
    """Keep the values of widgets in closed tabs (re-setting a widget's key makes it plain session state)."""
    for key in TAB_WIDGETS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def read_map_events(result: dict | None) -> None:
    """Take the view and the clicked feature from what the map returned."""
    if not result:
        return
    bounds = result.get("bounds") or {}
    south_west, north_east = bounds.get("_southWest") or {}, bounds.get("_northEast") or {}
    if south_west.get("lat") is not None and north_east.get("lat") is not None:
        west, east = max(-180.0, float(south_west["lng"])), min(180.0, float(north_east["lng"]))
        south, north = max(-85.0, float(south_west["lat"])), min(85.0, float(north_east["lat"]))
        if west < east and south < north:
            st.session_state["bounds"] = (west, south, east, north)
    center, zoom = result.get("center"), result.get("zoom")
    if center and zoom:
        st.session_state["view"] = MapView(lat=float(center["lat"]), lon=float(center["lng"]), zoom=float(zoom))
    drawing = result.get("last_active_drawing") or {}
    feature_id = (drawing.get("properties") or {}).get("id")
    if isinstance(feature_id, str) and feature_id != st.session_state.get("last_clicked"):
        st.session_state["last_clicked"] = feature_id
        st.session_state["feature"] = feature_id


# --- page sections ------------------------------------------------------------------------------


def sidebar(errors: dict[str, str], frames: dict[str, gpd.GeoDataFrame]) -> None:
    """Layer toggles by group; a layer whose file is broken is shown disabled with its error."""
    st.sidebar.title("Corridor Atlas")
    st.sidebar.caption("Kazakhstan–China infrastructure corridors")
    for group in GROUPS:
        specs = CATALOG.in_group(group)
        if not specs:
            continue
        st.sidebar.subheader(group)
        for spec in specs:
            st.sidebar.checkbox(
                plain(spec.title),
                key=spec.widget_key,
                disabled=spec.id in errors,
                help=errors.get(spec.id),
            )
    uploads_section()
    filters_and_search(frames)
    st.sidebar.divider()
    st.sidebar.caption(
        "Basemap: Natural Earth 1:10m (works offline). Online base layers: © OpenStreetMap "
        "contributors; Esri World Imagery. " + DATA_CREDIT
    )


# --- users' own layers ---------------------------------------------------------------------------
# Uploads live in this session only: {upload id: (title, Ingested)}. A failed upload adds an error
# message and leaves every loaded layer as it was.

MAX_UPLOAD_MB = int(os.environ.get("CORRIDOR_ATLAS_MAX_UPLOAD_MB", "50"))


def _uploads() -> dict[str, tuple[str, Ingested]]:
    return st.session_state.setdefault("uploads", {})


def take_uploads() -> None:
    """Read newly uploaded files; each succeeds or fails on its own."""
    from geo.ingest import IngestLimits, ingest

    seen: set[str] = st.session_state.setdefault("upload_seen", set())
    errors: list[str] = st.session_state.setdefault("upload_errors", [])
    for file in st.session_state.get("uploader") or []:
        if file.file_id in seen:
            continue
        seen.add(file.file_id)
        try:
            layer = ingest(file.name, file.getvalue(), limits=IngestLimits(max_bytes=MAX_UPLOAD_MB * 1024 * 1024))
        except CorridorAtlasError as err:
            errors.append(str(err))
            continue
        upload_id = f"up_{layer.digest[:16]}"
        if upload_id in _uploads():
            errors.append(f"{file.name}: this file is already loaded")
            continue
        _uploads()[upload_id] = (file.name, layer)
        st.session_state[f"layer_{upload_id}"] = True
        keep_view()


def remove_upload(upload_id: str) -> None:
    """Forget an uploaded layer."""
    _uploads().pop(upload_id, None)
    st.session_state.pop(f"layer_{upload_id}", None)
    keep_view()


def uploads_section() -> None:
    """Add your own layers (several at once), toggle and remove them, read what was repaired."""
    from geo.ingest import SUPPORTED_SUFFIXES
    from layers.uploads import UPLOAD_GROUP

    st.sidebar.subheader(UPLOAD_GROUP)
    st.sidebar.file_uploader(
        "Add GeoJSON, GeoPackage, zipped Shapefile, KML, FlatGeobuf or CSV (lon/lat or WKT)",
        type=[s.lstrip(".") for s in SUPPORTED_SUFFIXES],
        accept_multiple_files=True,
        key="uploader",
        on_change=take_uploads,
        help=f"Up to {MAX_UPLOAD_MB} MB each. Files stay in this browser session only.",
    )
    for message in st.session_state.get("upload_errors", []):
        st.sidebar.error(plain(message))
    for upload_id, (title, layer) in list(_uploads().items()):
        toggle, remove = st.sidebar.columns([5, 1])
        toggle.checkbox(plain(f"{title} ({len(layer.frame)})"), key=f"layer_{upload_id}")
        remove.button(
            "✕", key=f"remove_{upload_id}", on_click=remove_upload, args=(upload_id,), help="Remove this layer"
        )
        if layer.notices:
            with st.sidebar.expander(f"{len(layer.notices)} notice(s)"):
                for notice in layer.notices:
                    st.caption(plain(str(notice)))


def upload_extra() -> dict[str, tuple[str, gpd.GeoDataFrame]]:
    """The uploads taking part in analyses: ``(geometry kind, full-precision frame)`` by id."""
    return {uid: (layer.geometry_kind, layer.frame) for uid, (_, layer) in _uploads().items()}


def upload_key() -> tuple[tuple[str, ...]]:
    """Cache key part naming the uploads (ids are content hashes)."""
    return (tuple(sorted(_uploads())),)


def spec_of(layer_id: str) -> LayerSpec:
    """The declaration of a catalog layer or of an uploaded one."""
    for spec, _ in upload_layers():
        if spec.id == layer_id:
            return spec
    return CATALOG.get(layer_id)


def upload_page_data(spec: LayerSpec, layer: Ingested) -> PageJSON:
    """An upload's page data, serialised once per session (from its display copy)."""
    from layers.uploads import upload_payload

    cache: dict[str, PageJSON] = st.session_state.setdefault("upload_payloads", {})
    if spec.id not in cache:
        cache[spec.id] = upload_payload(spec, layer.display)
    return cache[spec.id]


def upload_layers() -> list[tuple[LayerSpec, Ingested]]:
    """Each uploaded layer with its automatic declaration."""
    if not _uploads():
        return []
    from layers.uploads import upload_spec

    return [
        (upload_spec(upload_id, title, layer.geometry_kind, i), layer)
        for i, (upload_id, (title, layer)) in enumerate(_uploads().items())
    ]


def go_to_search_result() -> None:
    """Zoom to the chosen search result, switch its layer on and open its details."""
    picked = st.session_state.get("q_pick")
    frames, _ = loaded_layers()
    found = find_feature(frames, picked) if picked else None
    if found is None:
        return
    spec, row = found
    st.session_state[spec.widget_key] = True
    centre = row.geometry.centroid if row.geometry.geom_type != "Point" else row.geometry
    zoom = 9.0 if row.geometry.geom_type == "Point" else 6.0
    st.session_state["feature"] = picked
    st.session_state["view"] = st.session_state["opening_view"] = MapView(lat=centre.y, lon=centre.x, zoom=zoom)


def filters_and_search(frames: dict[str, gpd.GeoDataFrame]) -> None:
    """Status, sector and year filters (the timeline), and search by name or alias."""
    st.sidebar.subheader("Filters")
    st.sidebar.multiselect("Status", STATUSES, key="f_status", on_change=keep_view)
    st.sidebar.multiselect("Sector", GROUPS, key="f_sector")
    if frames:
        first, last = years(tuple(frames), CATALOG_FILE, DATA_FOLDER)
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

        hits = search_features(frames, query, limit=15)
        if hits.empty:
            st.sidebar.caption("No match.")
        else:
            labels = {
                row.feature_id: f"{row.name} · {row.matched} ({CATALOG.get(row.layer).title})"
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


def settle_year(frames: dict[str, gpd.GeoDataFrame]) -> None:
    """Keep the timeline's year within the data's years (the latest year when none is chosen)."""
    if not frames:
        return
    first, last = years(tuple(frames), CATALOG_FILE, DATA_FOLDER)
    chosen = st.session_state.get("f_year")
    st.session_state["f_year"] = last if chosen is None else min(max(int(chosen), first), last)
    st.session_state["_year_max"] = last


def find_feature(frames: dict[str, gpd.GeoDataFrame], feature_id: str) -> tuple[LayerSpec, pd.Series] | None:
    """The catalog layer and row of a feature id, if any layer has it."""
    for layer_id, gdf in frames.items():
        if feature_id in gdf.index:
            return spec_of(layer_id), gdf.loc[feature_id]
    return None


def details_panel(frames: dict[str, gpd.GeoDataFrame], feature_id: str | None) -> None:
    """Every attribute and source of the selected feature."""
    st.subheader("Details")
    found = find_feature(frames, feature_id) if feature_id else None
    if found is None:
        st.caption(
            "Click a pipeline, rail line or facility on the map to see what it is and where the facts come from."
        )
        return
    spec, row = found
    st.caption(plain(f"Selected in: {spec.title}"))
    rows = []
    for field in row.index:
        if field in {"geometry", "sources"}:
            continue
        text = format_value(str(field), row[field])
        if text is not None:
            rows.append({"field": FIELD_LABELS.get(str(field), str(field)), "value": text})
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "field": st.column_config.TextColumn(width="small"),
            "value": st.column_config.TextColumn(width="large"),
        },
    )
    sources = pd.DataFrame(
        [
            {
                "source": str(s.get("title", "")),
                "publisher": str(s.get("publisher") or ""),
                "link": safe_url(s.get("url")),
            }
            for s in (row["sources"] if "sources" in row.index and isinstance(row["sources"], list) else [])
            if isinstance(s, dict)
        ]
    )
    st.markdown("**Sources**")
    st.dataframe(
        sources,
        hide_index=True,
        width="stretch",
        column_config={"link": st.column_config.LinkColumn("link")},
    )


class Shown(NamedTuple):
    """What decides which features are shown: the status and year filters, on this catalog and data (a cache key)."""

    statuses: tuple[str, ...]
    year: int | None
    catalog_file: str
    data_folder: str

    @classmethod
    def of(cls, state: AppState) -> Shown:
        """The filters of this session, on the app's catalog and data."""
        return cls(state.statuses, state.year, CATALOG_FILE, DATA_FOLDER)


@on_first_call(st.cache_data(show_spinner=False, max_entries=128))
def pipeline_km(shown: Shown) -> pd.DataFrame:
    """Geodesic km of oil and gas pipeline per country, for the features the filters show."""
    lines = {label: shown_frame(lid, shown) for label, lid in (("oil", "oil_pipelines"), ("gas", "gas_pipelines"))}
    countries = basemap_frame("countries", shown.catalog_file, shown.data_folder)
    return km_by_country(lines, countries, country_field="sovereign")


def shown_frame(layer_id: str, shown: Shown) -> gpd.GeoDataFrame:
    """A catalog layer's features that pass the filters."""
    return filtered_frame(layer_id, shown.statuses, shown.year, shown.catalog_file, shown.data_folder)


def shown_frames(layer_ids: Sequence[str], shown: Shown, extra: Extra) -> dict[str, gpd.GeoDataFrame]:
    """The features shown of each layer: catalog layers through the filters, uploads whole."""
    return {lid: extra[lid][1] if lid in extra else shown_frame(lid, shown) for lid in layer_ids}


@on_first_call(st.cache_data(show_spinner=False, max_entries=256))
def figures(layer_ids: tuple[str, ...], shown: Shown, _extra: Extra) -> pd.DataFrame:
    """Investment and capacity figures of the features shown of these layers (upload ids are content hashes)."""
    from layers.uploads import UPLOAD_GROUP

    frames = shown_frames(layer_ids, shown, _extra)
    cat = catalog(shown.catalog_file, shown.data_folder)
    return figures_table(frames, {lid: UPLOAD_GROUP if lid in _extra else cat.get(lid).group for lid in frames})


@on_first_call(st.cache_data(show_spinner=False, max_entries=256))
def features_shown(layers: tuple[tuple[str, str], ...], shown: Shown, _extra: Extra) -> pd.DataFrame:
    """The feature table of these ``(layer id, title)`` layers, as the filters show them."""
    frames = shown_frames([lid for lid, _ in layers], shown, _extra)
    return feature_table({title: frames[lid] for lid, title in layers})


class Metrics(NamedTuple):
    """What the Metrics tab shows, ready to display."""

    km_error: str | None
    oil_km: float | None
    gas_km: float | None
    km_by_country: pd.DataFrame | None  # countries with 50 m or more, rounded
    facilities: int
    investment_bn: float
    investments: pd.DataFrame  # largest first, value as "US$ million"


@on_first_call(st.cache_resource(show_spinner=False, max_entries=128))
def metrics(layer_ids: tuple[str, ...], shown: Shown, _extra: Extra) -> Metrics:
    """Pipeline km by country, facility count and investment figures of the layers shown (read-only)."""
    table, error = None, None
    try:
        table = pipeline_km(shown)
    except CorridorAtlasError as err:
        error = f"Pipeline lengths by country are unavailable: {err}"
    facility_ids = [lid for lid in ("khorgos", "lianyungang", "almaty_plant") if lid in layer_ids]
    facilities = shown_frames(facility_ids, shown, _extra)
    table_of_figures = figures(layer_ids, shown, _extra)
    invest = table_of_figures[table_of_figures["metric"] == "investment"].sort_values("value", ascending=False)
    return Metrics(
        km_error=error,
        oil_km=None if table is None else float(table["oil length_km"].sum()),
        gas_km=None if table is None else float(table["gas length_km"].sum()),
        km_by_country=None if table is None else table[table.sum(axis=1) >= 0.05].round(1),  # border vertices
        facilities=sum(len(gdf) for gdf in facilities.values()),
        investment_bn=float(invest["value"].sum()) / 1e3,
        investments=invest[["name", "year", "status", "value", "source", "source_url"]].rename(
            columns={"value": "US$ million"}
        ),
    )


def metrics_section(layer_ids: tuple[str, ...], state: AppState) -> None:
    """Pipeline km by country, facility counts and investment figures with their sources."""
    shown = metrics(layer_ids, Shown.of(state), upload_extra())
    if shown.km_error:
        st.error(plain(shown.km_error))
    cols = st.columns(4)
    if shown.km_by_country is not None:
        cols[0].metric("Oil pipeline, km", f"{shown.oil_km:,.0f}")
        cols[1].metric("Gas pipeline, km", f"{shown.gas_km:,.0f}")
    cols[2].metric("Facilities", shown.facilities)
    cols[3].metric("Published investment, US$", f"{shown.investment_bn:,.2f} bn")
    left, right = st.columns(2)
    with left:
        st.markdown("**Pipeline length by country (geodesic, km)**")
        if shown.km_by_country is not None:
            st.dataframe(shown.km_by_country, width="stretch")
            st.caption("Each line split by Natural Earth 1:10m borders and measured on the WGS84 ellipsoid.")
    with right:
        st.markdown("**Investment figures and their sources**")
        st.dataframe(
            shown.investments,
            hide_index=True,
            width="stretch",
            column_config={"source_url": st.column_config.LinkColumn("link")},
        )


def visible_table(visible: tuple[str, ...], state: AppState) -> None:
    """The features of the layers that are switched on."""
    layers = tuple((lid, spec_of(lid).title) for lid in visible)
    table = features_shown(layers, Shown.of(state), upload_extra())
    st.markdown(f"**Visible features** ({len(table)})")
    columns = [
        c
        for c in (
            "layer",
            "name",
            "kind",
            "status",
            "year",
            "operator",
            "capacity",
            "length_km",
            "length_km_reported",
            "investment_usd",
            "location_precision",
            "sources",
        )
        if c in table.columns
    ]
    st.dataframe(
        table[columns],
        hide_index=True,
        width="stretch",
        column_config={"length_km": st.column_config.NumberColumn("length_km (geodesic)", format="%.0f")},
    )


def _download(label: str, data: str | bytes, file_name: str, mime: str, key: str) -> None:
    st.download_button(label, data, file_name=file_name, mime=mime, key=key, on_click="ignore")


def corridor_panel(frames: dict[str, gpd.GeoDataFrame]) -> None:
    """Pick a corridor and a distance: facilities inside, km per country, border crossings."""
    from geo.places import label_column

    extra = upload_extra()
    frames = {**frames, **{uid: gdf for uid, (_, gdf) in extra.items()}}
    line_ids = layer_ids("line") + tuple(uid for uid, (kind, _) in extra.items() if kind == "line")
    options: list[str] = [f"layer:{lid}" for lid in line_ids if lid in frames]
    names = {f"layer:{lid}": f"All {spec_of(lid).title.lower()}" for lid in line_ids}
    for lid in line_ids:
        if lid in frames:
            labels = frames[lid][label_column(frames[lid])]
            for fid, name in labels.items():
                options.append(fid)
                names[fid] = str(name)
    left, right = st.columns([3, 1])
    left.selectbox(
        "Corridor",
        options,
        index=None,
        format_func=lambda o: names.get(o, o),
        key="corridor",
        on_change=keep_view,
        placeholder="Choose a pipeline, a rail line or a whole layer",
    )
    right.number_input("Distance, km", min_value=1, max_value=500, step=5, key="corridor_km", on_change=keep_view)
    corridor = st.session_state.get("corridor")
    if not corridor:
        st.caption("The buffer is drawn in an equidistant conic fitted to the region; distances are geodesic.")
        return
    try:
        km = int(st.session_state["corridor_km"])
        report = corridor_analysis(corridor, km, *upload_key(), CATALOG_FILE, DATA_FOLDER, extra)
    except (CorridorAtlasError, KeyError) as err:
        st.error(plain(f"Corridor analysis failed: {err}"))
        return
    a, b, c = st.columns(3)
    a.metric("Facilities and cities within", len(report.facilities))
    b.metric("Corridor length, km (geodesic)", f"{report.length_by_country['length_km'].sum():,.0f}")
    c.metric("Border crossings", len(report.crossings))
    inside = report.facilities.reset_index()[["feature_id", "name", "layer", "kind", "distance_km", "nearest_line"]]
    st.markdown("**Within the corridor** (distance to the nearest line, geodesic)")
    st.dataframe(inside.round({"distance_km": 1}), hide_index=True, width="stretch")
    left, right = st.columns(2)
    with left:
        st.markdown("**Length per country**")
        st.dataframe(report.length_by_country.round(1), hide_index=True, width="stretch")
    with right:
        st.markdown("**Border crossings**")
        crossings = pd.DataFrame(
            [
                {"line": names.get(lid, lid), "from": c.from_country, "to": c.to_country, "near": c.place}
                for lid, c in report.crossings
            ],
            columns=["line", "from", "to", "near"],
        )
        st.dataframe(crossings, hide_index=True, width="stretch")
    _, all_points, _ = analysis_inputs(*upload_key(), CATALOG_FILE, DATA_FOLDER, extra)
    geometry = pd.DataFrame({"feature_id": all_points.index, "geometry": all_points.geometry.to_numpy()})
    points = gpd.GeoDataFrame(inside.merge(geometry, on="feature_id"), crs=4326)
    features = pd.concat([report.buffer.assign(name=f"{report.distance_km:g} km buffer"), points], ignore_index=True)
    d1, d2 = st.columns(2)
    with d1:
        _download("Download table (CSV)", inside.to_csv(index=False), "corridor.csv", "text/csv", "dl_corridor_csv")
    with d2:
        geojson = gpd.GeoDataFrame(features, crs=4326).to_json(drop_id=True)
        _download(
            "Download buffer and facilities (GeoJSON)",
            geojson,
            "corridor.geojson",
            "application/geo+json",
            "dl_corridor_geojson",
        )


def route_panel(frames: dict[str, gpd.GeoDataFrame]) -> None:
    """Shortest rail route between two places, with the borders crossed and places passed."""
    _, points, _ = analysis_inputs(*upload_key(), CATALOG_FILE, DATA_FOLDER, upload_extra())
    names = {
        fid: f"{name} ({spec_of(layer).title})"
        for fid, name, layer in zip(points.index, points["name"], points["layer"], strict=True)
    }
    left, right = st.columns(2)
    for col, key, label in ((left, "route_from", "From"), (right, "route_to", "To")):
        col.selectbox(
            label,
            list(names),
            index=None,
            format_func=lambda fid: names.get(fid, fid),
            key=key,
            on_change=keep_view,
            placeholder="A station, port, facility or city",
        )
    network = rail_network(CATALOG_FILE, DATA_FOLDER)
    st.caption(
        f"Rail network: {network.graph.number_of_nodes():,} nodes, {network.graph.number_of_edges():,} segments, "
        f"{len(network.components)} connected component(s), {network.snapped} line end(s) snapped."
    )
    origin, destination = st.session_state.get("route_from"), st.session_state.get("route_to")
    if not (origin and destination):
        return
    if origin == destination:
        st.warning("Choose two different places.")
        return
    try:
        route, crossings, via = route_analysis(
            origin, destination, *upload_key(), CATALOG_FILE, DATA_FOLDER, upload_extra()
        )
    except (CorridorAtlasError, KeyError) as err:
        st.error(plain(str(err)))
        return
    a, b, c = st.columns(3)
    a.metric("Route length, km", f"{route.length_km:,.0f}")
    b.metric("Along the rail network, km", f"{route.network_km:,.0f}")
    c.metric("Border crossings", len(crossings))
    st.caption(f"Joining legs: {route.access_km[0]:.1f} km at the start, {route.access_km[1]:.1f} km at the end.")
    lines = all_frames(CATALOG_FILE, DATA_FOLDER).get("rail_corridors")
    sequence = [str(lines.loc[i, "name"]) if lines is not None and i in lines.index else i for i in route.line_ids]
    st.markdown("**Lines followed**")
    st.dataframe(pd.DataFrame({"line": sequence}), hide_index=True, width="stretch")
    left, right = st.columns(2)
    with left:
        st.markdown("**Border crossings**")
        st.dataframe(crossings, hide_index=True, width="stretch")
    with right:
        st.markdown("**Places passed** (within 10 km)")
        st.dataframe(via.round({"distance_km": 1}), hide_index=True, width="stretch")
    path = gpd.GeoDataFrame(
        {"from": [route.origin], "to": [route.destination], "length_km": [round(route.length_km, 1)]},
        geometry=[route.geometry],
        crs=4326,
    )
    _download(
        "Download route (GeoJSON)", path.to_json(drop_id=True), "route.geojson", "application/geo+json", "dl_route"
    )


SECTOR_COLOURS = {"domain": list(GROUPS), "range": ["#D55E00", "#0072B2", "#CC79A7", "#999999"]}


@on_first_call(st.cache_data(show_spinner=False, max_entries=64))
def chart_specs(figures: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    """Vega-Lite specs (made with Altair, data inline) of the investment and capacity charts of ``figures``.

    Cached by the figures themselves, so a toggle that changes no figure reuses the charts.
    """
    import altair as alt  # only when the Charts tab is open

    tooltip = ["name:N", "year:Q", "value:Q", "unit:N", "status:N", "source:N"]
    colour = alt.Color("sector:N", scale=alt.Scale(**SECTOR_COLOURS))
    invest = (
        alt.Chart(figures[figures["metric"] == "investment"])
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="Year"),
            y=alt.Y("sum(value):Q", title="US$ million"),
            color=colour,
            tooltip=tooltip,
            href="source_url:N",
        )
    )
    capacity = (
        alt.Chart(figures[figures["metric"] == "capacity"])
        .mark_circle(size=110)
        .encode(
            x=alt.X("year:Q", title="Year", scale=alt.Scale(zero=False), axis=alt.Axis(format="d")),
            y=alt.Y("value:Q", title="Capacity"),
            color=colour,
            tooltip=tooltip,
            href="source_url:N",
        )
        .properties(height=140)
        .facet(row=alt.Row("unit:N", title=None))
        .resolve_scale(y="independent")
    )
    return invest.to_dict(), capacity.to_dict()


def charts_panel(layer_ids: tuple[str, ...], state: AppState) -> None:
    """Investments and capacities over time and by sector; every mark links to its source."""
    table = figures(layer_ids, Shown.of(state), {})
    if table.empty:
        st.caption("No investment or capacity figures among the features shown.")
        return
    table = table.assign(year=table["year"].astype("float"))
    invest, capacity = chart_specs(table)
    st.markdown("**Published investment by year and sector** (US$ million; click a bar to open its source)")
    st.vega_lite_chart(spec=invest, width="stretch")
    st.markdown("**Capacities over time** (one panel per unit; click a point to open its source)")
    st.vega_lite_chart(spec=capacity)
    st.dataframe(
        table[["name", "sector", "year", "metric", "value", "unit", "source", "source_url"]],
        hide_index=True,
        width="stretch",
        column_config={"source_url": st.column_config.LinkColumn("link")},
    )


EXPORT_SIZES = ("1920x1080", "1280x720", "3840x2160", "1080x1080", "1200x1600")
EXPORT_TITLE = "Kazakhstan–China infrastructure corridors"


def export_panel(
    frames: dict[str, gpd.GeoDataFrame], visible: tuple[str, ...], extra_specs: dict[str, LayerSpec]
) -> None:
    """Export the view on screen (extent and visible layers) as PNG, SVG, PDF or HTML."""
    from layers.snapshot import ALL_FORMATS, SnapshotData, SnapshotRequest, make_snapshot  # matplotlib: here only
    from layers.standalone import embed_snippet

    st.markdown("**Export the view on screen**: the map's current extent and the layers that are on.")
    st.session_state.setdefault("export_title", EXPORT_TITLE)  # no widget default: the value is kept in state
    left, right = st.columns(2)
    title = left.text_input("Title", key="export_title")
    subtitle = right.text_input("Subtitle", key="export_subtitle")
    fmt_col, size_col, dpi_col, tiles_col = st.columns(4)
    fmt = fmt_col.selectbox("Format", ALL_FORMATS, format_func=str.upper, key="export_format")
    size = size_col.selectbox("Size (pixels)", EXPORT_SIZES, key="export_size")
    dpi = dpi_col.selectbox("DPI (text and line size)", (150, 96, 200, 300), key="export_dpi")
    tiles = tiles_col.selectbox(
        "Background",
        (None, "osm", "imagery"),
        format_func=lambda v: {
            None: "Offline basemap",
            "osm": "OpenStreetMap (online)",
            "imagery": "Esri imagery (online)",
        }[v],
        key="export_tiles",
        help="Online backgrounds need the internet; PNG, SVG and PDF only.",
    )
    if st.button("Prepare export", key="export_go", disabled=not visible):
        width, height = (int(v) for v in size.split("x"))
        request = SnapshotRequest(
            layers=visible,
            format=fmt,
            bbox=st.session_state.get("bounds") or data_bounds({lid: frames[lid] for lid in visible}),
            width_px=width,
            height_px=height,
            dpi=dpi,
            title=title,
            subtitle=subtitle,
            tiles=tiles if fmt != "html" else None,
        )
        data = SnapshotData(
            catalog=CATALOG,
            extra_specs=extra_specs,
            frames=frames,
            basemap_frames={p.id: basemap_frame(p.id, CATALOG_FILE, DATA_FOLDER) for p in CATALOG.basemap.parts},
        )
        try:
            snapshot = make_snapshot(request, data)
        except CorridorAtlasError as err:
            st.session_state.pop("export", None)
            st.error(plain(str(err)))
        else:
            name = f"corridor-atlas.{fmt}"
            embed = embed_snippet(name, title=title, width_px=width, height_px=height) if fmt == "html" else ""
            st.session_state["export"] = (name, snapshot.content, snapshot.mime, snapshot.caption, embed)
    if "export" in st.session_state:
        name, content, mime, caption, embed = st.session_state["export"]
        st.download_button(
            f"Download {name}", content, file_name=name, mime=mime, key="export_download", on_click="ignore"
        )
        st.markdown("Alt text (caption):")
        st.code(caption, language=None, wrap_lines=True)
        if embed:
            st.markdown("Embed snippet for web pages and slide tools:")
            st.code(embed, language="html")


def main() -> None:
    """Lay out the page and wire widgets to the map and tables; the map goes out first."""
    UrlState.seed()
    keep_tab_widgets()
    frames, errors = loaded_layers()
    for message in errors.values():
        st.error(plain(message))
    _, base_problems = basemap_page_data(CATALOG_FILE, DATA_FOLDER)
    for message in base_problems:
        st.warning(plain(message))
    settle_year(frames)

    state = UrlState.current()
    uploads = upload_layers()
    sectors = set(state.sectors)
    visible = tuple(lid for lid in state.visible if lid in frames and CATALOG.get(lid).group in sectors)
    visible += tuple(spec.id for spec, _ in uploads if st.session_state.get(spec.widget_key))
    uploaded = tuple((spec, upload_page_data(spec, layer)) for spec, layer in uploads)
    page = map_page(map_state(frames, state), CATALOG_FILE, DATA_FOLDER, uploaded, upload_extra())
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


main()
