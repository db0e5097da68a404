"""The catalog, its layers and the analyses on them, cached once per server process and shared by every session."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import geopandas as gpd
import pandas as pd
import streamlit as st

from app.statics import publish
from geo.errors import CorridorAtlasError
from geo.filters import feature_mask, year_range
from layers.catalog import CATALOG_PATH, DATA_DIR, Catalog, load_catalog
from layers.elements import DataURL
from layers.load import load_basemap_part, load_layer
from layers.payload import PageJSON
from layers.render import basemap_payloads, layer_payload

if TYPE_CHECKING:  # imported where used, after the map: uploads, analyses (networkx), exports (matplotlib)
    from geo.corridor import CorridorReport
    from geo.network import Network, Route

_LOG = logging.getLogger(__name__)

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


def source() -> tuple[str, str]:
    """The catalog file and the data folder this server uses (read from the environment on each call)."""
    return (
        os.environ.get("CORRIDOR_ATLAS_CATALOG", str(CATALOG_PATH)),
        os.environ.get("CORRIDOR_ATLAS_DATA", str(DATA_DIR)),
    )


@st.cache_resource(show_spinner=False)
def catalog(catalog_file: str, data_folder: str) -> Catalog:
    """The layer catalog (immutable, shared by every session)."""
    return load_catalog(Path(catalog_file), data_dir=Path(data_folder))


#: The catalog each run uses, by :func:`source`: set once a run by :func:`load_current_catalog`, so
#: the dozen lookups of a run skip Streamlit's cache machinery (about 0.3 ms each). Values are the
#: cached, immutable catalogs themselves.
_CATALOG_OF_RUN: dict[tuple[str, str], Catalog] = {}


def load_current_catalog() -> Catalog:
    """Load (or take from the cache) the catalog of :func:`source`; :class:`CatalogError` if it cannot be used."""
    where = source()
    _CATALOG_OF_RUN[where] = cat = catalog(*where)
    return cat


def current_catalog() -> Catalog:
    """The catalog of this run (:func:`load_current_catalog` has loaded it)."""
    where = source()
    return _CATALOG_OF_RUN.get(where) or catalog(*where)


@st.cache_resource(show_spinner=False)
def layer_frame(layer_id: str, catalog_file: str, data_folder: str) -> gpd.GeoDataFrame:
    """A catalog layer's validated features (read once per server process; read-only)."""
    return load_layer(catalog(catalog_file, data_folder).get(layer_id))


@st.cache_resource(show_spinner=False)
def basemap_frame(part_id: str, catalog_file: str, data_folder: str) -> gpd.GeoDataFrame:
    """One part of the offline basemap (read-only)."""
    parts = catalog(catalog_file, data_folder).basemap.parts
    return load_basemap_part(next(p for p in parts if p.id == part_id))


@st.cache_resource(show_spinner=False)
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


@st.cache_resource(show_spinner=False)
def basemap_urls(catalog_file: str, data_folder: str) -> dict[str, DataURL] | None:
    """The basemap's page data published as one static file; each part's URL names its member (see :mod:`app.statics`).

    One file, so the page draws the parts in their order (each on its own canvas: the order they
    arrive in would decide which covers which). ``None`` when the file cannot be written (a
    read-only install): the map then carries the basemap inline.
    """
    payloads, _ = basemap_page_data(catalog_file, data_folder)
    text = "{" + ",".join(f"{json.dumps(part_id)}:{payload}" for part_id, payload in payloads.items()) + "}"
    try:
        url = publish(text.encode("utf-8"), stem="basemap", suffix=".json")
    except OSError as err:
        _LOG.warning("The basemap goes inline in every map: %s", err)
        return None
    return {part_id: DataURL(f"{url}#{quote(part_id)}") for part_id in payloads}


def data_bounds(frames: dict[str, gpd.GeoDataFrame]) -> tuple[float, float, float, float] | None:
    """Bounds of every loaded layer together, to open the map on when the URL names no view."""
    if not frames:
        return None
    bounds = pd.DataFrame([gdf.total_bounds for gdf in frames.values()], columns=["x0", "y0", "x1", "y1"])
    return (bounds.x0.min(), bounds.y0.min(), bounds.x1.max(), bounds.y1.max())


@st.cache_resource(show_spinner=False)
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
    frames, errors = catalog_layers(*source())
    return dict(frames), dict(errors)


