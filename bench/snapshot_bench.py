"""Benchmark: snapshots of all layers (PNG, SVG, PDF at 1920×1080; HTML), a 10-scene deck, present mode. Prints tables.

Run: uv run python bench/snapshot_bench.py [--repeat N] [--skip-present]
Targets: PNG ≤ 1 s, SVG/PDF ≤ 1.5 s, HTML ≤ 0.5 s (render and encode; data already loaded, as in
the app and in a deck run after its first snapshot); a 10-scene deck (1920×1080 scenes with routes,
corridors, years, selections and drawings) to PPTX ≤ 8 s and to PDF ≤ 8 s; a scene switch in
present mode ≤ 300 ms of server time (the app's script run, timed in-process with AppTest).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from dataclasses import replace
from pathlib import Path

from layers.catalog import default_catalog
from layers.load import catalog_layers, load_basemap_part
from layers.snapshot import SnapshotData, SnapshotRequest, make_snapshot

TARGETS_S = {"png": 1.0, "svg": 1.5, "pdf": 1.5, "html": 0.5}
DECK_TARGETS_S = {"pptx": 8.0, "pdf": 8.0, "html": 8.0}
SWITCH_TARGET_MS = 300.0
DRAWN = json.dumps(
    {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Bypass option"},
                "geometry": {"type": "LineString", "coordinates": [[79.6, 44.0], [80.0, 44.35], [80.4, 44.25]]},
            }
        ],
    }
)


def ten_scenes(layer_ids: tuple[str, ...]) -> list[SnapshotRequest]:
    """A briefing's ten scenes: overviews, a route, corridors, the timeline, selections, a drawing."""
    base = SnapshotRequest(layers=layer_ids, bbox=(48.0, 30.0, 122.0, 54.0), title="Kazakhstan–China corridors")
    return [
        base,
        replace(
            base,
            title="Almaty to Lianyungang",
            bbox=(70.0, 30.0, 122.0, 48.0),
            route=("city-almaty", "city-lianyungang"),
        ),
        replace(base, title="Gas corridor, 50 km", corridor="layer:gas_pipelines", corridor_km=50.0),
        replace(base, title="As of 2010", year=2010),
        replace(base, title="As of 2015", year=2015, bbox=(60.0, 38.0, 90.0, 50.0)),
        replace(base, title="Khorgos", bbox=(79.5, 43.8, 81.0, 44.6), select="khorgos-gateway"),
        replace(
            base,
            title="Khorgos bypass",
            bbox=(79.5, 43.8, 81.0, 44.6),
            drawings=DRAWN,
            corridor="drawing-1",
            corridor_km=10.0,
        ),
        replace(base, title="Lianyungang", bbox=(118.5, 33.8, 120.2, 35.2), select="lianyungang-kz-terminal"),
        replace(base, title="Planned and under construction", statuses=("planned", "under construction")),
        replace(
            base, title="Almaty pipe plant", bbox=(76.0, 42.8, 78.0, 43.8), select="almaty-pipe-plant", notes="KMG–CNPC"
        ),
    ]


def deck_rows(data: SnapshotData, layer_ids: tuple[str, ...]) -> None:
    """Time a 10-scene deck to each format (after one warm-up deck) and print a row per format."""
    from layers.deck import deck_html, deck_pdf, deck_pptx

    scenes = ten_scenes(layer_ids)
    makers = {"pptx": deck_pptx, "pdf": deck_pdf, "html": deck_html}
    deck_pdf(scenes[:2], data)  # warm-up: fonts, the rail network, page data
    print(f"\n10-scene deck, 1920×1080 scenes\n{'format':<7}{'seconds':>9}{'target s':>10}{'size kB':>9}  met")
    for fmt, make in makers.items():
        start = time.perf_counter()
        content = make(scenes, data)
        took = time.perf_counter() - start
        size = len(content) / 1000
        met = "yes" if took <= DECK_TARGETS_S[fmt] else "NO"
        print(f"{fmt:<7}{took:>9.2f}{DECK_TARGETS_S[fmt]:>10.1f}{size:>9.0f}  {met}")


