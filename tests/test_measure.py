"""Known answers for geodesic lengths, areas and per-country splits."""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
from shapely.geometry import LineString, box

from geo.display import vertex_count
from geo.errors import CRSError
from geo.measure import area_km2, geodesic_length_km, length_by_country_km

WGS84_A = 6378137.0
WGS84_F = 1 / 298.257223563


def test_geodesic_length__one_degree_longitude_on_equator(equator_line):
    length = geodesic_length_km(equator_line)
    assert length.name == "length_km"
    assert list(length.index) == ["eq"]
    assert length["eq"] == pytest.approx(111.31949, abs=1e-4)


def test_geodesic_length__one_degree_latitude_from_equator():
    gdf = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (0, 1)])], crs=4326)
    # meridian arc 0°→1° on WGS84 is 110.574 km
    assert geodesic_length_km(gdf).iloc[0] == pytest.approx(110.574, abs=1e-3)


def test_geodesic_length__differs_from_web_mercator_at_corridor_latitude():
    gdf = gpd.GeoDataFrame(geometry=[LineString([(80, 45), (81, 45)])], crs=4326)
    true_km = geodesic_length_km(gdf).iloc[0]
    mercator_km = gdf.to_crs(3857).length.iloc[0] / 1000
    assert true_km == pytest.approx(78.85, abs=0.05)
    assert mercator_km / true_km > 1.4  # what a planar Web Mercator length would get wrong


def test_geodesic_length__refuses_missing_or_projected_crs(equator_line):
    with pytest.raises(CRSError, match="no CRS"):
        geodesic_length_km(equator_line.set_crs(None, allow_override=True))
    with pytest.raises(CRSError, match="EPSG:4326"):
        geodesic_length_km(equator_line.to_crs(3857))


def _zone_area_km2(lat_deg: float) -> float:
    """Ellipsoidal area from the equator to a latitude, all longitudes (independent closed form)."""
    b = WGS84_A * (1 - WGS84_F)
    e = math.sqrt(2 * WGS84_F - WGS84_F**2)
    s = math.sin(math.radians(lat_deg))
    term = s / (1 - e**2 * s**2) + (1 / (2 * e)) * math.log((1 + e * s) / (1 - e * s))
    return math.pi * b**2 * term / 1e6


def test_area_km2__one_degree_cell_at_equator_matches_closed_form():
    gdf = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=4326)
    expected = _zone_area_km2(1.0) / 360
    # The closed form bounds the cell by the 1°N parallel; the polygon's edge there is a geodesic,
    # which bows slightly poleward, so the two agree to a few parts in 1e5, not exactly.
    assert area_km2(gdf).iloc[0] == pytest.approx(expected, rel=5e-5)
    assert expected == pytest.approx(12308.8, abs=1)


def test_length_by_country__splits_at_border_and_sums_to_total(two_countries):
    lines = gpd.GeoDataFrame(geometry=[LineString([(0.5, 0), (1.5, 0)])], index=["x"], crs=4326)
    split = length_by_country_km(lines, two_countries).set_index("country")["length_km"]
    assert split["West"] == pytest.approx(111.31949 / 2, abs=1e-3)
    assert split["East"] == pytest.approx(111.31949 / 2, abs=1e-3)
    assert split.sum() == pytest.approx(geodesic_length_km(lines).iloc[0], rel=1e-9)


def test_length_by_country__length_outside_every_country_is_reported(two_countries):
    lines = gpd.GeoDataFrame(geometry=[LineString([(1.5, 0), (2.5, 0)])], index=["x"], crs=4326)
    split = length_by_country_km(lines, two_countries).set_index("country")["length_km"]
    assert split["East"] == pytest.approx(111.31949 / 2, abs=1e-3)
    assert split["(no country)"] == pytest.approx(111.31949 / 2, abs=1e-3)


def test_display_copy__fits_the_budget_and_leaves_analytics_at_full_precision():
    import numpy as np

    from geo.display import display_copy, vertex_count

    rng = np.random.default_rng(7)
    steps = rng.normal(0, 0.01, size=(50_000, 2)).cumsum(axis=0) + np.array([75.0, 45.0])
    full = gpd.GeoDataFrame(geometry=[LineString(steps)], index=["walk"], crs=4326)
    before = geodesic_length_km(full)
    display, tolerance = display_copy(full, max_vertices=5_000)
    assert vertex_count(display) <= 5_000 < vertex_count(full)
    assert tolerance > 0 and list(display.index) == ["walk"]
    assert geodesic_length_km(full).equals(before)  # the full data is untouched
    assert display.geometry.iloc[0].hausdorff_distance(full.geometry.iloc[0]) <= 2 * tolerance
    small, none = display_copy(full, max_vertices=100_000)
    assert small is full and none == 0.0


def test_display_copy__keeps_a_simple_line_simple_where_douglas_peucker_alone_would_cross_it():
    import numpy as np
    import shapely

    from geo.display import simplify_keeping_topology

    line = shapely.affinity.translate(
        shapely.affinity.scale(LineString([(7, 6), (3, 5), (8, 7), (7, 5), (5, 4), (6, 2)]), 0.1, 0.1, origin=(0, 0)),
        75,
        45,
    )
    assert line.is_simple and not shapely.simplify(line, 0.1, preserve_topology=False).is_simple
    kept = simplify_keeping_topology(np.array([line]), 0.1)[0]
    assert kept.is_simple
    assert kept.hausdorff_distance(line) <= 0.1


@pytest.fixture
def line_layer_big() -> gpd.GeoDataFrame:
    """Three winding 10,000-vertex lines in Kazakhstan, with the catalog's required properties."""
    import numpy as np

    rng = np.random.default_rng(5)
    ids = ["a", "b", "c"]
    lines = []
    for i in range(3):
        heading = rng.normal(0, 0.05, 10_000).cumsum()
        steps = np.column_stack([np.cos(heading), np.sin(heading)]) * 0.002
        lines.append(LineString(steps.cumsum(axis=0) + np.array([70.0 + 3 * i, 45.0])))
    return gpd.GeoDataFrame({"id": ids, "name": ids, "status": "planned"}, geometry=lines, index=ids, crs=4326)


def test_layer_payload__ships_within_budget_and_leaves_the_layer_for_analytics_untouched(line_layer_big):
    import json

    from geo.corridor import corridor_buffer
    from layers.catalog import default_catalog
    from layers.render import layer_payload

    spec = default_catalog().get("rail_corridors")
    lengths, buffer_area = geodesic_length_km(line_layer_big), area_km2(corridor_buffer(line_layer_big, 50)).sum()
    data = json.loads(layer_payload(spec, line_layer_big, max_vertices=20_000))
    shipped = len(data["geometry"]["coords"]) // 2
    assert shipped <= 20_000 < vertex_count(line_layer_big)
    assert data["ids"] == list(line_layer_big["id"])
    assert geodesic_length_km(line_layer_big).equals(lengths)  # analytics still see every vertex
    assert area_km2(corridor_buffer(line_layer_big, 50)).sum() == buffer_area
