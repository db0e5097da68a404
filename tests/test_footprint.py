"""Footprints of saved layers: close to every feature, light, and in lon/lat."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

from geo.crs import WGS84
from geo.errors import CRSError
from geo.footprint import FOOTPRINT_TOLERANCE_DEG, footprint


def _frame(*geometries) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": [f"f{n}" for n in range(len(geometries))]}, geometry=list(geometries), crs=WGS84)


def test_footprint__a_winding_line_stays_within_the_tolerance_and_gets_lighter():
    x = np.linspace(76.9, 87.5, 20_001)
    y = 43.25 + 0.3 * np.sin(np.arange(x.size) / 50) + np.linspace(0, 0.6, x.size)
    line = LineString(np.column_stack([x, y]))
    shape = footprint(_frame(line))
    assert shapely.get_num_coordinates(shape) < shapely.get_num_coordinates(line) / 3
    assert shape.hausdorff_distance(line) <= FOOTPRINT_TOLERANCE_DEG * 1.01
    assert shape.buffer(1e-9).covers(Point(x[0], y[0])) and shape.buffer(1e-9).covers(Point(x[-1], y[-1]))


def test_footprint__every_feature_is_kept_small_polygons_and_points_too():
    tiny = Polygon([(80.4, 44.2), (80.4001, 44.2), (80.4001, 44.2001)])  # smaller than the tolerance
    shape = footprint(_frame(Point(119.4, 34.7), tiny, None, LineString([(76.9, 43.2), (77.0, 43.3)])))
    kinds = sorted(part.geom_type for part in shape.geoms)
    assert kinds == ["LineString", "Point", "Polygon"] and not shape.geoms[2].is_empty


def test_footprint__nothing_to_cover_is_none_and_other_crs_are_refused():
    assert footprint(_frame(None)) is None
    with pytest.raises(CRSError, match="EPSG:3857"):
        footprint(_frame(Point(0, 0)).set_crs(3857, allow_override=True))