@st.cache_resource(show_spinner=False)
def years(layer_ids: tuple[str, ...], catalog_file: str, data_folder: str) -> tuple[int, int]:
    """First and last year of the loaded catalog layers (the timeline slider's range)."""
    return year_range([layer_frame(lid, catalog_file, data_folder) for lid in layer_ids])


# --- analysis: filters, corridor, route (cached by their arguments) -------------------------------
# ``uploads`` names the users' layers taking part (content-addressed ids, so results never mix two
# users' files); ``_extra`` holds them, ``(kind, frame)`` by id, and is not hashed. Analyses of the
# catalog alone are cached once per server process; analyses with uploads are kept in the session
# (:func:`_in_session`), so an upload's frames are let go when it is removed or the session ends
# instead of staying referenced from a process-wide cache.

Extra = dict[str, tuple[str, gpd.GeoDataFrame]]
_T = TypeVar("_T")
#: Where a session keeps its analyses with uploads, and how many of the newest it keeps.
_SESSION_ANALYSES = "upload_analyses"
_SESSION_ANALYSES_KEPT = 16


def _in_session(key: tuple[object, ...], make: Callable[[], _T]) -> _T:
    """An analysis with uploads, made once per session and arguments; the newest few stay in the session state."""
    kept: dict[tuple[object, ...], Any] = st.session_state.setdefault(_SESSION_ANALYSES, {})
    if key in kept:
        kept[key] = kept.pop(key)  # the newest last
        return kept[key]
    value = make()
    kept[key] = value
    while len(kept) > _SESSION_ANALYSES_KEPT:
        del kept[next(iter(kept))]
    return value


def forget_upload_analyses() -> None:
    """Drop this session's analyses with uploads (the uploads changed: the old results only hold memory)."""
    st.session_state.pop(_SESSION_ANALYSES, None)


def layer_ids(geometry: str) -> tuple[str, ...]:
    """Catalog layers of one geometry kind (``line`` or ``point``)."""
    return tuple(spec.id for spec in current_catalog().layers if spec.geometry == geometry)


@st.cache_resource(show_spinner=False, max_entries=512)
def filtered_frame(
    layer_id: str, statuses: tuple[str, ...], year: int | None, catalog_file: str, data_folder: str
) -> gpd.GeoDataFrame:
    """A layer's features that pass the status and year filters (read-only)."""
    gdf = layer_frame(layer_id, catalog_file, data_folder)
    return gdf[feature_mask(gdf, statuses=statuses, year=year)]


@st.cache_resource(show_spinner=False, max_entries=512)
def filtered_page_data(
    layer_id: str, statuses: tuple[str, ...], year: int | None, catalog_file: str, data_folder: str
) -> PageJSON:
    """Page data of a filtered layer (serialised once per filter setting)."""
    spec = catalog(catalog_file, data_folder).get(layer_id)
    return layer_payload(spec, filtered_frame(layer_id, statuses, year, catalog_file, data_folder))


@st.cache_resource(show_spinner=False)
def rail_network(catalog_file: str, data_folder: str) -> Network:
    """The routable rail network: every layer the catalog gives the ``network`` role (built once; read-only)."""
    from geo.network import build_network  # networkx: only for routes

    return build_network(network_lines(catalog_file, data_folder))


@st.cache_resource(show_spinner=False)
def network_lines(catalog_file: str, data_folder: str) -> gpd.GeoDataFrame:
    """The features of the network layers in one frame (ids are unique across the catalog; read-only once made)."""
    specs = catalog(catalog_file, data_folder).with_role("network")
    frames = [layer_frame(spec.id, catalog_file, data_folder) for spec in specs]
    if not frames:
        raise CorridorAtlasError("the catalog gives no layer the network role, so there is nothing to route on")
    return gpd.GeoDataFrame(pd.concat(frames), crs=frames[0].crs)


def all_frames(catalog_file: str, data_folder: str) -> dict[str, gpd.GeoDataFrame]:
    """Every loadable layer, unfiltered (a fresh dict)."""
    return dict(catalog_layers(catalog_file, data_folder)[0])


def corridor_lines(corridor: str, frames: dict[str, gpd.GeoDataFrame], line_ids: Sequence[str]) -> gpd.GeoDataFrame:
    """The lines a corridor choice stands for: a whole line layer (``layer:<id>``) or one feature."""
    if corridor.startswith("layer:"):
        return frames[corridor.removeprefix("layer:")]
    for layer_id in line_ids:
        if layer_id in frames and corridor in frames[layer_id].index:
            return frames[layer_id].loc[[corridor]]
    raise KeyError(corridor)


