"""Benchmark: time to render snapshots of all layers (PNG, SVG, PDF at 1920×1080; HTML). Prints a table.

Run: uv run python bench/snapshot_bench.py [--repeat N]
Targets: PNG ≤ 1 s, SVG/PDF ≤ 1.5 s, HTML ≤ 0.5 s (render and encode; data already loaded, as in
the app and in a deck run after its first snapshot).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

from layers.catalog import default_catalog
from layers.load import catalog_layers, load_basemap_part
from layers.snapshot import SnapshotData, SnapshotRequest, make_snapshot

TARGETS_S = {"png": 1.0, "svg": 1.5, "pdf": 1.5, "html": 0.5}


def main() -> None:
    """Time each format over several runs and print median and worst."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    catalog = default_catalog()
    t0 = time.perf_counter()
    basemap_frames = {part.id: load_basemap_part(part) for part in catalog.basemap.parts}
    data = SnapshotData(catalog_layers(catalog), catalog.basemap, basemap_frames)
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


if __name__ == "__main__":
    main()
