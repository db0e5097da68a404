"""Full detail at any zoom for a 10M-vertex layer: ingest and indexing, accuracy, first paint, detail after a move.

Run: uv run python bench/detail_bench.py [--vertices 10000000] [--views 12] [--no-app]

One run, on the synthetic corridor lines of ``bench/scale_bench.py`` saved as a GeoPackage:

1. In a child process (which exits before the app is started), the upload path: the file read
   under its budget (``read_within_budget``, in a worker) and made a layer with its levels of
   detail (``upload_layer``); seconds and that process's peak memory.
2. Accuracy: for views at zooms 5 to 17, the farthest any vertex of the full lines inside the view
   lies from the lines the view is sent, in screen pixels (Web Mercator, as Leaflet draws).
3. In the app (started here, its upload limit raised to take the file) and headless Chromium: the
   upload from the file chooser until the layer is listed; the first paint of the map page holding
   it (from the page's start); then views at new places and zooms, each from the move until its
   detail is drawn; the server's peak memory.

Every target of the issue is printed beside its figure.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import re
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app_bench import MAP_IFRAME, launched
from load_bench import percentile, status_kib
from scale_bench import ARGS, CHROMIUM, paint_seconds, synthetic

from geo.budget import ReadBudget, read_within_budget
from geo.crs import to_mercator
from geo.detail import metres_per_pixel
from geo.ingest import IngestLimits
from layers.catalog import default_catalog
from layers.detail import detail_request
from layers.layer import Layer
from layers.render import build_map
from layers.uploads import upload_layer

ROOT = Path(__file__).resolve().parent.parent
_MB = 1024 * 1024
#: The issue's targets.
INGEST_S, FIRST_PAINT_S, DETAIL_S, MEMORY_GIB, PIXELS = 15.0, 2.0, 0.5, 2.0, 1.0


def first_paint_s(layer: Layer) -> float | None:
    """Seconds until Chromium has painted a map page of the layer (its page data, as the app's map has it)."""
    html = build_map([(layer.spec, layer.page_data)], basemap=default_catalog().basemap, basemap_parts={})
    return paint_seconds(html.map.get_root().render(), 60.0)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ingest_and_index(path: Path) -> tuple[Layer, float, float, float]:
    """The upload path in this process: the layer, seconds to read, seconds to index, peak MiB."""
    content = path.read_bytes()
    start = time.perf_counter()
    ingested = read_within_budget(
        path.name, content, limits=IngestLimits(max_bytes=len(content) + _MB), budget=ReadBudget()
    )
    read = time.perf_counter()
    layer = upload_layer("up_bench", path.stem, ingested, colour_index=0)
    return layer, read - start, time.perf_counter() - read, _peak_mib()


def _in_pixels(xy: np.ndarray, zoom: int) -> np.ndarray:
    x, y = to_mercator().transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y]) / metres_per_pixel(zoom)


def farthest_px(layer: Layer, zoom: int, view: tuple[float, float, float, float], sample: int = 20_000) -> float:
    """The farthest a vertex of the full lines inside ``view`` lies from what the view is drawn with, in pixels.

    The view is sent what the app sends it: the lines of an area around it (``detail_request``).
    """
    assert layer.detail is not None
    piece = layer.detail.piece(zoom, detail_request(view, zoom).area)
    drawn_lines = piece.lines if piece is not None else layer.display.geometry.to_numpy()
    frame_geoms = layer.frame.geometry.to_numpy()
    box = shapely.box(*view)
    inside = np.flatnonzero(shapely.intersects(frame_geoms, box))
    worst = 0.0
    for position in inside[:200]:
        xy = shapely.get_coordinates(frame_geoms[position])
        keep = (xy[:, 0] > view[0]) & (xy[:, 0] < view[2]) & (xy[:, 1] > view[1]) & (xy[:, 1] < view[3])
        xy = xy[keep][:sample]
        if len(xy) == 0:
            continue
        mine = drawn_lines[piece.features == position] if piece is not None else drawn_lines[[position]]
        if len(mine) == 0:
            return math.inf  # a feature in the view was not sent
        target = shapely.multilinestrings(
            [shapely.linestrings(_in_pixels(shapely.get_coordinates(line), zoom)) for line in mine]
        )
        worst = max(worst, float(shapely.distance(target, shapely.points(_in_pixels(xy, zoom))).max()))
    return worst


