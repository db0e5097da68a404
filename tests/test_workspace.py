"""The map as a workspace, on the server side: drawings as layers, honest filters, upload colours, page data."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

from layers.catalog import default_catalog
from layers.drawings import Drawing, drawing_from_geojson, drawings_geojson, drawn_frame, drawn_layers
from layers.load import load_layer
from layers.render import layer_payload
from layers.uploads import UPLOAD_COLOURS, upload_colour
from tests.test_app import _open, _run

CATALOG = default_catalog()


@pytest.fixture
def meridian() -> Drawing:
    """One degree of latitude along 80° E: 111.0 km on the WGS84 ellipsoid at 44° N."""
    return Drawing("drawn-1", "Spur", LineString([(80.0, 44.0), (80.0, 45.0)]))


def test_drawn_line__is_measured_on_the_ellipsoid(meridian):
    frame = drawn_frame([meridian])
    assert frame.loc["drawn-1", "measured_km"] == pytest.approx(111.1, abs=0.2)  # not the 3857 length (~155 km)


def test_drawn_area__has_its_geodesic_area(meridian):
    square = Drawing("drawn-2", "Site", Polygon([(80, 44), (81, 44), (81, 45), (80, 45)]))
    frame = drawn_frame([meridian, square])
    assert frame.loc["drawn-2", "area_km2"] == pytest.approx(8_900, rel=0.02)
    assert frame["measured_km"].isna().loc["drawn-2"] and frame["area_km2"].isna().loc["drawn-1"]


@pytest.mark.parametrize(
    "sent",
    [
        None,
        "LINESTRING (0 0, 1 1)",
        {"geometry": None},
        {"geometry": {"type": "LineString", "coordinates": [[0, 0]]}},
        {"geometry": {"type": "LineString", "coordinates": [[0, 0], [500, 1]]}},
        {"geometry": {"type": "GeometryCollection", "geometries": []}},
        {"geometry": {"type": "Point", "coordinates": ["a", "b"]}},
    ],
)
def test_drawing_from_the_map__refuses_what_is_not_a_drawing(sent):
    assert drawing_from_geojson(sent) is None


def test_drawing_from_the_map__takes_a_line():
    sent = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[80, 44], [81, 44.5]]}}
    assert drawing_from_geojson(sent).equals(LineString([(80, 44), (81, 44.5)]))


def test_drawings__one_layer_per_kind_in_colours_no_catalog_layer_uses(meridian):
    point = Drawing("drawn-3", "Depot", Point(79.0, 44.1))
    layers = drawn_layers(drawn_frame([meridian, point]), CATALOG.colours)
    assert [(layer.id, layer.spec.geometry) for layer in layers] == [("drawn_lines", "line"), ("drawn_points", "point")]
    for layer in layers:
        assert {layer.spec.style.colour.upper(), (layer.spec.style.fill_colour or "").upper()} & CATALOG.colours <= {
            "#000000"
        }  # points keep the black ring every point layer has
        assert layer.spec.group == "Your drawings" and not layer.shared
    data = json.loads(layers[0].page_data)
    assert data["ids"] == ["drawn-1"] and "Spur" in json.dumps(data["values"])


def test_drawings_geojson__is_rfc7946_with_names_and_measures(meridian):
    collection = json.loads(drawings_geojson(drawn_frame([meridian])))
    (feature,) = collection["features"]
    assert feature["properties"]["name"] == "Spur" and feature["properties"]["measured_km"] > 110
    assert gpd.GeoDataFrame.from_features(collection["features"]).geometry[0].equals(meridian.geometry)


def test_upload_colours__never_a_built_in_colour():
    for n in range(3 * len(UPLOAD_COLOURS)):
        assert upload_colour(n, CATALOG.colours).upper() not in CATALOG.colours
    everything = {c.upper() for c in UPLOAD_COLOURS}
    assert upload_colour(0, everything).upper() not in everything  # a catalog that took them all


def test_page_data__carries_status_precision_year_and_names():
    spec = CATALOG.get("rail_corridors")
    gdf = load_layer(spec)
    data = json.loads(layer_payload(spec, gdf))
    assert set(data["status"]) <= {"operating", "under construction", "planned", "agreed"}
    assert "schematic" in data["precision"] or "approximate" in data["precision"]
    assert max(y for y in data["year"] if y is not None) >= 2027
    assert any(name for name in data["names"]["zh"])


def test_app__a_drawing_from_the_map_becomes_a_corridor_with_its_report():
    at = _run({"view": "44.0,79.0,7"})
    line = {
        "type": "Feature",
        "properties": {},
        "geometry": shapely.geometry.mapping(LineString([(78, 44), (81, 44.3)])),
    }
    at.session_state["_map_drawings"] = [line]
    at.run()
    assert not at.exception
    assert "drawn-1" in at.session_state["drawings"]
    assert any("km along the line (geodesic, WGS84)" in c.value.replace("\\", "") for c in at.sidebar.caption)
    at.session_state["_map_drawings"] = []  # the rebuilt map holds no drawing of its own: nothing is removed
    at.run()
    assert "drawn-1" in at.session_state["drawings"]
    _open(at, "Corridor")
    assert "Proposed alignment 1" in at.selectbox(key="corridor").options
    at.selectbox(key="corridor").set_value("drawn-1").run()
    assert not at.exception and not at.error
    assert any(m.label == "Border crossings" for m in at.metric)
    assert any(m.label.startswith("Corridor length") and float(m.value.replace(",", "")) > 200 for m in at.metric)
    at.button(key="drawn_remove_drawn-1").click().run()
    assert not at.session_state["drawings"] and at.session_state["corridor"] is None


def test_app__status_options_and_counts_come_from_the_data():
    at = _run()
    status = at.multiselect(key="f_status")
    assert status.options == ["operating (88)", "under construction (6)", "planned (4)", "agreed (1)"]
    at.multiselect(key="f_status").set_value(["agreed"]).run()
    assert any(c.value.startswith("Showing 1 of 99 features") for c in at.caption)


def test_app__an_empty_filter_result_says_so():
    at = _run({"layers": "cities", "status": "planned"})
    assert any("No feature matches the filters" in w.value for w in at.warning)


def test_app__sector_filter_disables_its_toggles_and_metrics_follow_it():
    everything = _run()
    facilities = next(m.value for m in everything.metric if m.label == "Facilities")
    at = _run({"sector": "Energy,Industry,Context"})
    rail = at.checkbox(key="layer_rail_corridors")
    assert rail.disabled and "Sector" in (rail.help or "")
    assert not at.checkbox(key="layer_oil_pipelines").disabled
    assert any(h.value.startswith("Logistics (hidden by the Sector filter)") for h in at.sidebar.subheader)
    assert int(next(m.value for m in at.metric if m.label == "Facilities")) < int(facilities)
    assert any("sectors Energy, Industry, Context" in c.value for c in at.caption)


def test_app__the_table_marks_the_feature_selected_on_the_map():
    at = _run({"layers": "khorgos", "feature": "khorgos-gateway"}, tab="Visible features")
    table = next(df.value for df in at.dataframe)
    marked = table[table[""] == "▶"]
    assert list(marked["name"]) == [next(n for n in table["name"] if "Gateway" in n)]
