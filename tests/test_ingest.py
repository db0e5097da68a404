"""Users' own files: every format, every kind of bad input, named precisely, and repairs reported."""

from __future__ import annotations

import io
import json
import zipfile

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

from geo.errors import CorridorAtlasError, CRSError, LayerReadError, LayerValidationError
from geo.ingest import IngestLimits, ingest


def _geojson(features: list[dict]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def _feature(geometry: dict | None, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


POINT = {"type": "Point", "coordinates": [76.9, 43.2]}


def _write(gdf: gpd.GeoDataFrame, driver: str, suffix: str, tmp_path, **kwargs) -> bytes:
    path = tmp_path / f"data{suffix}"
    gdf.to_file(path, driver=driver, **kwargs)
    return path.read_bytes()


@pytest.fixture
def sample() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["Depot", "Spur"]}, geometry=[Point(76.9, 43.2), LineString([(77, 43), (78, 44)])], crs=4326
    )


def test_geojson__reads_with_ids_and_wgs84():
    layer = ingest("depots.geojson", _geojson([_feature(POINT, name="Depot"), _feature(POINT, name="Other")]))
    assert list(layer.frame.index) == ["depots-1", "depots-2"]
    assert layer.frame.crs.to_epsg() == 4326 and layer.notices == [] and layer.geometry_kind == "point"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.geojson", b"", "the file is empty"),
        ("a.geojson", b'{"type": "FeatureCollection", "features": [', "malformed JSON at line 1, column"),
        ("a.geojson", b'{"hello": 1}', "not GeoJSON"),
        ("a.geojson", _geojson([]), "no features"),
        ("a.txt", b"hello", "not a supported geo file"),
        ("a.gpkg", b"not a geopackage at all", "not a readable .gpkg file"),
        ("a.zip", b"PK not really", "not a valid zip"),
        ("a.csv", b"name,value\nx,1\n", "needs lon and lat columns"),
        ("a.csv", b"name,lon,lat\nx,abc,43\n", "row 2"),
        ("a.csv", b"name,wkt\nx,POINT (1\n", "not WKT"),
    ],
)
def test_unreadable_files__say_what_is_wrong(name, content, message):
    with pytest.raises(LayerReadError, match=message) as caught:
        ingest(name, content)
    assert str(caught.value).startswith(f"{name}: ")


def test_size_limit__refuses_a_file_over_it():
    with pytest.raises(LayerReadError, match="over the 0 MB upload limit"):
        ingest("big.geojson", _geojson([_feature(POINT)]), limits=IngestLimits(max_bytes=100))


@pytest.mark.parametrize(("driver", "suffix"), [("GPKG", ".gpkg"), ("FlatGeobuf", ".fgb"), ("KML", ".kml")])
def test_other_formats__read_alike(tmp_path, sample, driver, suffix):
    layer = ingest(f"mine{suffix}", _write(sample, driver, suffix, tmp_path))
    assert len(layer.frame) == 2 and layer.frame.crs.to_epsg() == 4326
    assert any(g.equals_exact(Point(76.9, 43.2), 1e-6) for g in layer.frame.geometry)


def test_projected_file__is_reprojected_with_a_notice(tmp_path, sample):
    layer = ingest("utm.gpkg", _write(sample.to_crs(32643), "GPKG", ".gpkg", tmp_path))
    assert sorted(n.field for n in layer.notices) == ["crs", "geometry"]  # reprojected; mixed types
    assert any("reprojected from EPSG:32643" in str(n) for n in layer.notices)
    assert layer.frame.geometry.iloc[0].distance(Point(76.9, 43.2)) < 1e-6


def test_file_without_crs__is_refused_not_guessed(tmp_path, sample):
    with pytest.warns(UserWarning, match="crs"):
        content = _write(sample.set_crs(None, allow_override=True), "GPKG", ".gpkg", tmp_path)
    with pytest.raises(CRSError, match="never guessed"):
        ingest("nocrs.gpkg", content)


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _shapefile_parts(tmp_path, gdf) -> dict[str, bytes]:
    folder = tmp_path / "shp"
    folder.mkdir()
    gdf.to_file(folder / "roads.shp")
    return {f"roads/{p.name}": p.read_bytes() for p in folder.iterdir()}


def test_zipped_shapefile__reads_and_needs_its_prj(tmp_path):
    lines = gpd.GeoDataFrame({"name": ["a"]}, geometry=[LineString([(77, 43), (78, 44)])], crs=4326)
    parts = _shapefile_parts(tmp_path, lines)
    assert ingest("roads.zip", _zip(parts)).frame.geometry.iloc[0].length > 1
    no_prj = {k: v for k, v in parts.items() if not k.endswith(".prj")}
    with pytest.raises(CRSError, match=r"no \.prj"):
        ingest("roads.zip", _zip(no_prj))


def test_zip__path_traversal_and_bombs_are_refused():
    with pytest.raises(LayerReadError, match="points outside the archive"):
        ingest("evil.zip", _zip({"../../etc/evil.shp": b"x"}))
    with pytest.raises(LayerReadError, match="zip bomb"):
        ingest("bomb.zip", _zip({"a.shp": b"\0" * 5_000_000}))


def test_csv__lon_lat_and_wkt_columns():
    layer = ingest("sites.csv", b"name,Longitude,Latitude\nA,76.9,43.2\nB,80.4,44.2\n")
    assert list(layer.frame["name"]) == ["A", "B"] and layer.frame.geometry.iloc[1].x == 80.4
    layer = ingest("lines.csv", b'name,wkt\nA,"LINESTRING (77 43, 78 44)"\n')
    assert layer.geometry_kind == "line"


