"""Corridor Atlas: the Streamlit app. Wiring only: widgets and state in, functions from layers/ and geo/ out."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.corridor import CorridorReport, corridor_report
from geo.errors import CorridorAtlasError
from geo.filters import feature_mask, year_range
from geo.ingest import SUPPORTED_SUFFIXES, Ingested, IngestLimits, ingest
from geo.network import Network, Route, build_network, shortest_route
from geo.places import combine_points, crossing_places, label_column, route_summary
from geo.schema import STATUSES
from geo.search import search_features
from geo.summary import feature_table, figures_table, km_by_country
from layers.catalog import CATALOG_PATH, DATA_DIR, GROUPS, Catalog, CatalogError, LayerSpec, load_catalog
from layers.load import load_basemap_part, load_layer
from layers.payload import PageJSON
from layers.popup import FIELD_LABELS, format_value, safe_url
from layers.render import MapView, Overlay, basemap_payloads, build_map, layer_payload, overlay_payload
from layers.snapshot import ALL_FORMATS, SnapshotData, SnapshotRequest, make_snapshot
from layers.standalone import embed_snippet
from layers.uploads import UPLOAD_GROUP, upload_payload, upload_spec

st.set_page_config(page_title="Corridor Atlas", page_icon="🗺️", layout="wide")

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """Escape Markdown so that Streamlit shows text (file names, ids, titles) literally."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


DATA_CREDIT = "Corridor data: see each feature's sources; some routes © OpenStreetMap contributors (ODbL)"
MAP_KEY = "map"


# --- the catalog and its data, cached by layer id ----------------------------------------------
# The catalog file and data folder can be pointed elsewhere with CORRIDOR_ATLAS_CATALOG and
# CORRIDOR_ATLAS_DATA; every cached function takes them as its arguments.

CATALOG_FILE = os.environ.get("CORRIDOR_ATLAS_CATALOG", str(CATALOG_PATH))
DATA_FOLDER = os.environ.get("CORRIDOR_ATLAS_DATA", str(DATA_DIR))


@st.cache_resource(show_spinner=False)
def catalog(catalog_file: str, data_folder: str) -> Catalog:
    """The layer catalog (immutable, shared by every session)."""
    return load_catalog(Path(catalog_file), data_dir=Path(data_folder))


try:
    CATALOG = catalog(CATALOG_FILE, DATA_FOLDER)
except CatalogError as err:
    st.error(plain(f"The layer catalog cannot be used: {err}"))
    st.stop()


@st.cache_data(show_spinner=False)
def layer_frame(layer_id: str, catalog_file: str, data_folder: str) -> gpd.GeoDataFrame:
    """A catalog layer's validated features (read once per server process)."""
    return load_layer(catalog(catalog_file, data_folder).get(layer_id))


@st.cache_data(show_spinner=False)
def layer_page_data(layer_id: str, catalog_file: str, data_folder: str) -> PageJSON:
    """A catalog layer's page payload (serialised once)."""
    spec = catalog(catalog_file, data_folder).get(layer_id)
    return layer_payload(spec, layer_frame(layer_id, catalog_file, data_folder))


@st.cache_data(show_spinner=False)
def basemap_frame(part_id: str, catalog_file: str, data_folder: str) -> gpd.GeoDataFrame:
    """One part of the offline basemap."""
    parts = catalog(catalog_file, data_folder).basemap.parts
    return load_basemap_part(next(p for p in parts if p.id == part_id))


@st.cache_data(show_spinner=False)
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


def loaded_layers() -> tuple[dict[str, gpd.GeoDataFrame], dict[str, str]]:
    """Frames of the layers that load, and the error message of each that does not."""
    frames, errors = {}, {}
    for spec in CATALOG.layers:
        try:
            frames[spec.id] = layer_frame(spec.id, CATALOG_FILE, DATA_FOLDER)
        except CorridorAtlasError as err:
            errors[spec.id] = str(err)
    return frames, errors


# --- analysis: filters, corridor, route (cached by their arguments) -------------------------------


