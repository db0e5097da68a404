"""Corridor buffers and facility-to-corridor distances, computed in metric CRSs fit for the region."""

from __future__ import annotations

from functools import partial

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.crs import REGION_CRS, WGS84, local_aeqd
from geo.measure import require_wgs84

__all__ = ["corridor_buffer", "distance_to_nearest_km"]


def corridor_buffer(lines: gpd.GeoDataFrame, distance_km: float) -> gpd.GeoDataFrame:
    """Buffer each line by a distance, in the region's equidistant conic CRS, returned in WGS84.

    Parameters
    ----------
    lines
        Line features in WGS84.
    distance_km
        Buffer distance; must be positive.

    Returns
    -------
    geopandas.GeoDataFrame
        One polygon per input row, indexed like ``lines``, with ``distance_km``.
    """
    require_wgs84(lines, "lines")
    if not distance_km > 0:
        raise ValueError(f"distance_km must be positive, got {distance_km!r}")
    projected = lines.geometry.to_crs(REGION_CRS)
    buffered = projected.buffer(distance_km * 1000.0, quad_segs=16).to_crs(WGS84)
    return gpd.GeoDataFrame({"distance_km": distance_km}, geometry=buffered, index=lines.index, crs=WGS84)


def distance_to_nearest_km(points: gpd.GeoDataFrame, lines: gpd.GeoDataFrame) -> pd.DataFrame:
    """Distance from each point to the nearest line, and which line that is.

    Each point is measured in an azimuthal equidistant projection centred on itself, where
    distances from the centre are geodesic, so the result does not depend on the region's map
    projection.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``points``: ``distance_km`` and ``nearest_id`` (index label of the line).
    """
    require_wgs84(points, "points")
    require_wgs84(lines, "lines")
    if len(lines) == 0:
        raise ValueError("no lines to measure against")
    line_geoms = lines.geometry.to_numpy()
    distances: list[float] = []
    nearest: list[object] = []
    for geom in points.geometry:
        centre = geom.centroid
        transformer = Transformer.from_crs(WGS84, local_aeqd(centre.x, centre.y), always_xy=True)
        local = shapely.transform(line_geoms, partial(_project, transformer))
        d_m = shapely.distance(shapely.Point(0.0, 0.0), local)
        best = int(d_m.argmin())
        distances.append(float(d_m[best]) / 1000.0)
        nearest.append(lines.index[best])
    return pd.DataFrame({"distance_km": distances, "nearest_id": nearest}, index=points.index)


def _project(transformer: Transformer, xy: np.ndarray) -> np.ndarray:
    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])
