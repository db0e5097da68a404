"""Corridor buffers and facility distances: geodesic answers, and membership at the buffer edge."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import LineString, Point

from geo.corridor import corridor_buffer, distance_to_nearest_km
from geo.crs import GEOD


def _points_at(lon: float, lat: float, azimuth: float, distances_km: list[float]) -> gpd.GeoDataFrame:
    pts = []
    for d in distances_km:
        x, y, _ = GEOD.fwd(lon, lat, azimuth, d * 1000)
        pts.append(Point(x, y))
    return gpd.GeoDataFrame(geometry=pts, index=[f"{d:g}km" for d in distances_km], crs=4326)


@pytest.fixture
def meridian_corridor() -> gpd.GeoDataFrame:
    """A north–south line along 80°E from 40°N to 50°N, in the middle of the region."""
    return gpd.GeoDataFrame(geometry=[LineString([(80, 40), (80, 45), (80, 50)])], index=["m"], crs=4326)


def test_distance_to_nearest__geodesic_distance_from_a_meridian(meridian_corridor):
    points = _points_at(80, 45, 90, [10, 49, 51, 200])
    result = distance_to_nearest_km(points, meridian_corridor)
    assert list(result.index) == list(points.index)
    assert result["distance_km"].tolist() == pytest.approx([10, 49, 51, 200], abs=0.05)
    assert set(result["nearest_id"]) == {"m"}


def test_distance_to_nearest__picks_the_closest_line(facility):
    lines = gpd.GeoDataFrame(
        geometry=[LineString([(70, 40), (70, 50)]), LineString([(80.5, 40), (80.5, 50)])],
        index=["far", "near"],
        crs=4326,
    )
    result = distance_to_nearest_km(facility, lines)
    assert result.loc["f", "nearest_id"] == "near"
    assert result.loc["f", "distance_km"] == pytest.approx(7.98, abs=0.05)


def test_corridor_buffer__membership_at_the_edge(meridian_corridor):
    zone = corridor_buffer(meridian_corridor, 50).geometry.iloc[0]
    for azimuth in (90, 270):
        inside, outside = _points_at(80, 45, azimuth, [49, 51]).geometry
        assert zone.contains(inside)
        assert not zone.contains(outside)


def test_corridor_buffer__is_returned_in_wgs84_and_index_aligned(meridian_corridor):
    zones = corridor_buffer(meridian_corridor, 20)
    assert zones.crs.to_epsg() == 4326
    assert list(zones.index) == ["m"]
    assert zones["distance_km"].iloc[0] == 20


def test_corridor_buffer__refuses_non_positive_distance(meridian_corridor):
    with pytest.raises(ValueError, match="positive"):
        corridor_buffer(meridian_corridor, 0)


def test_corridor_report__facilities_km_per_country_and_the_crossing(meridian_corridor):
    from shapely.geometry import box

    from geo.corridor import corridor_report

    inside, outside = _points_at(80, 45, 90, [49, 51]).geometry
    facilities = gpd.GeoDataFrame(
        {"name": ["Depot 49", "Depot 51"]}, geometry=[inside, outside], index=["d49", "d51"], crs=4326
    )
    countries = gpd.GeoDataFrame(
        {"sovereign": ["South", "North"]}, geometry=[box(75, 38, 85, 46), box(75, 46, 85, 52)], crs=4326
    )
    places = gpd.GeoDataFrame({"name": ["Border post"]}, geometry=[Point(80.05, 46.0)], crs=4326)
    lines = meridian_corridor.assign(name="Meridian line")
    report = corridor_report(lines, facilities, countries, 50, places=places)
    assert list(report.facilities.index) == ["d49"]
    assert report.facilities.loc["d49", "distance_km"] == pytest.approx(49, abs=0.05)
    assert report.facilities.loc["d49", "nearest_line"] == "Meridian line"
    km = report.length_by_country.set_index("country")["length_km"]
    assert km["South"] == pytest.approx(GEOD.inv(80, 40, 80, 46)[2] / 1000, rel=1e-6)
    assert km["North"] == pytest.approx(GEOD.inv(80, 46, 80, 50)[2] / 1000, rel=1e-6)
    ((line_id, crossing),) = report.crossings
    assert line_id == "m" and (crossing.from_country, crossing.to_country) == ("South", "North")
    assert crossing.lat == pytest.approx(46.0) and crossing.place == "Border post"
    assert report.buffer.geometry.iloc[0].contains(inside)


def test_corridor_report__another_width_reuses_the_line_facts_and_lists_nearest_first(meridian_corridor):
    """A width change gives the same km and crossings from the facts made once; the facilities nearest first."""
    from shapely.geometry import box

    from geo.corridor import corridor_report, line_facts

    east = _points_at(80, 45, 90, [30, 10, 80])
    west = _points_at(80, 45, 270, [12])
    facilities = gpd.GeoDataFrame(
        {"name": ["E30", "E10", "E80", "W12"]},
        geometry=[*east.geometry, *west.geometry],
        index=["e30", "e10", "e80", "w12"],
        crs=4326,
    )
    countries = gpd.GeoDataFrame(
        {"sovereign": ["South", "North"]}, geometry=[box(75, 38, 85, 46), box(75, 46, 85, 52)], crs=4326
    )
    lines = meridian_corridor.assign(name="Meridian line")
    facts = line_facts(lines, countries)
    for km in (20, 50, 100):
        whole = corridor_report(lines, facilities, countries, km)
        reused = corridor_report(lines, facilities, countries, km, facts=facts)
        assert reused.length_by_country.equals(whole.length_by_country) and reused.crossings == whole.crossings
        assert reused.facilities.equals(whole.facilities)
    assert list(whole.facilities.index) == ["e10", "w12", "e30", "e80"]
    assert whole.facilities["distance_km"].tolist() == pytest.approx([10, 12, 30, 80], abs=0.05)
    assert list(corridor_report(lines, facilities, countries, 20, facts=facts).facilities.index) == ["e10", "w12"]


def test_corridor_buffer__a_line_outside_the_projection_extent_is_refused_by_name():
    from geo.errors import CRSError

    pole = gpd.GeoDataFrame({"name": ["Pole"]}, geometry=[LineString([(76, -90), (81, -90)])], index=["p-1"], crs=4326)
    with pytest.raises(CRSError, match="line 'p-1' leaves lon 10 to 160°E, lat 20 to 60°N"):
        corridor_buffer(pole, 50)


def test_corridor_report__lines_without_a_name_column_are_named_by_id():
    from geo.corridor import corridor_report

    lines = gpd.GeoDataFrame(geometry=[LineString([(80, 44), (80, 46)])], index=["track-1"], crs=4326)
    points = gpd.GeoDataFrame({"name": ["Depot"]}, geometry=[Point(80.2, 45)], index=["d"], crs=4326)
    countries = gpd.GeoDataFrame({"sovereign": ["Kazakhstan"]}, geometry=[Point(80, 45).buffer(5)], crs=4326)
    report = corridor_report(lines, points, countries, 50)
    assert report.facilities["nearest_line"].tolist() == ["track-1"]


def test_distance_to_nearest__a_polygon_whose_centroid_is_off_the_earth_is_measured_from_a_point_on_it():
    crossed = shapely.Polygon([(180, 90), (0, -89.99999), (70, -90), (76.95, 43.25)])  # centroid near (509, 708)
    facilities = gpd.GeoDataFrame({"name": ["x"]}, geometry=[crossed], index=["x"], crs=4326)
    lines = gpd.GeoDataFrame({"name": ["l"]}, geometry=[LineString([(100, 0), (100, 1)])], index=["l"], crs=4326)
    distance = distance_to_nearest_km(facilities, lines)["distance_km"].iloc[0]
    assert 0 < distance < 20_000


def test_possibly_within__never_drops_a_point_that_is_within_the_distance():
    """The degree pre-filter keeps every point whose geodesic distance is within km (and drops far ones).

    The lines have vertices every 0.05° or less, as surveyed routes do (the distance is measured to
    the chords between vertices).
    """
    import numpy as np
    from shapely.geometry import LineString, Point

    from geo.corridor import PIECE_DEG, distance_to_nearest_km, possibly_within
    from geo.crs import WGS84

    rng = np.random.default_rng(3)
    lines = gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=shapely.segmentize(
            [LineString([(60, 40), (75, 45), (90, 43)]), LineString([(100, 30), (110, 58)])], PIECE_DEG
        ),
        crs=WGS84,
        index=["a", "b"],
    )
    points = gpd.GeoDataFrame(
        geometry=[Point(x, y) for x, y in zip(rng.uniform(55, 120, 400), rng.uniform(25, 62, 400), strict=True)],
        crs=WGS84,
    )
    exact = distance_to_nearest_km(points, lines)["distance_km"].to_numpy()
    for km in (10, 50, 200):
        kept = possibly_within(points, lines, km)
        assert kept[exact <= km].all()  # nothing within is dropped
        assert kept.sum() < len(points)  # and it does drop far points


def test_corridor_buffer__simplifying_before_buffering_moves_the_edge_less_than_its_share(monkeypatch):
    import numpy as np

    import geo.corridor as corridor
    from geo.crs import REGION_CRS, WGS84

    x = np.linspace(70, 80, 4001)
    wiggly = LineString(np.column_stack([x, 43 + 0.05 * np.sin(x * 40)]))  # a line with many small bends
    lines = gpd.GeoDataFrame({"name": ["w"]}, geometry=[wiggly], crs=WGS84, index=["w"])
    fast = corridor.corridor_buffer(lines, 50).to_crs(REGION_CRS).geometry.iloc[0]
    monkeypatch.setattr(corridor, "BUFFER_SIMPLIFY_SHARE", 0.0)
    exact = corridor.corridor_buffer(lines, 50).to_crs(REGION_CRS).geometry.iloc[0]
    assert fast.hausdorff_distance(exact) <= 50_000 * 0.002 * 1.05  # metres: within 0.2 % of the width