def layer_ids(geometry: str) -> tuple[str, ...]:
    """Catalog layers of one geometry kind (``line`` or ``point``)."""
    return tuple(spec.id for spec in CATALOG.layers if spec.geometry == geometry)


@st.cache_data(show_spinner=False)
def filtered_frame(
    layer_id: str, statuses: tuple[str, ...], year: int | None, catalog_file: str, data_folder: str
) -> gpd.GeoDataFrame:
    """A layer's features that pass the status and year filters."""
    gdf = layer_frame(layer_id, catalog_file, data_folder)
    return gdf[feature_mask(gdf, statuses=statuses, year=year)]


@st.cache_data(show_spinner=False)
def filtered_page_data(
    layer_id: str, statuses: tuple[str, ...], year: int | None, catalog_file: str, data_folder: str
) -> PageJSON:
    """Page data of a filtered layer (serialised once per filter setting)."""
    spec = catalog(catalog_file, data_folder).get(layer_id)
    return layer_payload(spec, filtered_frame(layer_id, statuses, year, catalog_file, data_folder))


@st.cache_resource(show_spinner=False)
def rail_network(catalog_file: str, data_folder: str) -> Network:
    """The routable rail network (built once; read-only afterwards)."""
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


@st.cache_data(show_spinner=False)
def corridor_analysis(
    corridor: str,
    km: int,
    uploads: tuple[str, ...],
    catalog_file: str,
    data_folder: str,
    _extra: dict[str, tuple[str, gpd.GeoDataFrame]],
) -> CorridorReport:
    """Buffer, facilities inside, km per country and border crossings of a corridor.

    ``uploads`` names the users' layers taking part (content-addressed ids, so the cache never
    mixes two users' files); ``_extra`` holds them, ``(kind, frame)`` by id, and is not hashed.
    """
    frames, points, line_ids = analysis_inputs(catalog_file, data_folder, _extra)
    countries = basemap_frame("countries", catalog_file, data_folder)
    lines = corridor_lines(corridor, frames, line_ids)
    return corridor_report(lines, points, countries, float(km), places=crossing_places(points))


def analysis_inputs(
    catalog_file: str, data_folder: str, extra: dict[str, tuple[str, gpd.GeoDataFrame]]
) -> tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame, tuple[str, ...]]:
    """Every layer (catalog and uploads), all point features in one frame, and the line layer ids."""
    frames = all_frames(catalog_file, data_folder)
    frames.update({uid: gdf for uid, (_, gdf) in extra.items()})
    point_ids = layer_ids("point") + tuple(uid for uid, (kind, _) in extra.items() if kind == "point")
    line_ids = layer_ids("line") + tuple(uid for uid, (kind, _) in extra.items() if kind == "line")
    return frames, combine_points(frames, point_ids), line_ids


@st.cache_data(show_spinner=False)
def route_analysis(
    origin: str,
    destination: str,
    uploads: tuple[str, ...],
    catalog_file: str,
    data_folder: str,
    _extra: dict[str, tuple[str, gpd.GeoDataFrame]],
) -> tuple[Route, pd.DataFrame, pd.DataFrame]:
    """Shortest rail route between two places, the borders it crosses and the places it passes."""
    _, points, _ = analysis_inputs(catalog_file, data_folder, _extra)
    ends = []
    for place_id in (origin, destination):
        row = points.loc[place_id]
        ends.append((str(row["name"]), row.geometry.x, row.geometry.y))
    route = shortest_route(rail_network(catalog_file, data_folder), ends[0], ends[1])
    countries = basemap_frame("countries", catalog_file, data_folder)
    crossings, via = route_summary(route, points, countries)
    return route, crossings, via


