"""Benchmark at scale: synthetic corridor sets at 10k, 100k and 1M vertices plus points. Prints a table.

Run: uv run python bench/scale_bench.py [--sizes 10000,100000,1000000,10000000] [--no-paint] [--no-app]

Side by side, in one run, for each size: map build time and HTML bytes for ours and for a naive
``folium.GeoJson(gdf)`` map, against the lower bound (orjson of the shipped coordinates, full and
after the display copy); and the time until headless Chromium has painted the page (ours vs naive,
given up after ``--paint-timeout`` seconds). Data come from a fixed seed, so runs compare. Then, in
the same run, the app's figures on the default data (server time of a rerun after a toggle, cold
start to the first map) from ``bench/app_bench.py``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import orjson
import shapely

from geo.display import display_copy
from layers.assets import offline_css, offline_js
from layers.catalog import LayerSpec, default_catalog
from layers.render import build_map, layer_payload

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]
VERTICES_PER_LINE = 1_000


def synthetic(vertices: int, seed: int = 42) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Corridor-like lines inside the region (``vertices`` in all) and one point per 10 vertices.

    Each line advances ~1 km a vertex on a slowly turning heading, with ~50 m of survey jitter:
    the shape of a traced pipeline or railway, not a tangle.
    """
    rng = np.random.default_rng(seed)
    count = max(1, vertices // VERTICES_PER_LINE)
    start = rng.uniform((50.0, 35.0), (115.0, 52.0), size=(count, 1, 2))
    turns = rng.normal(0, 0.05, size=(count, VERTICES_PER_LINE)).cumsum(axis=1)
    heading = rng.uniform(0, 2 * np.pi, size=(count, 1)) + turns
    steps = np.stack([np.cos(heading), np.sin(heading)], axis=-1) * 0.01
    walks = start + steps.cumsum(axis=1) + rng.normal(0, 0.0005, size=(count, VERTICES_PER_LINE, 2))
    ids = [f"line-{i}" for i in range(count)]
    line_frame = gpd.GeoDataFrame({"id": ids, "name": ids}, geometry=shapely.linestrings(walks), index=ids, crs=4326)
    xy = rng.uniform((50.0, 35.0), (115.0, 52.0), size=(vertices // 10, 2))
    pids = [f"pt-{i}" for i in range(len(xy))]
    points = gpd.GeoDataFrame({"id": pids, "name": pids}, geometry=shapely.points(xy), index=pids, crs=4326)
    return line_frame, points


#: Serialisation and its floor are timed as the best of this many runs (each alone is a fraction of a
#: second, where one run's figure moves by a third with whatever else the machine does).
SERIALISE_RUNS = 3


def lower_bound(frames: list[gpd.GeoDataFrame]) -> tuple[float, int]:
    """Time (best of :data:`SERIALISE_RUNS`) and bytes to serialise just the coordinates with orjson."""
    option = orjson.OPT_SERIALIZE_NUMPY
    times, size = [], 0
    for _ in range(SERIALISE_RUNS):
        start = time.perf_counter()
        size = sum(len(orjson.dumps(shapely.get_coordinates(f.geometry.to_numpy()), option=option)) for f in frames)
        times.append(time.perf_counter() - start)
    return min(times), size


def serialise_seconds(layers: list[tuple[LayerSpec, gpd.GeoDataFrame]]) -> float:
    """Our page data for these layers, best of :data:`SERIALISE_RUNS` (a build's own figure is its first run)."""
    times = []
    for _ in range(SERIALISE_RUNS):
        start = time.perf_counter()
        for spec, gdf in layers:
            layer_payload(spec, gdf)
        times.append(time.perf_counter() - start)
    return min(times)


@dataclass(frozen=True)
class Build:
    """One map build: total seconds, its simplification and serialisation parts, and the page."""

    seconds: float
    simplify_s: float
    serialise_s: float
    html: str
    display: gpd.GeoDataFrame | None = None  # the lines' display copy (what ships)


def ours(lines: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> Build:
    """Corridor Atlas' path: display copy, page data, map, page."""
    catalog = default_catalog()
    rail, facilities = catalog.get("rail_corridors"), catalog.get("khorgos")
    start = time.perf_counter()
    display, _ = display_copy(lines)
    simplified = time.perf_counter()
    layers = [(rail, layer_payload(rail, display)), (facilities, layer_payload(facilities, points))]
    serialised = time.perf_counter()
    html = build_map(layers, basemap=catalog.basemap, basemap_parts={}).map.get_root().render()
    end = time.perf_counter()
    return Build(end - start, simplified - start, serialised - simplified, html, display)


def naive(lines: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> Build:
    """What a straightforward folium map does."""
    start = time.perf_counter()
    fmap = folium.Map(location=[44, 80], zoom_start=4)
    fmap.default_js, fmap.default_css = offline_js()[:1], offline_css()  # local Leaflet, so it can paint offline
    folium.GeoJson(lines).add_to(fmap)
    folium.GeoJson(points).add_to(fmap)
    html = fmap.get_root().render()
    return Build(time.perf_counter() - start, 0.0, 0.0, html)


#: Above this many vertices the naive map is built in a child process, given up after NAIVE_TIMEOUT_S.
NAIVE_IN_CHILD = 2_000_000
NAIVE_TIMEOUT_S = 900.0


def naive_guarded(lines: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> Build | str:
    """The naive map, built in a forked child with a time limit: its build, or what happened instead."""
    import multiprocessing

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "naive.html"

        def child() -> None:
            build = naive(lines, points)
            out.write_text(build.html, encoding="utf-8")
            (out.with_suffix(".s")).write_text(str(build.seconds))

        process = multiprocessing.get_context("fork").Process(target=child)
        process.start()
        process.join(NAIVE_TIMEOUT_S)
        if process.is_alive():
            process.kill()
            process.join()
            return f"gave up after {NAIVE_TIMEOUT_S:.0f} s"
        if process.exitcode != 0:
            return f"failed (exit code {process.exitcode})"
        return Build(float(out.with_suffix(".s").read_text()), 0.0, 0.0, out.read_text(encoding="utf-8"))


def paint_seconds(html: str, timeout_s: float) -> float | None:
    """Seconds from navigation until the page has loaded and painted twice, by the page's own clock.

    The browser and its tab are started (and warmed on a blank page) before the clock starts.
    None when the page has not painted within the timeout.
    """
    from playwright.sync_api import Error, sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "map.html"
        path.write_text(html, encoding="utf-8")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.route("http*://**", lambda route: route.abort())  # offline, like the sites we serve
            page.goto("about:blank")
            try:
                page.goto(path.as_uri(), timeout=timeout_s * 1000, wait_until="load")
                page.set_default_timeout(timeout_s * 1000)
                ms = page.evaluate(
                    "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame("
                    "() => r(performance.now()))))"
                )
                seconds: float | None = ms / 1000 if ms / 1000 <= timeout_s else None
            except Error:
                seconds = None
            browser.close()
    return seconds


@dataclass(frozen=True)
class Row:
    """One size's figures."""

    vertices: int
    ours: Build
    naive: Build | str  # what happened when it could not be built
    floor_s: float
    floor_mb: float
    simple_floor_s: float
    simple_floor_mb: float
    paint_ours: float | None
    paint_naive: float | None


def measure(size: int, *, paint: bool, timeout_s: float) -> Row:
    """Build both maps for one synthetic size, the lower bounds, and (optionally) paint both."""
    lines, points = synthetic(size)
    mine = ours(lines, points)
    theirs = naive(lines, points) if size <= NAIVE_IN_CHILD else naive_guarded(lines, points)
    floor_s, floor_bytes = lower_bound([lines, points])
    simple_s, simple_bytes = lower_bound([mine.display, points])
    catalog = default_catalog()
    mine = replace(
        mine,
        serialise_s=serialise_seconds(
            [(catalog.get("rail_corridors"), mine.display), (catalog.get("khorgos"), points)]
        ),
    )
    paints = [paint_seconds(b.html, timeout_s) if paint and isinstance(b, Build) else None for b in (mine, theirs)]
    return Row(size, mine, theirs, floor_s, floor_bytes / 1e6, simple_s, simple_bytes / 1e6, *paints)


def _paint(seconds: float | None, timeout_s: float, painted: bool) -> str:
    if not painted:
        return "-"
    return f"{seconds:.2f} s" if seconds is not None else f">{timeout_s:.0f} s"


def main() -> None:
    """Run every size and print the comparison, then the targets met."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000,10000000")
    parser.add_argument("--no-paint", action="store_true")
    parser.add_argument("--paint-timeout", type=float, default=60.0)
    parser.add_argument("--no-app", action="store_true", help="skip the app's rerun and cold-start figures")
    parser.add_argument("--app-repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"{'vertices':>9} | {'build s':>7} {'naive s':>8} {'speed-up':>8} | {'simplify s':>10} {'serialise s':>11} "
        f"{'floor s':>7} {'ser/floor':>9} | {'HTML MB':>7} {'naive MB':>8} {'floor MB':>8} {'simpl. floor MB':>15} "
        f"{'HTML/simpl':>10} | {'paint':>8} {'paint naive':>11}"
    )
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        row = measure(size, paint=not args.no_paint, timeout_s=args.paint_timeout)
        rows.append(row)
        html_mb = len(row.ours.html) / 1e6
        built = isinstance(row.naive, Build)
        naive_s = f"{row.naive.seconds:>8.2f}" if built else f"{'-':>8}"
        speed_up = f"{row.naive.seconds / row.ours.seconds:>7.1f}×" if built else f"{'-':>8}"
        naive_mb = f"{len(row.naive.html) / 1e6:>8.1f}" if built else f"{'-':>8}"
        print(
            f"{size:>9,} | {row.ours.seconds:>7.2f} {naive_s} "
            f"{speed_up} | {row.ours.simplify_s:>10.3f} "
            f"{row.ours.serialise_s:>11.3f} {row.simple_floor_s:>7.3f} "
            f"{row.ours.serialise_s / row.simple_floor_s:>8.1f}× | {html_mb:>7.1f} {naive_mb} "
            f"{row.floor_mb:>8.1f} {row.simple_floor_mb:>15.1f} {html_mb / row.simple_floor_mb:>9.2f}× | "
            f"{_paint(row.paint_ours, args.paint_timeout, not args.no_paint):>8} "
            f"{_paint(row.paint_naive, args.paint_timeout, not args.no_paint and built):>11}"
        )
        if not built:
            print(f"          naive folium map at {size:,}: {row.naive}")
    print()
    print("floor: orjson of the coordinates (full data); simpl. floor: the same for the display copy, which is")
    print("what ships; serialise: our page data for the display copy (coordinates, ids, values), without simplifying;")
    print(f"serialise and the floors are the best of {SERIALISE_RUNS} runs each.")
    targets(rows, painted=not args.no_paint)
    if not args.no_app:
        print("\napp on the default data (bench/app_bench.py):", flush=True)
        subprocess.run(
            [sys.executable, str(Path(__file__).with_name("app_bench.py")), "--repeat", str(args.app_repeat)],
            check=False,
        )


def targets(rows: list[Row], *, painted: bool) -> None:
    """Print each target of the largest size (and paint at 100k) as met or not."""
    by_size = {row.vertices: row for row in rows}
    built = [row for row in rows if isinstance(row.naive, Build)]
    largest = max(built or rows, key=lambda row: row.vertices)
    faster = isinstance(largest.naive, Build) and largest.naive.seconds / largest.ours.seconds >= 40
    checks = [
        (f"build ≥ 40× faster than naive at {largest.vertices:,}", faster),
        (
            f"serialisation ≤ 3× the lower bound at {largest.vertices:,}",
            largest.ours.serialise_s <= 3 * largest.simple_floor_s,
        ),
        (
            f"HTML ≤ 1.2× the simplified lower bound at {largest.vertices:,}",
            len(largest.ours.html) / 1e6 <= 1.2 * largest.simple_floor_mb,
        ),
    ]
    if painted:
        for size, limit in ((100_000, 1.0), (1_000_000, 2.0), (10_000_000, 2.0)):
            if size in by_size:
                seconds = by_size[size].paint_ours
                checks.append((f"painted ≤ {limit:.0f} s at {size:,}", seconds is not None and seconds <= limit))
    for label, met in checks:
        print(f"{'met    ' if met else 'NOT met'}  {label}")


if __name__ == "__main__":
    main()