def test_coordinates_out_of_range__are_named_per_feature():
    bad = {"type": "Point", "coordinates": [200.0, 43.0]}
    with pytest.raises(LayerValidationError) as caught:
        ingest("far.geojson", _geojson([_feature(POINT, id="ok"), _feature(bad, id="far")]))
    (problem,) = caught.value.problems
    assert (problem.feature, problem.field) == ("'far'", "geometry") and "(200, 43)" in problem.message


def test_swapped_lon_lat__is_detected():
    swapped = [_feature({"type": "Point", "coordinates": [43.2 + i * 0.1, 76.9]}, id=f"p{i}") for i in range(5)]
    with pytest.raises(LayerValidationError, match="swapped"):
        ingest("swapped.geojson", _geojson(swapped))


def test_invalid_polygon__is_repaired_with_a_notice():
    bowtie = {"type": "Polygon", "coordinates": [[[77, 43], [78, 44], [78, 43], [77, 44], [77, 43]]]}
    layer = ingest("zones.geojson", _geojson([_feature(bowtie, id="z")]))
    assert layer.frame.geometry.iloc[0].is_valid
    assert "Self-intersection" in layer.notices[0].message and layer.notices[0].feature == "'z'"


def test_unsupported_and_missing_geometry__are_named():
    collection = {"type": "GeometryCollection", "geometries": [POINT]}
    with pytest.raises(LayerValidationError) as caught:
        ingest("odd.geojson", _geojson([_feature(collection, id="gc"), _feature(None, id="none")]))
    assert {(p.feature, p.field) for p in caught.value.problems} == {("'gc'", "geometry"), ("'none'", "geometry")}


def test_mixed_types_and_duplicate_ids__are_noticed(sample):
    features = json.loads(sample.assign(id=["same", "same"]).to_json())["features"]
    layer = ingest("mixed.geojson", _geojson(features))
    assert list(layer.frame.index) == ["same", "same~2"]
    assert {n.field for n in layer.notices} == {"id", "geometry"}


def test_huge_vertex_count__is_simplified_for_display_only():
    line = LineString([(77 + i * 1e-4, 43 + (i % 2) * 1e-6) for i in range(20_000)])
    gdf = gpd.GeoDataFrame({"name": ["long"]}, geometry=[line], crs=4326)
    layer = ingest("long.geojson", gdf.to_json().encode(), limits=IngestLimits(display_vertices=1_000))
    assert shapely.get_num_coordinates(layer.frame.geometry.iloc[0]) == 20_000
    assert shapely.get_num_coordinates(layer.display.geometry.iloc[0]) <= 1_000
    assert "full precision" in layer.notices[-1].message


def test_hostile_names_and_keys__are_kept_verbatim():
    props = {"name": "{{ 7*7 }}<script>alert(1)</script>", "{% if 1 %}key{% endif %}": "{# x #}"}
    layer = ingest("hostile.geojson", _geojson([_feature(POINT, **props)]))
    assert layer.frame["name"].iloc[0] == props["name"]
    assert layer.frame["{% if 1 %}key{% endif %}"].iloc[0] == "{# x #}"


def test_polygon_area_layer__kind_is_polygon():
    poly = Polygon([(77, 43), (78, 43), (78, 44), (77, 43)])
    gdf = gpd.GeoDataFrame({"name": ["zone"]}, geometry=[poly], crs=4326)
    assert ingest("zone.geojson", gdf.to_json().encode()).geometry_kind == "polygon"


def test_every_failure_is_a_project_error():
    for name, content in (("x.geojson", b"\xff\xfe"), ("x.kml", b"<kml>"), ("x.fgb", b"fgb?")):
        with pytest.raises(CorridorAtlasError):
            ingest(name, content)


def test_temporary_files__are_removed_after_success_and_failure(tmp_path, monkeypatch, sample):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ingest("ok.gpkg", _write(sample, "GPKG", ".gpkg", tmp_path))
    with pytest.raises(CorridorAtlasError):
        ingest("bad.gpkg", b"not a geopackage")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("corridor-atlas-upload-")]
    assert (
        ingest("ok.gpkg", _write(sample, "GPKG", ".gpkg", tmp_path)).digest
        == ingest("again.gpkg", (tmp_path / "data.gpkg").read_bytes()).digest
    )  # the same bytes are the same layer


def test_damaged_flatgeobuf__says_damaged_not_the_readers_inner_error(tmp_path, sample):
    path = tmp_path / "good.fgb"
    sample.to_file(path, driver="FlatGeobuf")
    data = path.read_bytes()
    with pytest.raises(LayerReadError) as caught:
        ingest("cut.fgb", data[: len(data) // 2] + b"\x00" * 50)
    assert str(caught.value).startswith("cut.fgb: not a readable .fgb file")
    assert "index" not in str(caught.value) and "/tmp" not in str(caught.value)


def test_polygon_the_antimeridian_library_cannot_split__is_refused_with_the_feature_named():
    """A self-crossing ring reaching -180° trips an assertion inside ``antimeridian``: the user gets a message."""
    import json

    import pytest

    from geo.errors import LayerValidationError
    from geo.ingest import ingest

    ring = [[80.3, 44.2], [-180.0, 38.0], [76.95, 43.0], [80.3, 44.2], [77.2, 43.25], [76.95, 43.25], [80.3, 44.2]]
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "odd"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
    ]}  # fmt: skip
    with pytest.raises(LayerValidationError) as err:
        ingest("fuzz.geojson", json.dumps(doc).encode())
    assert "odd" in str(err.value) and "antimeridian" in str(err.value)
