"""Benchmark: server time of making the map's page for a new map state (build, component page). Prints a table.

Run: uv run python bench/map_bench.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time

from app.mappage import component_page
from layers.catalog import default_catalog
from layers.load import load_basemap_part, load_layer
from layers.render import basemap_payloads, build_map, layer_payload


def main() -> None:
    """Time the steps of a new map state (the app caches the result per state), on the default data."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    catalog = default_catalog()
    layers = [(spec, layer_payload(spec, load_layer(spec))) for spec in catalog.layers]
    parts = basemap_payloads(catalog.basemap, {p.id: load_basemap_part(p) for p in catalog.basemap.parts})
    steps: dict[str, list[float]] = {"build map": [], "component page": []}
    size = 0
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        built = build_map(layers, basemap=catalog.basemap, basemap_parts=parts, link_assets=False)
        t1 = time.perf_counter()
        page = component_page(built)
        t2 = time.perf_counter()
        for name, seconds in zip(steps, (t1 - t0, t2 - t1), strict=True):
            steps[name].append(seconds * 1000)
        size = len(page.script)
    print(f"map script: {size / 1e6:.2f} MB")
    print(f"{'step':<20}{'median ms':>10}{'worst ms':>10}")
    for name, times in steps.items():
        print(f"{name:<20}{statistics.median(times):>10.1f}{max(times):>10.1f}")
    total = sum(statistics.median(t) for t in steps.values())
    print(f"{'total':<20}{total:>10.1f}")


if __name__ == "__main__":
    main()
