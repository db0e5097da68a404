"""Uploads in the real app, in headless Chromium: a bad file is refused within seconds and breaks nothing."""

from __future__ import annotations

import json
import re

import pytest

from layers.catalog import default_catalog
from layers.load import load_layer
from tests.conftest import feature, point
from tests.mapframe import map_frame as _map_frame
from tests.mapframe import wait_for_count as _wait_for_count
from tests.test_upload_budget import recursive_view_gpkg, scribble_geojson

pytestmark = pytest.mark.browser

CATALOG = default_catalog()
SIDEBAR = "section[data-testid='stSidebar']"
REFUSED_WITHIN_MS = 10_000


def _collection(*features) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def _no_traceback(page) -> None:
    text = page.locator("body").inner_text()
    assert "Traceback" not in text and 'File "' not in text


def test_app__bad_uploads_refused_within_seconds_and_the_loaded_layer_stays(page, app_url, tmp_path):
    depots = tmp_path / "depots.geojson"  # one id a catalog feature has: renamed, not clashing
    depots.write_text(
        _collection(
            feature("d0", point(78, 43.5)),
            feature("d1", point(78.5, 43.5)),
            feature("khorgos-gateway", point(80.3, 44.1)),
        )
    )
    bad = [recursive_view_gpkg(tmp_path / "loop.gpkg"), tmp_path / "scribble.geojson"]
    bad[1].write_bytes(scribble_geojson())
    capacity = tmp_path / "capacity.geojson"  # a number on some features, missing on the others
    props = [{"capacity": 1.5 * i} if i % 2 else {} for i in range(6)]
    capacity.write_text(_collection(*(feature(f"c{i}", point(75 + i * 0.2, 43.5), **props[i]) for i in range(6))))
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))

    page.goto(app_url)
    frame = _map_frame(page)
    catalog_paths = sum(len(load_layer(spec)) for spec in CATALOG.layers)
    assert _wait_for_count(frame, catalog_paths) == catalog_paths
    uploader = page.locator(f"{SIDEBAR} input[type='file']")
    uploader.set_input_files([str(depots)])
    page.get_by_text("depots.geojson (3)").wait_for(timeout=90_000)
    frame = _map_frame(page)
    assert _wait_for_count(frame, catalog_paths + 3) == catalog_paths + 3

    messages = {
        "loop.gpkg": "loop.gpkg: the GeoPackage holds SQL views",
        "scribble.geojson": "scribble.geojson: reading it took more than 6 s; refused",
    }
    for path in bad:
        uploader.set_input_files([str(path)])
        page.locator(SIDEBAR).get_by_text(messages[path.name]).wait_for(timeout=REFUSED_WITHIN_MS)
        _still_fine(page, catalog_paths + 3)

    uploader.set_input_files([str(capacity)])  # loads: the missing numbers are missing values, not a failure
    page.locator(SIDEBAR).get_by_text("capacity.geojson (6)").wait_for(timeout=REFUSED_WITHIN_MS)
    _still_fine(page, catalog_paths + 3 + 6)
    page.get_by_role("tab", name="Visible features").click()
    page.get_by_text(re.compile(r"^Visible features \(\d+\)$")).wait_for(timeout=30_000)
    _no_traceback(page)
    assert not errors


def _still_fine(page, expected_paths: int) -> None:
    """The earlier upload is listed with its ✕, the map draws every feature, and no traceback shows."""
    sidebar = page.locator(SIDEBAR)
    assert sidebar.get_by_text("depots.geojson (3)").is_visible()
    assert sidebar.get_by_role("button", name="✕").first.is_visible()
    frame = _map_frame(page)
    assert _wait_for_count(frame, expected_paths) == expected_paths
    _no_traceback(page)