def analysis_overlays() -> list[Overlay]:
    """The corridor buffer and the route, when chosen, as map overlays."""
    overlays: list[Overlay] = []
    corridor, km = st.session_state.get("corridor"), st.session_state.get("corridor_km") or 50
    if corridor and "buffer" in CATALOG.analysis:
        try:
            report = corridor_analysis(corridor, int(km), *upload_key(), CATALOG_FILE, DATA_FOLDER, upload_extra())
        except (CorridorAtlasError, KeyError):
            report = None
        if report is not None:
            title, style = CATALOG.analysis["buffer"]
            label = f"{title} ({km:g} km)"
            overlays.append(
                Overlay(label, overlay_payload(report.buffer, [f"{label} around {corridor}"]), style, "polygon")
            )
    origin, destination = st.session_state.get("route_from"), st.session_state.get("route_to")
    if origin and destination and origin != destination and "route" in CATALOG.analysis:
        try:
            route, _, _ = route_analysis(origin, destination, *upload_key(), CATALOG_FILE, DATA_FOLDER, upload_extra())
        except (CorridorAtlasError, KeyError):
            route = None
        if route is not None:
            title, style = CATALOG.analysis["route"]
            label = f"{title} ({route.length_km:,.0f} km)"
            path = gpd.GeoDataFrame(geometry=[route.geometry], crs=4326)
            tip = f"{route.origin} → {route.destination}: {route.length_km:,.0f} km"
            overlays.append(Overlay(label, overlay_payload(path, [tip]), style, "line"))
    return overlays


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


@dataclass(frozen=True)
class Param:
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


@dataclass(frozen=True)
class AppState:
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


def keep_view_on_toggle() -> None:
    """A toggle rebuilds the map: reopen it where the user was looking."""
    st.session_state["opening_view"] = st.session_state["view"]


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
                on_change=keep_view_on_toggle,
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


def remove_upload(upload_id: str) -> None:
    """Forget an uploaded layer."""
    _uploads().pop(upload_id, None)
    st.session_state.pop(f"layer_{upload_id}", None)
    keep_view_on_toggle()


def uploads_section() -> None:
    """Add your own layers (several at once), toggle and remove them, read what was repaired."""
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
        toggle.checkbox(plain(f"{title} ({len(layer.frame)})"), key=f"layer_{upload_id}", on_change=keep_view_on_toggle)
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
    cache: dict[str, PageJSON] = st.session_state.setdefault("upload_payloads", {})
    if spec.id not in cache:
        cache[spec.id] = upload_payload(spec, layer.display)
    return cache[spec.id]


def upload_layers() -> list[tuple[LayerSpec, Ingested]]:
    """Each uploaded layer with its automatic declaration."""
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
    st.sidebar.multiselect("Status", STATUSES, key="f_status", on_change=keep_view_on_toggle)
    st.sidebar.multiselect("Sector", GROUPS, key="f_sector", on_change=keep_view_on_toggle)
    if frames:
        first, last = year_range(frames.values())
        chosen = st.session_state.get("f_year")
        st.session_state["f_year"] = last if chosen is None else min(max(int(chosen), first), last)
        st.session_state["_year_max"] = last
        st.sidebar.slider(
            "Network as it stood in",
            min_value=first,
            max_value=last,
            key="f_year",
            on_change=keep_view_on_toggle,
            help="Features opened or agreed after this year are hidden; cities always show.",
        )
    st.sidebar.subheader("Search")
    query = st.sidebar.text_input("Name or alias", key="q", placeholder="Khorgos, Druzhba, 霍尔果斯 …")
    if query:
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


@st.cache_data(show_spinner=False)
def pipeline_km(statuses: tuple[str, ...], year: int | None, catalog_file: str, data_folder: str) -> pd.DataFrame:
    """Geodesic km of oil and gas pipeline per country, for the features the filters show."""
    ids = {"oil": "oil_pipelines", "gas": "gas_pipelines"}
    lines = {label: filtered_frame(lid, statuses, year, catalog_file, data_folder) for label, lid in ids.items()}
    countries = basemap_frame("countries", catalog_file, data_folder)
    return km_by_country(lines, countries, country_field="sovereign")


