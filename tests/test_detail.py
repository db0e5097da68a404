"""Full detail by zoom: levels within a pixel of the full lines, the view's part found, and its page data."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import orjson
import pytest
import shapely

from geo.crs import to_mercator
from geo.detail import base_error_px, detail_pyramid, metres_per_pixel
from geo.display import display_copy
from geo.errors import CRSError
from geo.filters import Filters
from layers.detail import (
    MOST_PX,
    DetailRequest,
    detail_answer,
    detail_call,
    detail_request,
    detail_source,
    drawn_frame,
    parsed_request,
)
from layers.layer import Layer
from layers.uploads import upload_spec

#: The bend: a 300 m detour off a line running east along 42° N, at 80.0° E.
BEND = (80.0, 42.0 + 0.0027)


def _wiggly(rng: np.random.Generator, start: tuple[float, float], vertices: int) -> np.ndarray:
    """A traced-route-like walk: ~1 km a vertex on a slowly turning heading, with ~50 m of jitter."""
    heading = rng.uniform(0, 2 * math.pi) + rng.normal(0, 0.05, vertices).cumsum()
    steps = np.column_stack([np.cos(heading), np.sin(heading)]) * 0.01
    return np.asarray(start) + steps.cumsum(axis=0) + rng.normal(0, 0.0005, (vertices, 2))


@pytest.fixture(scope="module")
def network() -> gpd.GeoDataFrame:
    """Thirty wiggly lines of 2,000 vertices, and one straight line along 42° N with a 300 m bend at 80° E."""
    rng = np.random.default_rng(7)
    walks = [_wiggly(rng, (rng.uniform(70, 90), rng.uniform(38, 48)), 2_000) for _ in range(30)]
    xs = np.linspace(79.5, 80.5, 201)
    straight = np.column_stack([xs, np.full_like(xs, 42.0)])
    at = int(np.argmin(np.abs(xs - BEND[0])))
    straight[at, 1] = BEND[1]
    lines = [*map(shapely.linestrings, walks), shapely.linestrings(straight)]
    ids = [f"line-{i}" for i in range(len(lines) - 1)] + ["bent"]
    return gpd.GeoDataFrame({"id": ids, "name": ids}, geometry=lines, index=ids, crs=4326)


@pytest.fixture(scope="module")
def simplified(network: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, float]:
    """The display copy within 5,000 vertices (the app's budget is 200,000; the layer here is small)."""
    return display_copy(network, max_vertices=5_000)


def _px(geom: shapely.Geometry, zoom: int) -> shapely.Geometry:
    """A lon/lat geometry in screen pixels of ``zoom`` (Web Mercator metres over metres per pixel)."""
    merc = shapely.transform(geom, lambda xy: np.column_stack(to_mercator().transform(xy[:, 0], xy[:, 1])))
    return shapely.affinity.scale(merc, 1 / metres_per_pixel(zoom), 1 / metres_per_pixel(zoom), origin=(0, 0))


def test_the_simplified_copy_drops_the_bend_and_the_zoom_14_detail_draws_it(network, simplified) -> None:
    display, tolerance = simplified
    pyramid = detail_pyramid(network, tolerance)
    assert pyramid is not None
    apex = shapely.Point(BEND)
    assert _px(display.loc["bent"].geometry, 14).distance(_px(apex, 14)) > 20  # a chord, 30+ px off the bend
    piece = pyramid.piece(14, (79.98, 41.99, 80.02, 42.01))
    assert piece is not None
    bent = network.index.get_loc("bent")
    drawn = shapely.union_all(piece.lines[piece.features == bent])
    assert _px(drawn, 14).distance(_px(apex, 14)) < 1.0


@pytest.mark.parametrize("zoom", [5, 7, 9, 11, 13, 15])
def test_every_vertex_of_the_full_lines_is_within_a_pixel_of_what_is_drawn(network, simplified, zoom) -> None:
    pyramid = detail_pyramid(network, simplified[1])
    area = (72.0, 39.0, 88.0, 47.0) if zoom < 10 else (79.6, 41.8, 80.4, 42.2)
    piece = pyramid.piece(zoom, area)
    if piece is None:  # the display copy draws this zoom within a pixel
        assert base_error_px(simplified[1], 48.5, zoom) <= 1.0
        return
    inner = shapely.box(area[0] + 0.05, area[1] + 0.05, area[2] - 0.05, area[3] - 0.05)
    for position, geometry in enumerate(network.geometry):
        vertices = shapely.intersection(shapely.points(shapely.get_coordinates(geometry)), inner)
        vertices = vertices[~shapely.is_empty(vertices)]
        if len(vertices) == 0:
            continue
        drawn = shapely.union_all(piece.lines[piece.features == position])
        far = max(_px(drawn, zoom).distance(_px(vertex, zoom)) for vertex in vertices)
        assert far < 1.0, f"{network.index[position]} strays {far:.2f} px at zoom {zoom}"


def test_the_levels_hold_at_most_twice_the_layer_and_the_view_gets_only_its_part(network, simplified) -> None:
    pyramid = detail_pyramid(network, simplified[1])
    full = int(shapely.get_num_coordinates(network.geometry.to_numpy()).sum())
    assert sum(level.vertices for level in pyramid.levels) <= 2 * full + len(network)
    whole = pyramid.piece(16, (60.0, 30.0, 100.0, 55.0))
    small = pyramid.piece(16, (79.99, 41.995, 80.01, 42.005))
    assert shapely.get_num_coordinates(small.lines).sum() < shapely.get_num_coordinates(whole.lines).sum() / 100


def test_layers_that_fit_or_are_not_lines_get_no_levels(network) -> None:
    assert detail_pyramid(network, 0.0) is None  # nothing was simplified
    points = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(80, 42)], crs=4326)
    assert detail_pyramid(points, 0.01) is None
    with pytest.raises(CRSError, match="EPSG:4326"):
        detail_pyramid(network.to_crs(3857), 0.01)


