"""Reading layer files into validated, normalised GeoDataFrames in WGS84."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError

from geo.crs import require_wgs84
from geo.errors import LayerReadError
from geo.schema import REQUIRED_PROPERTIES
from geo.validate import validate_layer

__all__ = ["read_basemap_layer", "read_layer"]


def _read_raw(path: Path) -> gpd.GeoDataFrame:
    if not path.is_file():
        raise LayerReadError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise LayerReadError(f"{path}: the file is empty")
    try:
        return pyogrio.read_dataframe(path)
    except (DataSourceError, DataLayerError) as err:
        raise LayerReadError(f"{path}: not a readable geodata file ({err})") from err


def _require_wgs84(gdf: gpd.GeoDataFrame, path: Path) -> None:
    require_wgs84(
        gdf,
        str(path),
        fix="project layers are stored in WGS84 (EPSG:4326, lon/lat) as RFC 7946 requires; reproject the file",
    )


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, list):
        return value
    return []


def _normalise(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    gdf = gdf.copy()
    for name in ("aliases", "sources"):
        if name in gdf.columns:
            gdf[name] = [_as_list(v) for v in gdf[name]]
        else:
            gdf[name] = [[] for _ in range(len(gdf))]
    for name in ("year", "population"):
        if name in gdf.columns:
            gdf[name] = pd.to_numeric(gdf[name], errors="coerce").round().astype("Int64")
    gdf.index = pd.Index(gdf["id"].astype(str), name="feature_id")
    return gdf


def read_layer(
    path: str | Path,
    *,
    geometry_types: Iterable[str],
    required: Sequence[str] = REQUIRED_PROPERTIES,
) -> gpd.GeoDataFrame:
    """Read one project layer, check its CRS and every feature, and normalise its columns.

    Parameters
    ----------
    path
        A GeoJSON (or other OGR-readable) file in WGS84.
    geometry_types
        Geometry type names the layer may hold.
    required
        Properties every feature must carry.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by feature ``id``; ``aliases`` and ``sources`` are lists, ``year`` is nullable Int64.

    Raises
    ------
    LayerReadError
        The file is missing, empty or not geodata.
    CRSError
        The file has no CRS or one other than WGS84.
    LayerValidationError
        Any feature breaks the schema; the error lists every problem in the file.
    """
    path = Path(path)
    gdf = _read_raw(path)
    _require_wgs84(gdf, path)
    validate_layer(gdf, path=str(path), geometry_types=geometry_types, required=required)
    return _normalise(gdf)


def read_basemap_layer(path: str | Path) -> gpd.GeoDataFrame:
    """Read a context layer of the offline basemap (no feature schema), checking only its CRS."""
    path = Path(path)
    gdf = _read_raw(path)
    _require_wgs84(gdf, path)
    return gdf