def metrics_section(frames: dict[str, gpd.GeoDataFrame], state: AppState) -> None:
    """Pipeline km by country, facility counts and investment figures with their sources."""
    table = None
    try:
        table = pipeline_km(state.statuses, state.year, CATALOG_FILE, DATA_FOLDER)
    except CorridorAtlasError as err:
        st.error(plain(f"Pipeline lengths by country are unavailable: {err}"))
    cols = st.columns(4)
    if table is not None:
        for col, label in zip(cols[:2], ("oil", "gas"), strict=True):
            col.metric(f"{label.capitalize()} pipeline, km", f"{table[f'{label} length_km'].sum():,.0f}")
    facility_ids = [lid for lid in ("khorgos", "lianyungang", "almaty_plant") if lid in frames]
    cols[2].metric("Facilities", sum(len(frames[lid]) for lid in facility_ids))
    figures = figures_table(frames, {lid: spec_of(lid).group for lid in frames})
    invest = figures[figures["metric"] == "investment"].sort_values("value", ascending=False)
    cols[3].metric("Published investment, US$", f"{invest['value'].sum() / 1e3:,.2f} bn")
    left, right = st.columns(2)
    with left:
        st.markdown("**Pipeline length by country (geodesic, km)**")
        if table is not None:
            shown = table[table.sum(axis=1) >= 0.05]  # a border vertex can leave metres in a neighbour
            st.dataframe(shown.round(1), width="stretch")
            st.caption("Each line split by Natural Earth 1:10m borders and measured on the WGS84 ellipsoid.")
    with right:
        st.markdown("**Investment figures and their sources**")
        st.dataframe(
            invest[["name", "year", "status", "value", "source", "source_url"]].rename(
                columns={"value": "US$ million"}
            ),
            hide_index=True,
            width="stretch",
            column_config={"source_url": st.column_config.LinkColumn("link")},
        )


def visible_table(frames: dict[str, gpd.GeoDataFrame], visible: tuple[str, ...]) -> None:
    """The features of the layers that are switched on."""
    shown = {spec_of(lid).title: frames[lid] for lid in visible if lid in frames}
    table = feature_table(shown)
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
        on_change=keep_view_on_toggle,
        placeholder="Choose a pipeline, a rail line or a whole layer",
    )
    right.number_input(
        "Distance, km", min_value=1, max_value=500, step=5, key="corridor_km", on_change=keep_view_on_toggle
    )
    corridor = st.session_state.get("corridor")
    if not corridor:
        st.caption("The buffer is drawn in an equidistant conic fitted to the region; distances are geodesic.")
        return
    try:
        km = int(st.session_state["corridor_km"])
        report = corridor_analysis(corridor, km, *upload_key(), CATALOG_FILE, DATA_FOLDER, upload_extra())
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
    _, all_points, _ = analysis_inputs(CATALOG_FILE, DATA_FOLDER, extra)
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
    _, points, _ = analysis_inputs(CATALOG_FILE, DATA_FOLDER, upload_extra())
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
            on_change=keep_view_on_toggle,
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


def charts_panel(frames: dict[str, gpd.GeoDataFrame]) -> None:
    """Investments and capacities over time and by sector; every mark links to its source."""
    import altair as alt

    figures = figures_table(frames, {spec.id: spec.group for spec in CATALOG.layers})
    if figures.empty:
        st.caption("No investment or capacity figures among the features shown.")
        return
    figures = figures.assign(year=figures["year"].astype("float"))
    tooltip = ["name:N", "year:Q", "value:Q", "unit:N", "status:N", "source:N"]
    invest = figures[figures["metric"] == "investment"]
    st.markdown("**Published investment by year and sector** (US$ million; click a bar to open its source)")
    st.altair_chart(
        alt.Chart(invest)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="Year"),
            y=alt.Y("sum(value):Q", title="US$ million"),
            color=alt.Color(
                "sector:N", scale=alt.Scale(domain=list(GROUPS), range=["#D55E00", "#0072B2", "#CC79A7", "#999999"])
            ),
            tooltip=tooltip,
            href="source_url:N",
        ),
        width="stretch",
    )
    capacity = figures[figures["metric"] == "capacity"]
    st.markdown("**Capacities over time** (one panel per unit; click a point to open its source)")
    st.altair_chart(
        alt.Chart(capacity)
        .mark_circle(size=110)
        .encode(
            x=alt.X("year:Q", title="Year", scale=alt.Scale(zero=False), axis=alt.Axis(format="d")),
            y=alt.Y("value:Q", title="Capacity"),
            color=alt.Color(
                "sector:N", scale=alt.Scale(domain=list(GROUPS), range=["#D55E00", "#0072B2", "#CC79A7", "#999999"])
            ),
            tooltip=tooltip,
            href="source_url:N",
        )
        .properties(height=140)
        .facet(row=alt.Row("unit:N", title=None))
        .resolve_scale(y="independent"),
    )
    st.dataframe(
        figures[["name", "sector", "year", "metric", "value", "unit", "source", "source_url"]],
        hide_index=True,
        width="stretch",
        column_config={"source_url": st.column_config.LinkColumn("link")},
    )


