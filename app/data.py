"""The catalog, its layers and the basemap, cached once per server process and shared by every session."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

import geopandas as gpd
import pandas as pd
import streamlit as st

from app.catalog import Source, catalog
from app.statics import publish
from geo.errors import CorridorAtlasError
from layers.elements import DataURL
from layers.layer import LayerSet
from layers.load import catalog_layers, load_basemap_part
from layers.payload import PageJSON
from layers.render import basemap_payloads

_LOG = logging.getLogger(__name__)

DATA_CREDIT = "Corridor data: see each feature's sources; some routes © OpenStreetMap contributors (ODbL)"


# --- the catalog's layers and the basemap (the catalog itself and its Source: app.catalog) ---------
# Layers and page data are cached with st.cache_resource: they are read-only once made (nothing in
# the app or in geo/ and layers/ changes a frame it is given), and st.cache_data would unpickle a
# copy of every frame and of the megabytes of page data on every rerun.


@st.cache_resource(show_spinner=False)
def catalog_layer_set(src: Source) -> LayerSet:
    """The catalog's layers that load, and the error message of each that does not (read once; read-only)."""
    return catalog_layers(catalog(src))


@st.cache_resource(show_spinner=False)
def basemap_frame(part_id: str, src: Source) -> gpd.GeoDataFrame:
    """One part of the offline basemap (read-only)."""
    parts = catalog(src).basemap.parts
    return load_basemap_part(next(p for p in parts if p.id == part_id))


def countries(src: Source) -> gpd.GeoDataFrame:
    """The basemap part the catalog gives the ``countries`` role: which country a place is in."""
    return basemap_frame(catalog(src).basemap.with_role("countries").id, src)


@st.cache_resource(show_spinner=False)
def _basemap(src: Source) -> tuple[dict[str, gpd.GeoDataFrame], list[str]]:
    """Every basemap part that loads, by id, and the message of each that does not."""
    frames, problems = {}, []
    for part in catalog(src).basemap.parts:
        try:
            frames[part.id] = basemap_frame(part.id, src)
        except CorridorAtlasError as err:
            problems.append(str(err))
    return frames, problems


def basemap_frames(src: Source) -> dict[str, gpd.GeoDataFrame]:
    """Every basemap part that loads, by id (a fresh dict)."""
    return dict(_basemap(src)[0])


@st.cache_resource(show_spinner=False)
def basemap_page_data(src: Source) -> tuple[dict[str, PageJSON], list[str]]:
    """Payloads of every basemap part that loads, and messages for those that do not."""
    frames, problems = _basemap(src)
    return basemap_payloads(catalog(src).basemap, frames), problems


@st.cache_resource(show_spinner=False)
def basemap_urls(src: Source) -> dict[str, DataURL] | None:
    """The basemap's page data published as one static file; each part's URL names its member (see :mod:`app.statics`).

    One file, so the page draws the parts in their order (each on its own canvas: the order they
    arrive in would decide which covers which). ``None`` when the file cannot be written (a
    read-only install): the map then carries the basemap inline.
    """
    payloads, _ = basemap_page_data(src)
    text = "{" + ",".join(f"{json.dumps(part_id)}:{payload}" for part_id, payload in payloads.items()) + "}"
    try:
        url = publish(text.encode("utf-8"), stem="basemap", suffix=".json")
    except OSError as err:
        _LOG.warning("The basemap goes inline in every map: %s", err)
        return None
    return {part_id: DataURL(f"{url}#{quote(part_id)}") for part_id in payloads}


def data_bounds(frames: list[gpd.GeoDataFrame]) -> tuple[float, float, float, float] | None:
    """Bounds of these frames together, to open the map on when the URL names no view."""
    frames = [gdf for gdf in frames if len(gdf)]
    if not frames:
        return None
    bounds = pd.DataFrame([gdf.total_bounds for gdf in frames], columns=["x0", "y0", "x1", "y1"])
    return (bounds.x0.min(), bounds.y0.min(), bounds.x1.max(), bounds.y1.max())