def present_rows(repeat: int) -> None:
    """Time scene switches in present mode: the app's script run in-process (AppTest), first visit and revisits."""
    from streamlit.testing.v1 import AppTest

    app = Path(__file__).resolve().parent.parent / "streamlit_app.py"
    at = AppTest.from_file(str(app), default_timeout=120)
    at.session_state["tab"] = "Export"
    at.run()
    scenes = ten_scenes(tuple(spec.id for spec in default_catalog().layers))[:4]
    at.session_state["deck"] = list(enumerate(scenes, start=1))
    at.session_state["_deck_count"] = len(scenes)
    at.session_state["presenting"] = 0
    start = time.perf_counter()
    at.run()
    entering = (time.perf_counter() - start) * 1000
    first, again = [], []
    for lap in range(1 + repeat):
        for step in ("present_next",) * (len(scenes) - 1) + ("present_prev",) * (len(scenes) - 1):
            start = time.perf_counter()
            at.button(key=step).click().run()
            (first if lap == 0 else again).append((time.perf_counter() - start) * 1000)
            if at.exception:
                raise RuntimeError(at.exception)
    print("\npresent mode, scene switch (server script run, ms)")
    print(f"{'visit':<24}{'median':>8}{'worst':>8}{'target':>8}  met")
    print(f"{'start (prepares scenes)':<24}{entering:>8.0f}{entering:>8.0f}{'—':>8}")
    for name, times in (("first visit of a scene", first), ("scenes seen before", again)):
        median = statistics.median(times)
        met = "yes" if max(times) <= SWITCH_TARGET_MS else "NO"  # every switch, not only the typical one
        print(f"{name:<24}{median:>8.0f}{max(times):>8.0f}{SWITCH_TARGET_MS:>8.0f}  {met}")


def main() -> None:
    """Time each format over several runs and print median and worst."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-present", action="store_true", help="leave out the present-mode timing")
    args = parser.parse_args()
    catalog = default_catalog()
    t0 = time.perf_counter()
    basemap_frames = {part.id: load_basemap_part(part) for part in catalog.basemap.parts}
    data = SnapshotData(catalog_layers(catalog), catalog.basemap, basemap_frames, catalog.analysis)
    load_s = time.perf_counter() - t0
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"data load (once): {load_s * 1000:.0f} ms")
    cold = SnapshotRequest(layers=catalog.ids, format="html", bbox=(44.0, 28.0, 124.0, 55.0))
    start = time.perf_counter()
    make_snapshot(cold, data)
    print(f"first HTML snapshot, serialising all page data: {(time.perf_counter() - start) * 1000:.0f} ms")
    print(f"{'format':<7}{'median ms':>10}{'worst ms':>10}{'target ms':>11}{'size kB':>9}  met")
    for fmt, target in TARGETS_S.items():
        request = SnapshotRequest(
            layers=catalog.ids, format=fmt, bbox=(44.0, 28.0, 124.0, 55.0), title="Kazakhstan–China corridors"
        )
        make_snapshot(request, data)  # warm-up: fonts and caches, as after a deck's first map
        times, size = [], 0
        for _ in range(args.repeat):
            start = time.perf_counter()
            size = len(make_snapshot(request, data).content)
            times.append(time.perf_counter() - start)
        median, worst = statistics.median(times), max(times)
        met = "yes" if median <= target else "NO"
        print(f"{fmt:<7}{median * 1000:>10.0f}{worst * 1000:>10.0f}{target * 1000:>11.0f}{size / 1000:>9.0f}  {met}")
    deck_rows(data, catalog.ids)
    if not args.skip_present:
        present_rows(max(1, args.repeat // 2))


if __name__ == "__main__":
    main()
