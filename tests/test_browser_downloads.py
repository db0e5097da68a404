"""The analysis tabs' downloads in a real browser: made when clicked (deferred), with what the tab shows."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.mapframe import map_frame

pytestmark = pytest.mark.browser


def _download(page, label: str) -> bytes:
    button = page.get_by_role("button", name=label)
    button.wait_for(timeout=90_000)
    with page.expect_download(timeout=60_000) as caught:
        button.click()
    return caught.value.path().read_bytes()


def test_corridor_downloads__the_buffer_and_the_facilities_inside_it_arrive_when_clicked(app_url, page):
    page.goto(f"{app_url}/?tab=Corridor&corridor=layer:gas_pipelines&km=25")
    map_frame(page)
    page.get_by_text("Corridor length, km (geodesic)").wait_for(timeout=90_000)
    collection = json.loads(_download(page, "Download buffer and facilities (GeoJSON)"))
    features = collection["features"]
    assert features[0]["properties"]["name"] == "25 km buffer"
    assert features[0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    inside = [f for f in features[1:] if f["geometry"]["type"] == "Point"]
    assert inside and all(f["properties"]["distance_km"] <= 25 for f in inside)
    rows = list(csv.DictReader(io.StringIO(_download(page, "Download table (CSV)").decode("utf-8-sig"))))
    assert sorted(row["feature_id"] for row in rows) == sorted(f["properties"]["feature_id"] for f in inside)
