"""Column types decided once at ingest: known fields coerced or reported, every other column one type."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.columns import ColumnType, type_columns
from geo.ingest import ingest


@pytest.fixture
def mixed() -> gpd.GeoDataFrame:
    """Three depots whose properties are what users really bring: gaps, text in numbers, odd lists."""
    return gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c"],
            "name": ["Depot A", None, "Depot C"],
            "year": ["2015", "next year", None],
            "investment_usd": [1.5e8, "lots", None],
            "sources": [
                [{"title": "Operator", "url": "https://example.org/a"}],
                "Reuters, 12 May 2015",
                [{"url": "javascript:alert(1)"}, {"title": "Ministry", "url": "ftp://x"}],
            ],
            "aliases": [["Dépôt A"], "B-depot", None],
            "layer": ["x", "y", "z"],
            "open": [True, False, None],
            "meta": [{"k": 1}, None, [1, 2]],
            "score": [1, 2.5, None],
        },
        geometry=[Point(80, 45), Point(81, 45), Point(82, 45)],
        crs=4326,
    )


def test_type_columns__known_numbers_are_coerced_and_bad_values_reported(mixed):
    typed = type_columns(mixed, file="depots.geojson")
    frame = typed.frame
    assert frame["year"].dtype == "Int64" and frame["year"].tolist()[0] == 2015
    assert frame["year"].isna().tolist() == [False, True, True]
    assert frame["investment_usd"].dtype == "float64" and frame["investment_usd"].iloc[0] == 1.5e8
    assert pd.isna(frame["investment_usd"].iloc[1])
    assert frame["year (as given)"].iloc[1] == "next year"  # kept as text, not used on the timeline
    notices = {n.field: n for n in typed.notices}
    assert notices["year"].feature == "'b'" and "not a year" in notices["year"].message
    assert "'lots'" in notices["investment_usd"].message


def test_type_columns__sources_always_a_list_of_titled_dicts_with_http_links_only(mixed):
    typed = type_columns(mixed, file="depots.geojson")
    sources = typed.frame["sources"].tolist()
    assert sources[0][0]["title"] == "Operator" and sources[0][0]["url"] == "https://example.org/a"
    bare = dict.fromkeys(("url", "publisher", "date", "note", "retrieved_via"))
    assert sources[1] == [{"title": "Reuters, 12 May 2015", **bare}]
    assert [s["title"] for s in sources[2]] == ["Ministry"] and sources[2][0]["url"] is None
    assert any(n.field == "sources" for n in typed.notices)
    assert typed.types["sources"] is ColumnType.SOURCES


def test_type_columns__other_columns_get_one_type_each(mixed):
    typed = type_columns(mixed, file="depots.geojson")
    frame = typed.frame
    assert frame["aliases"].tolist() == [["Dépôt A"], ["B-depot"], []]
    assert frame["open"].tolist()[:2] == ["true", "false"] and pd.isna(frame["open"].iloc[2])
    assert json.loads(frame["meta"].iloc[0]) == {"k": 1} and frame["meta"].iloc[2] == "[1, 2]"
    assert typed.types["score"] is ColumnType.NUMBER and frame["score"].dtype == "float64"
    assert typed.types["open"] is ColumnType.TEXT and typed.types["meta"] is ColumnType.TEXT
    for column, kind in typed.types.items():
        if kind is ColumnType.TEXT:
            assert all(isinstance(v, str) or pd.isna(v) for v in frame[column].tolist()), column


def test_type_columns__a_column_named_like_the_atlas_own_is_renamed(mixed):
    typed = type_columns(mixed, file="depots.geojson")
    assert "layer" not in typed.frame.columns and typed.frame["layer (file)"].tolist() == ["x", "y", "z"]
    assert any(n.field == "layer" and "renamed" in n.message for n in typed.notices)


def test_ingest__a_number_missing_on_some_features_reads_as_missing_not_text():
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": "a", "capacity_value": 3}, "geometry": None},
            {"type": "Feature", "properties": {"name": "b"}, "geometry": None},
        ],
    }
    for feature, lon in zip(doc["features"], (80, 81), strict=True):
        feature["geometry"] = {"type": "Point", "coordinates": [lon, 45]}
    layer = ingest("gaps.geojson", json.dumps(doc).encode())
    assert layer.frame["capacity_value"].dtype == "float64"
    assert layer.frame["capacity_value"].iloc[0] == 3 and pd.isna(layer.frame["capacity_value"].iloc[1])
    assert layer.column_types["capacity_value"] is ColumnType.NUMBER


def test_ingest__a_kml_saved_by_google_earth_reads_with_typed_columns(tmp_path):
    kml = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">
<Document><name>My places.kml</name>
<Style id="s"><IconStyle><scale>1.1</scale></IconStyle></Style>
<Folder><name>Depots</name>
<Placemark><name>Depot</name><styleUrl>#s</styleUrl>
<Point><gx:drawOrder>1</gx:drawOrder><coordinates>82.5,45.1,0</coordinates></Point></Placemark>
<Placemark><name>Track</name><description><![CDATA[<b>bold</b> & more]]></description>
<LineString><tessellate>1</tessellate><coordinates>80,44,0 81,44.5,0</coordinates></LineString></Placemark>
</Folder></Document></kml>"""
    layer = ingest("My places.kml", kml.encode())
    assert len(layer.frame) == 2
    for column, kind in layer.column_types.items():
        values = layer.frame[column]
        if kind is ColumnType.TEXT:
            assert all(isinstance(v, str) or pd.isna(v) for v in values.tolist()), column
        elif kind in (ColumnType.NUMBER, ColumnType.INTEGER):
            assert pd.api.types.is_numeric_dtype(values.dtype), column
    assert layer.frame["description"].iloc[1] == "<b>bold</b> & more"


def test_ingest__a_ring_valid_in_its_crs_but_crossed_in_wgs84_is_repaired_after_reprojection():
    ring = [[20037508.34, 242528680.9], [0.0, -103672149.8], [7792364.4, -242528680.9], [8566034.8, 5350102.1]]
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "x"},
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
            }
        ],
    }
    layer = ingest("mercator.geojson", json.dumps(doc).encode())
    assert layer.frame.geometry.is_valid.all()
    assert any(n.feature == "'x'" and "repaired with make_valid" in n.message for n in layer.notices)


def test_ingest__a_mixed_geojson_column_gets_one_notice_from_the_atlas_not_the_readers_warning():
    features = [
        {"type": "Feature", "properties": {"id": "a", "year": "next year"}, "geometry": None},
        {"type": "Feature", "properties": {"id": "b", "year": 2001}, "geometry": None},
    ]
    for feature, lon in zip(features, (80, 81), strict=True):
        feature["geometry"] = {"type": "Point", "coordinates": [lon, 45]}
    layer = ingest("t.geojson", json.dumps({"type": "FeatureCollection", "features": features}).encode())
    assert [str(n) for n in layer.notices] == [
        "t.geojson: feature 'a': year: 'next year' is not a year from 1800 to 2200: "
        "kept as text in 'year (as given)', not used on the timeline"
    ]


def test_type_columns__control_characters_are_dropped_from_text():
    frame = gpd.GeoDataFrame({"id": ["a"], "name": ["Depot\x07\x7f A\tB"]}, geometry=[Point(80, 45)], crs=4326)
    assert type_columns(frame, file="x.geojson").frame["name"].iloc[0] == "Depot A\tB"