EXPORT_SIZES = ("1920x1080", "1280x720", "3840x2160", "1080x1080", "1200x1600")


def export_panel(
    frames: dict[str, gpd.GeoDataFrame], visible: tuple[str, ...], extra_specs: dict[str, LayerSpec]
) -> None:
    """Export the view on screen (extent and visible layers) as PNG, SVG, PDF or HTML."""
    st.markdown("**Export the view on screen**: the map's current extent and the layers that are on.")
    left, right = st.columns(2)
    title = left.text_input("Title", value="Kazakhstan–China infrastructure corridors", key="export_title")
    subtitle = right.text_input("Subtitle", value="", key="export_subtitle")
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
    """Lay out the page and wire widgets to the map and tables."""
    UrlState.seed()
    frames, errors = loaded_layers()
    sidebar(errors, frames)
    for message in errors.values():
        st.error(plain(message))
    base, base_problems = basemap_page_data(CATALOG_FILE, DATA_FOLDER)
    for message in base_problems:
        st.warning(plain(message))

    state = UrlState.current()
    sectors = set(state.sectors)
    visible = tuple(lid for lid in state.visible if lid in frames and CATALOG.get(lid).group in sectors)
    shown = {lid: filtered_frame(lid, state.statuses, state.year, CATALOG_FILE, DATA_FOLDER) for lid in frames}
    payloads = [
        (spec, filtered_page_data(spec.id, state.statuses, state.year, CATALOG_FILE, DATA_FOLDER))
        for spec in CATALOG.layers
        if spec.id in frames
    ]
    uploads = upload_layers()
    payloads += [(spec, upload_page_data(spec, layer)) for spec, layer in uploads]
    uploaded_on = tuple(spec.id for spec, _ in uploads if st.session_state.get(spec.widget_key))
    visible = visible + uploaded_on
    shown.update({spec.id: layer.frame for spec, layer in uploads})
    drawn = {**shown, **{spec.id: layer.display for spec, layer in uploads}}
    fmap = build_map(
        payloads,
        basemap=CATALOG.basemap,
        basemap_parts=base,
        visible=visible,
        view=st.session_state["opening_view"],
        fit=data_bounds(frames),
        attribution=DATA_CREDIT,
        overlays=analysis_overlays(),
    )
    map_col, detail_col = st.columns([5, 2])
    with map_col:
        result = st_folium(
            fmap,
            key=MAP_KEY,
            height=620,
            use_container_width=True,
            returned_objects=["last_active_drawing", "center", "zoom", "bounds"],
        )
    read_map_events(result)
    state = UrlState.current()
    with detail_col:
        details_panel({**frames, **{spec.id: layer.frame for spec, layer in uploads}}, state.feature)

    tabs = st.tabs(["Metrics", "Visible features", "Corridor", "Route", "Charts", "Export"])
    with tabs[0]:
        metrics_section(shown, state)
    with tabs[1]:
        visible_table(shown, visible)
    with tabs[2]:
        corridor_panel(frames)
    with tabs[3]:
        route_panel(frames)
    with tabs[4]:
        charts_panel({lid: shown[lid] for lid in visible if lid in frames})
    with tabs[5]:
        export_panel(drawn, visible, {spec.id: spec for spec, _ in uploads})
    UrlState.write()


main()