def _layer(network: gpd.GeoDataFrame, simplified: tuple[gpd.GeoDataFrame, float]) -> Layer:
    display, tolerance = simplified
    return Layer(
        upload_spec("up_net", "Network", "line", 0),
        network,
        display,
        "up_net",
        shared=False,
        detail=detail_pyramid(network, tolerance),
    )


def test_the_answer_names_each_line_by_its_place_in_the_filtered_layer(network, simplified) -> None:
    layer = _layer(network, simplified)
    request = detail_request((79.99, 41.995, 80.01, 42.005), 14.0)
    whole = detail_answer(layer, "feature_group_1", request)
    assert whole is not None and set(whole["features"].tolist()) == {network.index.get_loc("bent")}
    shown = layer._subset(network.index.isin(["line-3", "bent"]), Filters(("operating",), None))
    filtered = detail_answer(shown, "feature_group_1", request)
    assert filtered["features"].tolist() == [1] * len(filtered["features"])  # "bent" is the second shown
    assert filtered["key"] != whole["key"]
    low = detail_answer(layer, "feature_group_1", detail_request((60.0, 35.0, 100.0, 50.0), 3.0))
    assert low == {"group": "feature_group_1", "from": layer.detail.base_zoom + 1}  # the simplified copy will do
    assert filtered["zoom"] >= 14 and filtered["bounds"] == list(request.area)


def test_the_page_is_told_where_to_fetch_each_layers_detail_and_from_which_zoom(network, simplified) -> None:
    layer = _layer(network, simplified)
    text = detail_call([detail_source(layer, "feature_group_1", "/_atlas/data/abc</script>")])
    assert text.startswith("CorridorAtlas.detail(window.map, [") and "</" not in text  # safe inside a script
    payload = orjson.loads(text.removeprefix("CorridorAtlas.detail(window.map, ").removesuffix(");"))
    assert payload == [
        {
            "group": "feature_group_1",
            "from": layer.detail.base_zoom + 1,
            "url": "/_atlas/data/abc</script>",
            "pad": 0.25,
        }
    ]


def test_a_page_query_is_read_as_a_zoom_and_an_area() -> None:
    assert parsed_request({"z": "14", "bbox": "79.99,41.995,80.01,42.005"}) == DetailRequest(
        14, (79.99, 41.995, 80.01, 42.005)
    )
    assert parsed_request({"z": "0", "bbox": "-180,-85,180,85"}).zoom == 0  # the whole world, zoomed out


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"bbox": "79,41,80,42"}, "z must be a whole zoom"),
        ({"z": "12.5", "bbox": "79,41,80,42"}, "z must be a whole zoom"),
        ({"z": "21", "bbox": "79,41,80,42"}, "z must be a whole zoom from 0 to 19; got 21"),
        ({"z": "12"}, "bbox must be four numbers"),
        ({"z": "12", "bbox": "79,41,80"}, "bbox must be four numbers"),
        ({"z": "12", "bbox": "79,41,nan,42"}, "bbox must be four numbers"),
        ({"z": "12", "bbox": "80,41,79,42"}, "west < east"),
        ({"z": "12", "bbox": "79,41,80,89"}, "south < north within ±85"),
        ({"z": "19", "bbox": "70,35,90,50"}, f"at most {MOST_PX:,}"),  # the whole network at the finest level
    ],
)
def test_a_wrong_page_query_is_refused_with_what_is_wrong(query, message) -> None:
    with pytest.raises(ValueError, match=message):
        parsed_request(query)


def test_a_request_is_kept_while_it_covers_the_view_and_the_zoom() -> None:
    first = detail_request((80.0, 42.0, 80.2, 42.1), 12.0)
    assert first.area == pytest.approx((79.95, 41.975, 80.25, 42.125))
    assert detail_request((80.05, 42.02, 80.25, 42.12), 12.0) is not None
    assert detail_request((80.05, 42.02, 80.25, 42.12), 12.0, first) is first  # a small pan: the same answer
    assert detail_request((80.05, 42.02, 80.25, 42.12), 13.0, first) is not first  # zoomed in: a finer level
    assert detail_request((80.4, 42.0, 80.6, 42.1), 12.0, first) is not first  # panned away
    assert detail_request((-181.0, -90.0, 181.0, 90.0), 0.5).area == (-180.0, -85.0, 180.0, 85.0)


def test_a_snapshot_of_the_bend_draws_it_from_the_detail(network, simplified) -> None:
    from layers.snapshot import SnapshotRequest, make_snapshot
    from tests.conftest import snapshot_data

    layer = _layer(network, simplified)
    bounds = (79.97, 41.99, 80.03, 42.01)
    drawn = drawn_frame(layer, bounds, 15.0)
    assert drawn.index.is_unique and "bent" in drawn.index and drawn.loc["bent", "name"] == "bent"
    assert _px(drawn.loc["bent"].geometry, 15).distance(_px(shapely.Point(BEND), 15)) < 1.0
    assert drawn_frame(layer, bounds, 3.0) is layer.display  # zoomed out: the display copy will do
    request = SnapshotRequest(layers=("up_net",), bbox=bounds, width_px=800, height_px=450, dpi=100)
    with_detail = make_snapshot(request, snapshot_data(layer)).content
    without = Layer(layer.spec, layer.frame, layer.display, layer.key, shared=False)  # no levels of detail
    chords = make_snapshot(request, snapshot_data(without)).content
    assert with_detail != chords  # the PNG is drawn from the detail, not the chord
