"""Geometry kinds: what a feature or a layer is (``point``, ``line`` or ``polygon``), decided in one place."""

from __future__ import annotations

from collections import Counter

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["KINDS", "geometry_kind", "is_kind", "kind_of", "kinds_of", "spot"]

#: The kinds of layer the atlas draws, and the shapely types of each.
KINDS: dict[str, frozenset[int]] = {
    "point": frozenset({shapely.GeometryType.POINT, shapely.GeometryType.MULTIPOINT}),
    "line": frozenset({shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING}),
    "polygon": frozenset({shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON}),
}


def kind_of(geom: shapely.Geometry | None) -> str | None:
    """The kind of one geometry, or ``None`` for a missing geometry or a collection."""
    if geom is None:
        return None
    type_id = shapely.get_type_id(geom)
    return next((kind for kind, ids in KINDS.items() if type_id in ids), None)


def kinds_of(geoms: np.ndarray | gpd.GeoSeries) -> np.ndarray:
    """The kind of each geometry (``""`` for missing geometries and collections), index-aligned."""
    type_ids = shapely.get_type_id(np.asarray(geoms, dtype=object))
    out = np.full(len(type_ids), "", dtype=object)
    for kind, ids in KINDS.items():
        out[np.isin(type_ids, list(ids))] = kind
    return out


def is_kind(geoms: np.ndarray | gpd.GeoSeries, kind: str) -> np.ndarray:
    """Which geometries are of ``kind`` (a boolean array, index-aligned)."""
    return kinds_of(geoms) == kind


def geometry_kind(gdf: gpd.GeoDataFrame) -> str:
    """The layer's kind: the most common kind among its features (``point`` for a layer with none)."""
    counts = Counter(k for k in kinds_of(gdf.geometry.to_numpy()) if k)
    return counts.most_common(1)[0][0] if counts else "point"


def spot(geom: shapely.Geometry) -> shapely.Point:
    """Where a feature is, as one point: a point itself, else a point on its surface (a centroid can fall outside)."""
    return geom if shapely.get_type_id(geom) == shapely.GeometryType.POINT else geom.point_on_surface()
