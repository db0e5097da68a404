"""The page script in Chromium: geometry decoded exactly, popups escaped, dense points clustered."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon

from layers.assets import atlas_js_uri, leaflet_js_uri
from layers.catalog import Basemap, BasemapPart, LayerSpec
from layers.elements import DataURL
from layers.payload import layer_data
from layers.render import DENSE_POINTS, build_map, layer_payload, text_content
from layers.style import Style

pytestmark = pytest.mark.browser

EMPTY_BASEMAP = Basemap(title="Offline basemap", background="#ddd", attribution="", parts=())
HOSTILE_NAME = "<img src=x onerror=alert(1)>{{ 7*7 }} & 'quoted'"

RING = [(70.123456, 40.1), (71.2, 40.1), (71.2, 41.7), (70.123456, 41.7), (70.123456, 40.1)]
HOLE = [(70.5, 40.5), (70.8, 40.5), (70.8, 40.9), (70.5, 40.5)]
KINDS = {
    "points": [Point(75.123456789, 45.987654321), Point(-10.5, -20.25)],
    "multipoints": [MultiPoint([(80, 40), (81.000004, 40.000006)])],
    "lines": [LineString([(70, 45), (70.5, 45.25), (71, 45)]), LineString([(100.00001, 30), (101, 31.99999)])],
    "multilines": [
        MultiLineString([[(60, 50), (61, 51)], [(62, 52), (63, 53), (64, 52)]]),
        LineString([(1, 1), (2, 2)]),
    ],
    "polygons": [Polygon(RING, [HOLE]), Polygon([(0, 0), (1, 0), (1, 1), (0, 0)])],
    "multipolygons": [MultiPolygon([Polygon(RING), Polygon([(0, 0), (1, 0), (1, 1), (0, 0)])])],
    "mixed": [Point(75, 45), LineString([(70, 45), (71, 46)])],
}


def _script_page(page, tmp_path: Path) -> None:
    path = tmp_path / "script.html"
    path.write_text(
        f'<!DOCTYPE html><html><head><script src="{leaflet_js_uri()}"></script>'
        f'<script src="{atlas_js_uri()}"></script></head><body></body></html>',
        encoding="utf-8",
    )
    page.goto(path.as_uri())


@pytest.mark.parametrize("kind", KINDS)
def test_page_script__decodes_each_geometry_kind_to_the_grid_rounded_coordinates(page, tmp_path, kind):
    geoms = KINDS[kind]
    gdf = gpd.GeoDataFrame(geometry=geoms, crs=4326)
    _script_page(page, tmp_path)
    decoded = page.evaluate(
        "data => CorridorAtlas.geometries(data.geometry)", _as_json(layer_data(gdf, text_content(len(gdf))))
    )
    expected = [shapely.geometry.mapping(shapely.set_precision(g, 1e-5, mode="pointwise")) for g in geoms]
    assert len(decoded) == len(expected)
    for got, want in zip(decoded, expected, strict=True):
        if got["type"] == "Multi" + want["type"]:  # a layer mixing single and multi parts ships all as multi
            want = {"type": got["type"], "coordinates": [want["coordinates"]]}
        assert got["type"] == want["type"]
        got_xy = np.array(_flatten(got["coordinates"]))
        want_xy = np.array(_flatten(want["coordinates"]))
        assert got_xy.shape == want_xy.shape
        assert np.abs(got_xy - want_xy).max() < 1e-9  # the 1e-5° grid, nothing lost beyond it


def test_page_script__details_drawer_and_tooltips_show_values_as_text(page, tmp_path):
    spec = _spec("point", tooltip=("name", "status"), popup=("name", "operator"))
    gdf = _points([(75.0, 45.0)], name=HOSTILE_NAME, operator="</table><script>alert(2)</script>", status="built")
    html = build_map([(spec, layer_payload(spec, gdf))], basemap=EMPTY_BASEMAP, basemap_parts={}).map
    dialogs = _open(page, tmp_path, html.get_root().render())
    marker = page.locator("path.leaflet-interactive").first
    marker.hover()
    assert page.locator(".leaflet-tooltip").inner_text() == f"{HOSTILE_NAME} · built"
    assert page.locator(".leaflet-tooltip b").inner_text() == HOSTILE_NAME
    marker.click()
    cells = page.locator(".ca-drawer td").all_inner_texts()
    assert cells == [HOSTILE_NAME, "</table><script>alert(2)</script>"]
    assert page.locator(".ca-drawer-name").inner_text() == HOSTILE_NAME
    assert page.locator(".ca-drawer .ca-sources a").get_attribute("href") == "https://example.org/source"
    assert page.locator(".ca-drawer img, .ca-drawer script").count() == 0 and dialogs == []


def test_dense_points__cluster_on_one_canvas_and_open_popups_one_by_one(page, tmp_path):
    rng = np.random.default_rng(11)
    crowd = rng.uniform((74.0, 44.0), (76.0, 46.0), size=(3 * DENSE_POINTS, 2))
    xy = [*map(tuple, crowd), (100.0, 35.0)]  # one point on its own, far from the crowd
    names = [f"Depot {i}" for i in range(len(crowd))] + [HOSTILE_NAME]
    spec = _spec("point", tooltip=("name",), popup=("name",))
    gdf = _points(xy, name=names)
    html = build_map([(spec, layer_payload(spec, gdf))], basemap=EMPTY_BASEMAP, basemap_parts={}).map
    dialogs = _open(page, tmp_path, html.get_root().render())
    assert page.locator("canvas.ca-dense").count() == 1
    assert page.locator("path.leaflet-interactive").count() == 0  # no element per point

    page.evaluate(
        "() => Object.values(window.__map._layers).find(l => l._merc)"
        ".on('click', e => { window.__clicked = e.layer.toGeoJSON(); })"
    )
    x, y = _screen(page, 35.0, 100.0)
    page.mouse.move(x, y)
    assert page.locator(".leaflet-tooltip").inner_text() == HOSTILE_NAME
    page.mouse.click(x, y)
    assert page.locator(".ca-popup td").inner_text() == HOSTILE_NAME
    clicked = page.evaluate("() => window.__clicked")  # what the app's map component reports
    assert clicked["properties"]["id"] == f"p{len(crowd)}" and clicked["geometry"]["coordinates"] == [100.0, 35.0]
    assert dialogs == []

    zoom = page.evaluate("() => window.__map.getZoom()")
    x, y = _screen(page, 45.0, 75.0)
    page.mouse.move(x, y)
    assert "features · click to zoom in" in page.locator(".leaflet-tooltip").inner_text()
    page.mouse.click(x, y)
    page.wait_for_function(f"() => window.__map.getZoom() > {zoom}")


def _part(part_id: str, fill: str) -> BasemapPart:
    return BasemapPart(
        id=part_id, file=f"{part_id}.geojson", style=Style(colour=fill, fill_colour=fill, fill_opacity=1.0)
    )


def test_remote_layer__parts_of_one_file_draw_in_order_under_the_layers_and_missing_ones_are_reported(page, tmp_path):
    parts = (_part("sea", "#C9DDEB"), _part("land", "#F3F0E8"), _part("lakes", "#7FA7C4"), _part("rivers", "#00F"))
    basemap = Basemap(title="Offline basemap", background="#ddd", attribution="", parts=parts)
    land = gpd.GeoDataFrame(geometry=[Polygon([(80, 35), (95, 35), (95, 45), (80, 45)])], crs=4326)
    lake = gpd.GeoDataFrame(geometry=[Polygon([(86, 39), (90, 39), (90, 41), (86, 41)])], crs=4326)
    members = {"land": layer_data(land, text_content(1)), "lakes": layer_data(lake, text_content(1))}
    text = "{" + ",".join(f'"{name}":{data}' for name, data in members.items()) + "}"
    (tmp_path / "basemap.json").write_text(text, encoding="utf-8")
    urls = {
        "sea": DataURL("missing.json"),  # no such file: a 404
        "land": DataURL("basemap.json#land"),
        "lakes": DataURL("basemap.json#lakes"),
        "rivers": DataURL("basemap.json#rivers"),  # no such member
    }
    spec = _spec("point", tooltip=("name",))
    html = build_map(
        [(spec, layer_payload(spec, _points([(88.0, 40.0)], name="Probe")))], basemap=basemap, basemap_parts=urls
    ).map
    (tmp_path / "map.html").write_text(html.get_root().render(), encoding="utf-8")
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    with _served(tmp_path) as url:
        page.goto(f"{url}/map.html")
        colours_at = """(points) => {
            const map = Object.values(window).find(v => v instanceof L.Map);
            const canvas = document.querySelector('.leaflet-ca-basemap-pane canvas');
            if (!canvas) { return null; }
            const box = canvas.getBoundingClientRect(), frame = map.getContainer().getBoundingClientRect();
            const k = canvas.width / box.width, ctx = canvas.getContext('2d');
            return points.map(([lat, lon]) => {
                const p = map.latLngToContainerPoint([lat, lon]);
                const x = Math.round((p.x + frame.left - box.left) * k);
                const y = Math.round((p.y + frame.top - box.top) * k);
                return '#' + Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3))
                    .map(c => c.toString(16).padStart(2, '0').toUpperCase()).join('');
            });
        }"""
        land_and_lake = [[37.0, 82.0], [40.5, 88.5]]
        page.wait_for_function(f"() => ({colours_at})({land_and_lake})[1] === '#7FA7C4'")
        assert page.locator(".leaflet-overlay-pane path.leaflet-interactive").count() == 1  # the layer drew
        fills = page.evaluate(colours_at, land_and_lake)
        canvases = page.locator(".leaflet-ca-basemap-pane canvas").count()
    assert fills == ["#F3F0E8", "#7FA7C4"] and canvases == 1  # on the pane's one canvas, land under lakes
    assert sum(r.endswith("/basemap.json") for r in requests) == 1  # one request for the shared file
    assert [e for e in errors if "missing.json" in e and "404" in e], errors
    assert [e for e in errors if "basemap.json#rivers" in e and "no such layer" in e], errors
    assert not [e for e in errors if "missing.json" not in e and "404" not in e and "#rivers" not in e], errors


# --- helpers ---------------------------------------------------------------------------------------


@contextmanager
def _served(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on localhost (pages fetch data by URL, which file:// forbids)."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _spec(geometry: str, **fields: tuple[str, ...]) -> LayerSpec:
    return LayerSpec(
        id="probe",
        title="Probe",
        group="Energy",
        file="probe.geojson",
        geometry=geometry,
        legend="Probe",
        style=Style(colour="#000000", weight=1, fill_colour="#E69F00", fill_opacity=0.9, radius=8),
        **fields,
    )


def _points(xy: list[tuple[float, float]], **columns: object) -> gpd.GeoDataFrame:
    ids = [f"p{i}" for i in range(len(xy))]
    data = {"id": ids, **{k: v if isinstance(v, list) else [v] * len(xy) for k, v in columns.items()}}
    data["sources"] = [[{"title": "Source", "url": "https://example.org/source"}]] * len(xy)
    return gpd.GeoDataFrame(data, geometry=[Point(p) for p in xy], index=ids, crs=4326)


def _open(page, tmp_path: Path, html: str) -> list[str]:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    path = tmp_path / "map.html"
    path.write_text(html, encoding="utf-8")
    page.goto(path.as_uri())
    page.wait_for_selector(".leaflet-container")
    page.evaluate(
        "() => { window.__map = Object.values(window).find(v => v instanceof L.Map);"
        " window.__map.setView([40, 88], 4, {animate: false}); }"
    )
    page.wait_for_timeout(200)
    return dialogs


def _screen(page, lat: float, lon: float) -> tuple[float, float]:
    box = page.locator(".leaflet-container").bounding_box()
    point = page.evaluate(f"() => window.__map.latLngToContainerPoint([{lat}, {lon}])")
    return box["x"] + point["x"], box["y"] + point["y"]


def _as_json(text: str) -> object:
    return json.loads(text)


def _flatten(coordinates: list) -> list[list[float]]:
    if coordinates and isinstance(coordinates[0], (int, float)):
        return [coordinates]
    return [xy for part in coordinates for xy in _flatten(part)]
