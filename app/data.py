"""The catalog, its layers and the basemap, cached once per server process and shared by every session."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import geopandas as gpd
import pandas as pd
import streamlit as st

from app.statics import publish
from geo.errors import CorridorAtlasError
from layers.catalog import CATALOG_PATH, DATA_DIR, Catalog, load_catalog
from layers.elements import DataURL
from layers.layer import LayerSet
from layers.load import catalog_layers, load_basemap_part
from layers.payload import PageJSON
from layers.render import basemap_payloads

_LOG = logging.getLogger(__name__)

DATA_CREDIT = "Corridor data: see each feature's sources; some routes © OpenStreetMap contributors (ODbL)"


# --- the catalog and its data -------------------------------------------------------------------
# The catalog file and data folder can be pointed elsewhere with CORRIDOR_ATLAS_CATALOG and
# CORRIDOR_ATLAS_DATA; the cached functions take them as one Source.
#
# Layers and page data are cached with st.cache_resource: they are read-only once made (nothing in
# the app or in geo/ and layers/ changes a frame it is given), and st.cache_data would unpickle a
# copy of every frame and of the megabytes of page data on every rerun.


class Source(NamedTuple):
    """Where the server's layers come from: the catalog file and the folder its files are in (a cache key)."""

    catalog_file: str
    data_folder: str


def source() -> Source:
    """The catalog file and the data folder this server uses (read from the environment on each call)."""
    return Source(
        os.environ.get("CORRIDOR_ATLAS_CATALOG", str(CATALOG_PATH)),
        os.environ.get("CORRIDOR_ATLAS_DATA", str(DATA_DIR)),
    )


@st.cache_resource(show_spinner=False)
def catalog(src: Source) -> Catalog:
    """The layer catalog (immutable, shared by every session)."""
    return load_catalog(Path(src.catalog_file), data_dir=Path(src.data_folder))


#: The catalog each run uses, by :func:`source`: set once a run by :func:`load_current_catalog`, so
#: the dozen lookups of a run skip Streamlit's cache machinery (about 0.3 ms each). Values are the
#: cached, immutable catalogs themselves.
_CATALOG_OF_RUN: dict[Source, Catalog] = {}


def load_current_catalog() -> Catalog:
    """Load (or take from the cache) the catalog of :func:`source`; :class:`CatalogError` if it cannot be used."""
    where = source()
    _CATALOG_OF_RUN[where] = cat = catalog(where)
    return cat


def current_catalog() -> Catalog:
    """The catalog of this run (:func:`load_current_catalog` has loaded it)."""
    where = source()
    return _CATALOG_OF_RUN.get(where) or catalog(where)


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
