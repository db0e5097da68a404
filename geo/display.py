"""Display copies of large layers: simplified within a vertex budget; analytics keep the full data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["DISPLAY_VERTICES", "display_copy", "vertex_count"]

#: Vertices a layer may ship to the browser before it is simplified for display.
DISPLAY_VERTICES = 200_000


def vertex_count(gdf: gpd.GeoDataFrame) -> int:
    """All coordinates of a layer's geometries."""
    return int(shapely.get_num_coordinates(gdf.geometry.to_numpy()).sum())


def display_copy(gdf: gpd.GeoDataFrame, *, max_vertices: int = DISPLAY_VERTICES) -> tuple[gpd.GeoDataFrame, float]:
    """A copy within ``max_vertices``, by topology-preserving simplification at the smallest tolerance found.

    The tolerance starts near the spacing the budget allows over the layer's extent and doubles
    until the copy fits, so large layers need a few passes, not dozens. Points are never dropped.

    Returns
    -------
    tuple
        The display copy (the input itself when it already fits) and the tolerance used, in degrees
        (0 when nothing was simplified).
    """
    if vertex_count(gdf) <= max_vertices:
        return gdf, 0.0
    west, south, east, north = gdf.total_bounds
    diagonal = float(np.hypot(east - west, north - south))
    tolerance = max(diagonal / max_vertices / 4, 1e-6)
    geoms = gdf.geometry.to_numpy()
    while True:
        simplified = shapely.simplify(geoms, tolerance, preserve_topology=True)
        if int(shapely.get_num_coordinates(simplified).sum()) <= max_vertices or tolerance > diagonal:
            break
        tolerance *= 2
    return gdf.set_geometry(gpd.GeoSeries(simplified, index=gdf.index, crs=gdf.crs)), tolerance