def corridor_analysis(
    corridor: str, km: int, uploads: tuple[str, ...], catalog_file: str, data_folder: str, _extra: Extra
) -> CorridorReport:
    """Buffer, facilities inside, km per country and border crossings of a corridor (read-only)."""
    if not uploads:
        return _catalog_corridor_analysis(corridor, km, catalog_file, data_folder)
    key = ("corridor", corridor, km, uploads, catalog_file, data_folder)
    return _in_session(key, lambda: _corridor_analysis(corridor, km, uploads, catalog_file, data_folder, _extra))


@st.cache_resource(show_spinner=False, max_entries=64)
def _catalog_corridor_analysis(corridor: str, km: int, catalog_file: str, data_folder: str) -> CorridorReport:
    return _corridor_analysis(corridor, km, (), catalog_file, data_folder, {})


def _corridor_analysis(
    corridor: str, km: int, uploads: tuple[str, ...], catalog_file: str, data_folder: str, extra: Extra
) -> CorridorReport:
    from geo.corridor import corridor_report
    from geo.places import crossing_places

    frames, points, line_ids = analysis_inputs(uploads, catalog_file, data_folder, extra)
    countries = basemap_frame("countries", catalog_file, data_folder)
    lines = corridor_lines(corridor, frames, line_ids)
    return corridor_report(lines, points, countries, float(km), places=crossing_places(points))


def analysis_inputs(
    uploads: tuple[str, ...], catalog_file: str, data_folder: str, _extra: Extra
) -> tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame, tuple[str, ...]]:
    """Every layer (catalog and uploads), all point features in one frame, and the line layer ids."""
    if not uploads:
        return _catalog_analysis_inputs(catalog_file, data_folder)
    key = ("inputs", uploads, catalog_file, data_folder)
    return _in_session(key, lambda: _analysis_inputs(catalog_file, data_folder, _extra))


@st.cache_resource(show_spinner=False, max_entries=16)
def _catalog_analysis_inputs(
    catalog_file: str, data_folder: str
) -> tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame, tuple[str, ...]]:
    return _analysis_inputs(catalog_file, data_folder, {})


def _analysis_inputs(
    catalog_file: str, data_folder: str, extra: Extra
) -> tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame, tuple[str, ...]]:
    from geo.places import combine_points

    frames = all_frames(catalog_file, data_folder)
    frames.update({uid: gdf for uid, (_, gdf) in extra.items()})
    point_ids = layer_ids("point") + tuple(uid for uid, (kind, _) in extra.items() if kind == "point")
    line_ids = layer_ids("line") + tuple(uid for uid, (kind, _) in extra.items() if kind == "line")
    return frames, combine_points(frames, point_ids), line_ids


def route_analysis(
    origin: str, destination: str, uploads: tuple[str, ...], catalog_file: str, data_folder: str, _extra: Extra
) -> tuple[Route, pd.DataFrame, pd.DataFrame]:
    """Shortest rail route between two places, the borders it crosses and the places it passes (read-only)."""
    if not uploads:
        return _catalog_route_analysis(origin, destination, catalog_file, data_folder)
    key = ("route", origin, destination, uploads, catalog_file, data_folder)
    return _in_session(key, lambda: _route_analysis(origin, destination, uploads, catalog_file, data_folder, _extra))


@st.cache_resource(show_spinner=False, max_entries=64)
def _catalog_route_analysis(
    origin: str, destination: str, catalog_file: str, data_folder: str
) -> tuple[Route, pd.DataFrame, pd.DataFrame]:
    return _route_analysis(origin, destination, (), catalog_file, data_folder, {})


def _route_analysis(
    origin: str, destination: str, uploads: tuple[str, ...], catalog_file: str, data_folder: str, extra: Extra
) -> tuple[Route, pd.DataFrame, pd.DataFrame]:
    from geo.network import shortest_route  # networkx: only for routes
    from geo.places import route_summary

    _, points, _ = analysis_inputs(uploads, catalog_file, data_folder, extra)
    ends = []
    for place_id in (origin, destination):
        row = points.loc[place_id]
        spot = row.geometry if row.geometry.geom_type == "Point" else row.geometry.point_on_surface()
        ends.append((str(row["name"]), spot.x, spot.y))
    route = shortest_route(rail_network(catalog_file, data_folder), ends[0], ends[1])
    countries = basemap_frame("countries", catalog_file, data_folder)
    crossings, via = route_summary(route, points, countries)
    return route, crossings, via