def views(layer: Layer, count: int, seed: int = 5) -> list[tuple[float, float, int]]:
    """``count`` views (lat, lon, zoom) at zooms 8 to 16, each centred on a vertex of the layer."""
    rng = np.random.default_rng(seed)
    geoms = layer.frame.geometry.to_numpy()
    chosen = []
    for _ in range(count):
        xy = shapely.get_coordinates(geoms[rng.integers(len(geoms))])
        lon, lat = xy[rng.integers(len(xy))]
        chosen.append((float(lat), float(lon), int(rng.integers(8, 17))))
    return chosen


#: In the map page, polled at each frame: when the view's detail is drawn on the map (the frame's time), else false.
_DETAIL_SHOWN = (
    "() => { var m = window.map, d = m.caDetailed || [], s = d.length && d[0].caDetail;"
    " if (!s || !s.answer || !s.layer || Math.ceil(m.getZoom() - 1e-9) > s.answer.zoom) { return false; }"
    " var b = s.answer.bounds, v = m.getBounds();"
    " if (v.getWest() < b[0] || v.getSouth() < b[1] || v.getEast() > b[2] || v.getNorth() > b[3]) { return false; }"
    " var r = s.layer.options.renderer, c = r._container;"
    " return c && c.style.display === '' && !r._redrawRequest ? performance.now() : false; }"
)


#: In the map page: whether the layer of ``n`` features is on its canvas.
_PAINTED = (
    "n => { var found = false; if (!window.map) { return false; } window.map.eachLayer(function (l) {"
    " if (l.caData && l.caData.ids.length === n && l.options.renderer && l.options.renderer._container)"
    " { found = true; } }); return found; }"
)
#: In the map page: milliseconds until the map's view has its detail drawn, or has needed none for 3 s.
_SETTLED = (
    "() => new Promise(function (resolve) { var t0 = performance.now(); (function poll() {"
    " var d = window.map.caDetailed || [], s = d.length && d[0].caDetail;"
    " var drawn = s && s.answer && s.layer && s.layer.options.renderer._container"
    " && s.layer.options.renderer._container.style.display === '';"
    " if (drawn || performance.now() - t0 > 3000) { resolve(performance.now() - t0); } else { setTimeout(poll, 10); }"
    " })(); })"
)


