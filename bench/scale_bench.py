"""Benchmark at scale: synthetic corridor sets at 10k, 100k and 1M vertices plus points. Prints a table.

Run: uv run python bench/scale_bench.py [--sizes 10000,100000,1000000] [--no-paint]

Side by side, in one run, for each size: map build time and HTML bytes for ours and for a naive
``folium.GeoJson(gdf)`` map, against the lower bound (orjson of the shipped coordinates, full and
after the display copy); and the time until headless Chromium has painted the page (ours vs naive,
given up after ``--paint-timeout`` seconds). Data come from a fixed seed, so runs compare.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import orjson
import shapely
from shapely.geometry import LineString

from geo.display import display_copy
from layers.assets import offline_css, offline_js
from layers.catalog import default_catalog
from layers.render import build_map, layer_payload

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]
VERTICES_PER_LINE = 1_000


def synthetic(vertices: int, seed: int = 42) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Random-walk corridors inside the region (``vertices`` in all) and one point per 10 vertices."""
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(max(1, vertices // VERTICES_PER_LINE)):
        start = rng.uniform((50.0, 35.0), (115.0, 52.0))
        walk = rng.normal(0, 0.01, size=(VERTICES_PER_LINE, 2)).cumsum(axis=0) + start
        lines.append(LineString(walk))
    ids = [f"line-{i}" for i in range(len(lines))]
    line_frame = gpd.GeoDataFrame({"id": ids, "name": ids}, geometry=lines, index=ids, crs=4326)
    xy = rng.uniform((50.0, 35.0), (115.0, 52.0), size=(vertices // 10, 2))
    pids = [f"pt-{i}" for i in range(len(xy))]
    points = gpd.GeoDataFrame({"id": pids, "name": pids}, geometry=shapely.points(xy), index=pids, crs=4326)
    return line_frame, points


def lower_bound(frames: list[gpd.GeoDataFrame]) -> tuple[float, int]:
    """Time and bytes to serialise just the coordinates with orjson."""
    start = time.perf_counter()
    option = orjson.OPT_SERIALIZE_NUMPY
    size = sum(len(orjson.dumps(shapely.get_coordinates(f.geometry.to_numpy()), option=option)) for f in frames)
    return time.perf_counter() - start, size


def ours(lines: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> tuple[float, str]:
    """Corridor Atlas' path: display copy, page data, map, page."""
    catalog = default_catalog()
    start = time.perf_counter()
    layers = [
        (catalog.get("rail_corridors"), layer_payload(catalog.get("rail_corridors"), lines)),
        (catalog.get("khorgos"), layer_payload(catalog.get("khorgos"), points)),
    ]
    html = build_map(layers, basemap=catalog.basemap, basemap_parts={}).get_root().render()
    return time.perf_counter() - start, html


def naive(lines: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> tuple[float, str]:
    """What a straightforward folium map does."""
    start = time.perf_counter()
    fmap = folium.Map(location=[44, 80], zoom_start=4)
    fmap.default_js, fmap.default_css = offline_js(), offline_css()  # same local Leaflet, so it can paint offline
    folium.GeoJson(lines).add_to(fmap)
    folium.GeoJson(points).add_to(fmap)
    html = fmap.get_root().render()
    return time.perf_counter() - start, html


def paint_seconds(html: str, timeout_s: float) -> float | None:
    """Seconds until Chromium has loaded the page and painted twice; None past the timeout."""
    from playwright.sync_api import Error, sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "map.html"
        path.write_text(html, encoding="utf-8")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.route("http*://**", lambda route: route.abort())  # offline, like the sites we serve
            start = time.perf_counter()
            try:
                page.goto(path.as_uri(), timeout=timeout_s * 1000, wait_until="load")
                page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                seconds: float | None = time.perf_counter() - start
            except Error:
                seconds = None
            browser.close()
    return seconds


def main() -> None:
    """Run every size and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--no-paint", action="store_true")
    parser.add_argument("--paint-timeout", type=float, default=60.0)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    header = (
        f"{'vertices':>9} {'ours s':>7} {'naive s':>8} {'speed-up':>8} {'ours MB':>8} {'naive MB':>9} "
        f"{'floor MB':>9} {'floor s':>8} {'simpl. floor MB':>15} {'paint ours':>10} {'paint naive':>11}"
    )
    print(header)
    for size in (int(s) for s in args.sizes.split(",")):
        lines, points = synthetic(size)
        ours_s, ours_html = ours(lines, points)
        naive_s, naive_html = naive(lines, points)
        floor_s, floor_bytes = lower_bound([lines, points])
        simplified, _ = display_copy(lines)
        _, simple_bytes = lower_bound([simplified, points])
        paint = ("-", "-")
        if not args.no_paint:
            results = [paint_seconds(h, args.paint_timeout) for h in (ours_html, naive_html)]
            paint = tuple(f"{r:.2f} s" if r is not None else f">{args.paint_timeout:.0f} s" for r in results)
        print(
            f"{size:>9,} {ours_s:>7.2f} {naive_s:>8.2f} {naive_s / ours_s:>7.1f}× {len(ours_html) / 1e6:>8.1f} "
            f"{len(naive_html) / 1e6:>9.1f} {floor_bytes / 1e6:>9.1f} {floor_s:>8.2f} {simple_bytes / 1e6:>15.1f} "
            f"{paint[0]:>10} {paint[1]:>11}"
        )


if __name__ == "__main__":
    main()
