"""Reading and validating layer files: one error that names the file, the feature and the field."""

from __future__ import annotations

import json

import pytest

from geo.errors import CRSError, LayerReadError, LayerValidationError
from geo.io import read_layer
from geo.schema import LINE_TYPES, POINT_TYPES
from tests.conftest import feature, line, point


def test_read_layer__normalises_a_good_file(write_layer):
    path = write_layer(
        [
            feature("a", line((70, 45), (71, 45)), aliases=["Alpha", "Α"], investment_usd=1.5e8),
            feature("b", line((71, 45), (72, 46)), year=None, operator=None),
        ]
    )
    gdf = read_layer(path, geometry_types=LINE_TYPES)
    assert list(gdf.index) == ["a", "b"]
    assert gdf.crs.to_epsg() == 4326
    assert gdf.loc["a", "aliases"] == ["Alpha", "Α"]
    assert gdf.loc["a", "sources"][0]["url"] == "https://example.org/source"
    assert str(gdf["year"].dtype) == "Int64"
    assert gdf.loc["a", "year"] == 2006


def test_read_layer__reports_every_problem_with_file_feature_and_field(write_layer):
    path = write_layer(
        [
            feature("good", line((70, 45), (71, 45))),
            feature("no-name", line((70, 45), (71, 45)), name=None),
            feature("bad-status", line((70, 45), (71, 45)), status="finished"),
            feature("far", line((70, 95), (71, 45))),
            feature("pt", point(70, 45)),
            feature("dup", line((70, 45), (71, 45))),
            feature("dup", line((70, 46), (71, 46)), sources=[{"title": "x", "url": "javascript:alert(1)"}]),
            feature(None, line((70, 45), (71, 45)), location_precision="rough"),
        ],
        name="pipelines.geojson",
    )
    with pytest.raises(LayerValidationError) as caught:
        read_layer(path, geometry_types=LINE_TYPES)
    err = caught.value
    found = {(p.feature, p.field) for p in err.problems}
    assert ("'no-name'", "name") in found
    assert ("'bad-status'", "status") in found
    assert ("'far'", "geometry") in found
    assert ("'pt'", "geometry") in found
    assert ("'dup'", "id") in found
    assert ("'dup'", "sources[0].url") in found
    assert ("#7", "id") in found
    assert ("#7", "location_precision") in found
    assert all(p.path.endswith("pipelines.geojson") for p in err.problems)
    text = str(err)
    assert "pipelines.geojson" in text and "'bad-status'" in text and "finished" in text
    assert not any(p.feature == "'good'" for p in err.problems)


def test_read_layer__invalid_geometry_is_named(write_layer):
    bowtie = {"type": "Polygon", "coordinates": [[[70, 45], [71, 46], [71, 45], [70, 46], [70, 45]]]}
    path = write_layer([feature("zone", bowtie)])
    with pytest.raises(LayerValidationError, match=r"'zone': geometry: is invalid: Self-intersection"):
        read_layer(path, geometry_types={"Polygon"})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("{not json", "not a readable geodata file"),
        ("just some text", "not a readable geodata file"),
    ],
)
def test_read_layer__unreadable_files_name_the_file(write_layer, content, message):
    path = write_layer(content, name="broken.geojson")
    with pytest.raises(LayerReadError, match=message) as caught:
        read_layer(path, geometry_types=POINT_TYPES)
    assert "broken.geojson" in str(caught.value)


def test_read_layer__missing_file(tmp_path):
    with pytest.raises(LayerReadError, match="file not found"):
        read_layer(tmp_path / "nope.geojson", geometry_types=POINT_TYPES)


def test_read_layer__empty_collection_is_a_validation_problem(write_layer):
    with pytest.raises(LayerValidationError, match="no features"):
        read_layer(write_layer([]), geometry_types=POINT_TYPES)


def test_read_layer__refuses_a_non_wgs84_crs_instead_of_guessing(write_layer):
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    path = write_layer([feature("a", point(8900000, 5600000))], name="mercator.geojson", crs=crs)
    with pytest.raises(CRSError, match=r"mercator\.geojson.*EPSG:3857.*reproject"):
        read_layer(path, geometry_types=POINT_TYPES)


def test_read_layer__refuses_a_file_without_crs(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    path = tmp_path / "nocrs.gpkg"
    with pytest.warns(UserWarning, match="crs"):
        gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(70, 45)]).to_file(path, driver="GPKG")
    with pytest.raises(CRSError, match=r"nocrs\.gpkg.*no CRS"):
        read_layer(path, geometry_types=POINT_TYPES)


def test_problem_messages_are_single_lines_per_problem(write_layer):
    path = write_layer([feature("a", point(70, 45), status="x", kind="")])
    with pytest.raises(LayerValidationError) as caught:
        read_layer(path, geometry_types=POINT_TYPES)
    lines = str(caught.value).splitlines()
    assert lines[0].endswith("2 problem(s) found:")
    assert len(lines) == 3
    json.dumps([str(p) for p in caught.value.problems])