def in_app(path: Path, features: int, moves: list[tuple[float, float, int]], workdir: Path) -> dict[str, object]:
    """Upload the file in the app, then move the map: the figures seen in Chromium and the server's memory."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    size_mb = math.ceil(path.stat().st_size / 1e6) + 10  # Streamlit and the app count MB differently
    os.environ["CORRIDOR_ATLAS_MAX_UPLOAD_MB"] = str(size_mb)
    os.environ["CORRIDOR_ATLAS_SESSION_UPLOAD_MB"] = str(size_mb)
    os.environ["STREAMLIT_SERVER_MAX_UPLOAD_SIZE"] = str(size_mb)
    figures: dict[str, object] = {}
    with launched(ROOT / "streamlit_app.py", workdir) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(server.url, timeout=120_000)
        page.wait_for_selector(MAP_IFRAME, timeout=120_000)
        start = time.perf_counter()
        page.locator("section[data-testid='stSidebar'] input[type='file']").set_input_files([str(path)])
        try:
            page.get_by_role("checkbox", name=re.compile(re.escape(path.stem))).first.wait_for(timeout=300_000)
        except PlaywrightError:
            page.screenshot(path=str(workdir / "upload-failed.png"), full_page=True)
            print(page.locator("section[data-testid='stSidebar']").inner_text()[-2000:], file=sys.stderr)
            raise
        figures["upload_s"] = time.perf_counter() - start
        frame = page.locator(MAP_IFRAME).last.element_handle().content_frame()
        frame.wait_for_function(_PAINTED, arg=features, timeout=120_000, polling=10)
        figures["on_map_s"] = time.perf_counter() - start
        settle_ms = frame.evaluate(_SETTLED)  # the opening view's detail, if it needs any, drawn
        figures["settled_s"] = figures["on_map_s"] + settle_ms / 1000
        times = []
        for lat, lon, zoom in moves:
            moved = frame.evaluate(
                f"() => {{ var t = performance.now(); window.map.setView([{lat}, {lon}], {zoom}, {{animate: false}});"
                " return t; }"
            )
            shown = frame.wait_for_function(_DETAIL_SHOWN, timeout=30_000, polling="raf").json_value()
            times.append((shown - moved) / 1000)
        figures["detail_s"] = times
        figures["server_peak_mib"] = status_kib(server.process.pid, "VmHWM") / 1024
        browser.close()
    return figures


def in_process(vertices: int, count: int, workdir: Path) -> tuple[int, list[tuple[float, float, int]]]:
    """Write the file, then measure the upload path, first paint and accuracy here; the features and views."""
    lines, _ = synthetic(vertices)
    path = workdir / "network.gpkg"
    lines.to_file(path, driver="GPKG", engine="pyogrio")
    del lines
    print(f"{vertices:,} vertices in {path.stat().st_size / 1e6:,.0f} MB of GeoPackage")
    layer, read_s, index_s, peak = ingest_and_index(path)
    levels = ", ".join(f"z{level.zoom}: {level.vertices:,}" for level in layer.detail.levels)
    print(f"levels of detail (above zoom {layer.detail.base_zoom}): {levels}")
    _line("read + index (this process)", f"{read_s:.1f} + {index_s:.1f} s", f"≤ {INGEST_S:g} s",
          read_s + index_s <= INGEST_S)  # fmt: skip
    print(f"         peak memory of this process: {peak:,.0f} MiB")
    painted = first_paint_s(layer)
    _line("first paint of a map page with the layer", f"{painted:.2f} s" if painted else "> 60 s",
          f"≤ {FIRST_PAINT_S:g} s", painted is not None and painted <= FIRST_PAINT_S)  # fmt: skip
    moves = views(layer, count)
    worst = max(farthest_px(layer, zoom, _around(lat, lon, zoom)) for lat, lon, zoom in moves)
    low = max(farthest_px(layer, zoom, (60.0, 36.0, 100.0, 50.0)) for zoom in (5, 6, 7))
    _line("farthest vertex from what is drawn (zooms 5–16)", f"{max(worst, low):.2f} px", f"≤ {PIXELS:g} px",
          max(worst, low) <= PIXELS)  # fmt: skip
    sys.stdout.flush()
    return len(layer.frame), moves


def _line(label: str, figure: str, target: str, met: bool) -> None:
    print(f"{'met    ' if met else 'NOT met'}  {label:<52} {figure:>14}   target {target}")


def main() -> None:
    """Make the layer, measure, and print each figure beside its target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vertices", type=int, default=10_000_000)
    parser.add_argument("--views", type=int, default=12)
    parser.add_argument("--no-app", action="store_true", help="skip the app and browser figures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="corridor-atlas-detail-") as folder:
        workdir = Path(folder)
        # The file and the figures of this machine's own process are made in a child process: once it
        # exits, the memory it used is the system's again. Held by this process, it slowed the app's
        # upload of the same file measured next (13.6 s instead of 10.3 s on this virtual machine,
        # whose server then faulted in memory the system had not backed yet).
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as child:
            features, moves = child.submit(in_process, args.vertices, args.views, workdir).result()
        if args.no_app:
            return
        path = workdir / "network.gpkg"
        figures = in_app(path, features, moves, workdir)
        _line("upload in the app, until listed", f"{figures['upload_s']:.1f} s", f"≤ {INGEST_S:g} s",
              figures["upload_s"] <= INGEST_S)  # fmt: skip
        print(f"         the layer on the map {figures['on_map_s']:.1f} s after the upload began; the opening"
              f" view's detail drawn at {figures['settled_s']:.1f} s")  # fmt: skip
        detail = figures["detail_s"]
        p50, p95 = percentile(detail, 50), percentile(detail, 95)
        _line(f"move → full detail drawn, p50 / p95 of {len(detail)}", f"{p50:.2f} / {p95:.2f} s",
              f"≤ {DETAIL_S:g} s", p95 <= DETAIL_S)  # fmt: skip
        each = ", ".join(f"z{zoom}: {seconds:.2f}" for (_, _, zoom), seconds in zip(moves, detail, strict=True))
        print(f"         each move (zoom: seconds): {each}")
        peak_gib = figures["server_peak_mib"] / 1024
        _line("server peak memory", f"{peak_gib:.2f} GiB", f"≤ {MEMORY_GIB:g} GiB", peak_gib <= MEMORY_GIB)


def _around(lat: float, lon: float, zoom: int) -> tuple[float, float, float, float]:
    """The extent of a 1400 × 900 px view centred on (lat, lon) at ``zoom``."""
    half_w, half_h = 700 * metres_per_pixel(zoom), 450 * metres_per_pixel(zoom)
    x, y = to_mercator().transform(lon, lat)
    west, south = to_mercator().transform(x - half_w, y - half_h, direction="INVERSE")
    east, north = to_mercator().transform(x + half_w, y + half_h, direction="INVERSE")
    return (west, south, east, north)


if __name__ == "__main__":
    main()
