"""Display copies of large layers: simplified within a vertex budget; analytics keep the full data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["DISPLAY_VERTICES", "display_copy", "simplify_keeping_topology", "vertex_count"]

#: Vertices a layer may ship to the browser before it is simplified for display.
DISPLAY_VERTICES = 200_000

#: Vertices of the sample the tolerance is searched on, before one pass over the whole layer.
_SAMPLE_VERTICES = 50_000


def vertex_count(gdf: gpd.GeoDataFrame) -> int:
    """All coordinates of a layer's geometries."""
    return int(shapely.get_num_coordinates(gdf.geometry.to_numpy()).sum())


_AREAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
_LINEAR = (shapely.GeometryType.LINESTRING, shapely.GeometryType.LINEARRING, shapely.GeometryType.MULTILINESTRING)


def simplify_keeping_topology(geoms: np.ndarray, tolerance_deg: float) -> np.ndarray:
    """Simplify each geometry without changing its topology, as GEOS' topology-preserving simplifier does.

    Douglas–Peucker runs first, for every geometry at once (an order of magnitude faster); the few
    geometries where it broke topology (a simple line that now crosses itself, a valid polygon that
    is now invalid, a part that collapsed to empty) are simplified again with the
    topology-preserving algorithm.
    """
    fast = shapely.simplify(geoms, tolerance_deg, preserve_topology=False)
    broken = shapely.is_empty(fast) & ~shapely.is_empty(geoms)
    kinds = shapely.get_type_id(geoms)
    areal = np.isin(kinds, _AREAL)
    if areal.any():
        broken[areal] |= ~shapely.is_valid(fast[areal]) & shapely.is_valid(geoms[areal])
    linear = np.isin(kinds, _LINEAR)
    if linear.any():
        candidates = np.flatnonzero(linear & ~broken)
        crossing = candidates[~shapely.is_simple(fast[candidates])]
        broken[crossing[shapely.is_simple(geoms[crossing])]] = True
    if broken.any():
        fast[broken] = shapely.simplify(geoms[broken], tolerance_deg, preserve_topology=True)
    return fast


def _sample(geoms: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Every k-th geometry, so the sample holds about ``_SAMPLE_VERTICES`` vertices."""
    step = max(1, int(counts.sum() // _SAMPLE_VERTICES))
    return geoms[::step]


def _fitting_tolerance(geoms: np.ndarray, budget: float, start: float, ceiling: float) -> float:
    """The smallest tolerance on a doubling ladder from ``start`` whose result fits ``budget`` vertices."""
    tolerance = start
    while tolerance <= ceiling:
        kept = shapely.get_num_coordinates(shapely.simplify(geoms, tolerance, preserve_topology=False)).sum()
        if kept <= budget:
            return tolerance
        tolerance *= 2
    return tolerance


def display_copy(gdf: gpd.GeoDataFrame, *, max_vertices: int = DISPLAY_VERTICES) -> tuple[gpd.GeoDataFrame, float]:
    """A copy within ``max_vertices``, by topology-preserving simplification at a tolerance found for the budget.

    The tolerance is searched on a sample of the layer (every k-th geometry), scaled to the
    sample's share of the vertices, then applied to the whole layer once; only if the whole layer
    still does not fit is the tolerance doubled again. Points are never dropped.

    Returns
    -------
    tuple
        The display copy (the input itself when it already fits) and the tolerance used, in degrees
        (0 when nothing was simplified).
    """
    geoms = gdf.geometry.to_numpy()
    counts = shapely.get_num_coordinates(geoms)
    total = int(counts.sum())
    if total <= max_vertices:
        return gdf, 0.0
    west, south, east, north = gdf.total_bounds
    diagonal = float(np.hypot(east - west, north - south))
    sample = _sample(geoms, counts)
    share = shapely.get_num_coordinates(sample).sum() / total
    tolerance = _fitting_tolerance(sample, 0.9 * max_vertices * share, max(diagonal / max_vertices / 4, 1e-6), diagonal)
    while True:
        simplified = simplify_keeping_topology(geoms, tolerance)
        if int(shapely.get_num_coordinates(simplified).sum()) <= max_vertices or tolerance > diagonal:
            break
        tolerance *= 2
    return gdf.set_geometry(gpd.GeoSeries(simplified, index=gdf.index, crs=gdf.crs)), tolerance
