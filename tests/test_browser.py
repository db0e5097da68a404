"""What a user sees, in headless Chromium: features drawn, toggles that work, no outside request."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from layers.catalog import default_catalog
from layers.load import load_basemap_part, load_layer
from layers.render import basemap_payloads, build_map, layer_payload
from tests.mapframe import MAP_IFRAME
from tests.mapframe import drawn as _drawn
from tests.mapframe import map_frame as _map_frame
from tests.mapframe import wait_for_count as _wait_for_count

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
CATALOG = default_catalog()


def _outside(urls: list[str]) -> list[str]:
    outside = []
    for url in urls:
        parsed = urlparse(url)
        if parsed.scheme in {"data", "blob", "about", "file"}:
            continue
        if parsed.hostname not in LOCAL_HOSTS:
            outside.append(url)
    return outside


def _expected_paths(layer_ids) -> int:
    return sum(len(load_layer(CATALOG.get(lid))) for lid in layer_ids)


@pytest.fixture(scope="module")
def offline_page(tmp_path_factory) -> Path:
    layers = [(spec, layer_payload(spec, load_layer(spec))) for spec in CATALOG.layers]
    frames = {part.id: load_basemap_part(part) for part in CATALOG.basemap.parts}
    fmap = build_map(layers, basemap=CATALOG.basemap, basemap_parts=basemap_payloads(CATALOG.basemap, frames)).map
    path = tmp_path_factory.mktemp("page") / "map.html"
    fmap.save(str(path))
    return path


def test_offline_page__draws_every_feature_and_toggles_without_any_request(page, offline_page):
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(offline_page.as_uri())
    page.wait_for_selector("path.leaflet-interactive")
    assert _drawn(page) == _expected_paths(CATALOG.ids)
    legend_rows = page.locator(".ca-legend-row:not(.ca-legend-style):visible")
    assert legend_rows.count() == len(CATALOG.layers)

    page.hover(".leaflet-control-layers")  # the control unfolds on hover, as for a user
    page.locator(".leaflet-control-layers-overlays label", has_text="Oil pipelines").locator("input").uncheck()
    assert _drawn(page) == _expected_paths([i for i in CATALOG.ids if i != "oil_pipelines"])
    assert legend_rows.count() == len(CATALOG.layers) - 1
    assert "Oil pipeline" not in page.locator(".ca-legend").inner_text()

    page.mouse.move(700, 880)  # away from the layer control, which folds again
    _click_a_facility(page)
    page.wait_for_selector(".ca-drawer:not([hidden]), .ca-chooser-item")
    if page.locator(".ca-chooser-item").count():  # markers that overlap offer a chooser first
        page.locator(".ca-chooser-item").first.click()
    assert page.locator(".ca-drawer .ca-sources li").count() >= 1
    assert not errors
    assert page.requests[0] == offline_page.as_uri()
    assert _outside(page.requests) == []


def _click_a_facility(page) -> None:
    """Click the centre of a facility marker (a circle of radius 8 px or more), as a user would."""
    boxes = [b for b in (p.bounding_box() for p in page.locator("path.leaflet-interactive").all()) if b]
    markers = [b for b in boxes if 14 <= b["width"] <= 24 and 14 <= b["height"] <= 24 and b["x"] < 1100]
    assert markers, "no facility marker on screen"
    box = markers[0]
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_app__sidebar_toggle_changes_drawn_features_and_stays_local(page, app_url):
    page.goto(app_url)
    frame = _map_frame(page)
    everything = _expected_paths(CATALOG.ids)
    assert _wait_for_count(frame, everything) == everything

    page.get_by_role("checkbox", name="Oil pipelines").uncheck(force=True)
    without_oil = _expected_paths([i for i in CATALOG.ids if i != "oil_pipelines"])
    frame = _map_frame(page)
    assert _wait_for_count(frame, without_oil) == without_oil
    page.wait_for_function("() => !window.location.search.includes('oil_pipelines')", timeout=10_000)
    assert "gas_pipelines" in page.url

    assert _outside(page.requests) == []


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def test_app__basemap_is_fetched_from_the_app_and_drawn_under_the_layers(page, app_url):
    statuses: dict[str, int] = {}
    page.on("response", lambda response: statuses.__setitem__(response.url, response.status))
    page.goto(app_url)
    frame = _map_frame(page)
    newest = page.locator(MAP_IFRAME).last.element_handle().content_frame()  # to read its canvas's pixels
    # Every part on one canvas in the pane under the overlays, in the catalog's order: a lake's fill
    # over the land's, the land's away from water.
    colour_at = (
        "([lat, lon]) => { var canvas = document.querySelector('.leaflet-ca-basemap-pane canvas');"
        " if (!canvas) { return null; } var p = window.map.latLngToContainerPoint([lat, lon]),"
        " box = canvas.getBoundingClientRect(), frame = window.map.getContainer().getBoundingClientRect(),"
        " k = canvas.width / box.width, x = Math.round((p.x + frame.left - box.left) * k),"
        " y = Math.round((p.y + frame.top - box.top) * k);"
        " return Array.from(canvas.getContext('2d').getImageData(x, y, 1, 1).data.slice(0, 3)); }"
    )
    fills = {part.id: part.style.fill_colour for part in CATALOG.basemap.parts}
    lake_fill, land_fill = _rgb(fills["lakes"]), _rgb(fills["countries"])
    issyk_kul, steppe = (42.45, 77.3), (48.5, 69.0)
    deadline = time.monotonic() + 30
    while newest.evaluate(colour_at, list(steppe)) != list(land_fill) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert newest.evaluate(colour_at, list(steppe)) == list(land_fill)
    assert newest.evaluate(colour_at, list(issyk_kul)) == list(lake_fill)
    assert frame.locator(".leaflet-ca-basemap-pane canvas").count() == 1
    frame.locator(".ca-country").first.wait_for()  # and the label parts' names, placed by the page
    static = {url: status for url, status in statuses.items() if "/app/static/" in url}
    assert sum("/basemap-" in url for url in static) == 1  # every part in one file
    assert any("/map_scripts-" in url and url.endswith(".js") for url in static)  # Leaflet and the page script
    assert set(static.values()) == {200}
    z_index = frame.locator(".leaflet-ca-basemap-pane").evaluate("pane => getComputedStyle(pane).zIndex")
    assert int(z_index) < int(frame.locator(".leaflet-overlay-pane").evaluate("p => getComputedStyle(p).zIndex"))


def test_app__a_toggle_updates_the_open_visible_features_tab(page, app_url):
    page.goto(app_url)
    _map_frame(page)
    page.get_by_role("tab", name="Visible features").click()
    heading = page.get_by_text(re.compile(r"^Visible features \(\d+\)$"))
    heading.wait_for(timeout=30_000)
    before = int(re.search(r"\((\d+)\)", heading.inner_text()).group(1))
    page.get_by_role("checkbox", name="Cities").uncheck(force=True)
    cities = len(load_layer(CATALOG.get("cities")))
    page.get_by_text(f"Visible features ({before - cities})").wait_for(timeout=30_000)


def test_app__shared_link_reopens_the_same_layers(page, app_url):
    page.goto(f"{app_url}/?layers=khorgos,cities&view=44.2,80.3,7")
    frame = _map_frame(page)
    expected = _expected_paths(["khorgos", "cities"])
    assert _wait_for_count(frame, expected) == expected
    assert page.get_by_role("checkbox", name="Oil pipelines").is_checked() is False
    assert _outside(page.requests) == []


def test_app__a_corridor_query_draws_on_the_map_the_user_has(page, app_url):
    """The buffer joins the legend and the layer control, follows the width, and the map is not reloaded."""
    page.goto(f"{app_url}/?tab=Corridor&corridor=layer:gas_pipelines&km=50")
    frame = _map_frame(page)
    rows = frame.locator(".ca-legend-row:not(.ca-legend-style):visible")
    rows.filter(has_text="Corridor buffer (50 km)").wait_for(timeout=30_000)
    assert rows.first.inner_text() == "Corridor buffer (50 km)"  # listed first, above the layers
    assert frame.locator(".leaflet-caAnalysis-pane path").count() == 1
    map_page = next(f for f in page.frames if "corridor_atlas_map" in f.url)
    map_page.evaluate("() => { window.mapKept = true; }")
    width = page.get_by_label("Distance, km")
    width.fill("120")
    width.press("Enter")
    rows.filter(has_text="Corridor buffer (120 km)").wait_for(timeout=30_000)
    assert rows.filter(has_text="Corridor buffer (50 km)").count() == 0
    assert map_page.evaluate("() => window.mapKept === true")  # the same map, not a new frame
    frame.locator(".leaflet-control-layers").hover()
    entry = frame.locator(".leaflet-control-layers-overlays label", has_text="Corridor buffer (120 km)")
    entry.locator("input").uncheck()  # the user switches it off: it leaves the map and the legend
    assert frame.locator(".leaflet-caAnalysis-pane path").count() == 0
    assert rows.filter(has_text="Corridor buffer").count() == 0
    page.get_by_role("tab", name="Route").click()  # another rerun: what the user switched off stays off
    page.get_by_text("From", exact=True).wait_for(timeout=30_000)
    assert frame.locator(".leaflet-caAnalysis-pane path").count() == 0
    assert _outside(page.requests) == []


def test_html_snapshot__draws_its_features_offline_with_title_and_legend(page, tmp_path):
    from layers.snapshot import SnapshotRequest, write_snapshot
    from tests.conftest import snapshot_data

    data = snapshot_data()
    chosen = ("gas_pipelines", "rail_corridors", "khorgos")
    request = SnapshotRequest(
        layers=chosen, format="html", fit=chosen, title="Gas and rail", subtitle="<i>not markup</i>"
    )
    path = write_snapshot(request, data, tmp_path / "deck-map.html")[0]
    page.goto(path.as_uri())
    page.wait_for_selector("path.leaflet-interactive")
    assert _drawn(page) == _expected_paths(chosen)
    assert page.locator(".ca-title-main").inner_text() == "Gas and rail"
    assert page.locator(".ca-title-sub").inner_text() == "<i>not markup</i>"
    assert page.locator(".ca-legend-row:not(.ca-legend-style):visible").count() == len(chosen)
    assert [u for u in page.requests if not u.startswith("data:")] == [path.as_uri()]


HOSTILE = Path(__file__).resolve().parent / "hostile" / "hostile.geojson"


def _watch(page) -> tuple[list[str], list[str]]:
    dialogs: list[str] = []
    errors: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return dialogs, errors


def test_hostile_layer__nothing_executes_in_details_tooltips_or_legend(page, tmp_path):
    from geo.ingest import ingest
    from layers.uploads import upload_layer

    layer = ingest(HOSTILE.name, HOSTILE.read_bytes())
    upload = upload_layer("upload_1_hostile", "<img src=x onerror=alert('title')>{{ 7*7 }}", layer, 0)
    fmap = build_map([(upload.spec, upload.page_data)], basemap=CATALOG.basemap, basemap_parts={}).map
    path = tmp_path / "hostile.html"
    fmap.save(str(path))
    dialogs, errors = _watch(page)
    page.goto(path.as_uri())
    page.wait_for_selector("path.leaflet-interactive")
    shown = ""
    for marker in page.locator("path.leaflet-interactive").all():
        box = marker.bounding_box()
        if box:
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_timeout(100)
            shown += page.locator(".ca-drawer").inner_text()
            shown += " ".join(page.locator(".leaflet-popup-content").all_inner_texts())
    page.hover(".leaflet-control-layers")
    assert "{{ 7*7 }}" in shown or "alert(" in shown  # the details drawer (or the chooser) shows them as text
    assert "<img src=x onerror=alert('title')>{{ 7*7 }}" in page.locator(".leaflet-control-layers").inner_text()
    assert dialogs == [] and errors == []
    assert page.locator("iframe, svg[onload], img[onerror]").count() == 0
    assert [u for u in page.requests if not u.startswith("data:")] == [path.as_uri()]


def test_app__upload_hostile_and_broken_files(page, app_url, tmp_path):
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [')
    dialogs, errors = _watch(page)
    page.goto(app_url)
    frame = _map_frame(page)
    before = _wait_for_count(frame, _expected_paths(CATALOG.ids))
    uploader = page.locator("section[data-testid='stSidebar'] input[type='file']")
    uploader.set_input_files([str(HOSTILE)])
    page.get_by_text("hostile.geojson (9)").wait_for(timeout=90_000)
    frame = _map_frame(page)
    assert _wait_for_count(frame, before + 9) == before + 9
    uploader.set_input_files([str(broken)])  # a failed upload must leave the loaded layer alone
    page.get_by_text("broken.geojson: malformed JSON at line 1").wait_for(timeout=90_000)
    assert page.get_by_text("hostile.geojson (9)").is_visible()
    frame = _map_frame(page)
    assert _wait_for_count(frame, before + 9) == before + 9
    legend = frame.locator(".ca-legend").inner_text()
    assert "hostile.geojson" in legend and "Oil pipeline" in legend
    assert dialogs == []
    assert not [e for e in errors if "alert" in e or "javascript" in e.lower()]
    assert _outside(page.requests) == []
