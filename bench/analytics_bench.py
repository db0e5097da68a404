"""Benchmark: server time of each planner panel on the default data. Prints a table.

Run: uv run python bench/analytics_bench.py [--repeat N]
Target: every panel recomputes in ≤ 200 ms (the app also caches each result by its inputs, so a
repeat of the same question costs nothing; these figures are for a new question).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import geopandas as gpd
import pandas as pd

from geo.borders import border_crossings
from geo.corridor import corridor_report, distance_to_nearest_km
from geo.filters import feature_mask
from geo.network import build_network, shortest_route
from geo.search import search_features
from geo.summary import figures_table
from layers.catalog import default_catalog
from layers.load import load_basemap_part, load_layer
from layers.render import layer_payload

TARGET_MS = 200.0


def _time(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    """Time each panel's computation and print median and worst."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    catalog = default_catalog()
    frames = {spec.id: load_layer(spec) for spec in catalog.layers}
    countries = load_basemap_part(next(p for p in catalog.basemap.parts if p.id == "countries"))
    points = gpd.GeoDataFrame(
        pd.concat([frames[s.id].assign(layer=s.id) for s in catalog.layers if s.geometry == "point"]), crs=4326
    )
    places = points[(points["kind"] == "city") | points["kind"].str.contains("crossing")]
    network = build_network(frames["rail_corridors"])
    gateway = points.loc["khorgos-gateway"].geometry
    terminal = points.loc["lianyungang-kz-terminal"].geometry

    def corridor(lines: gpd.GeoDataFrame) -> Callable[[], object]:
        return lambda: corridor_report(lines, points, countries, 50.0, places=places)

    def timeline() -> None:
        for spec in catalog.layers:
            gdf = frames[spec.id]
            layer_payload(spec, gdf[feature_mask(gdf, statuses=("operating",), year=2008)])

    def route_panel() -> None:
        route = shortest_route(network, ("a", gateway.x, gateway.y), ("b", terminal.x, terminal.y))
        border_crossings(route.geometry, countries, places=places)
        along = gpd.GeoDataFrame(geometry=[route.geometry], index=["route"], crs=4326)
        distance_to_nearest_km(points, along)

    panels: list[tuple[str, Callable[[], object]]] = [
        ("corridor: one pipeline (CAGP Line A), 50 km", corridor(frames["gas_pipelines"].loc[["gas-cagp-line-a"]])),
        ("corridor: all oil pipelines, 50 km", corridor(frames["oil_pipelines"])),
        ("corridor: all rail corridors, 50 km", corridor(frames["rail_corridors"])),
        ("route: build rail network", lambda: build_network(frames["rail_corridors"])),
        (
            "route: Khorgos Gateway → Lianyungang",
            lambda: shortest_route(network, ("a", gateway.x, gateway.y), ("b", terminal.x, terminal.y)),
        ),
        ("route panel: path, border crossings, places passed", route_panel),
        ("filters + timeline: re-serialise every layer", timeline),
        ("search: 'Horgos'", lambda: search_features(frames, "Horgos")),
        ("charts: figures table", lambda: figures_table(frames, {s.id: s.group for s in catalog.layers})),
    ]
    print(f"{'panel':<48}{'median ms':>10}{'worst ms':>10}  ≤ {TARGET_MS:.0f} ms")
    for name, fn in panels:
        fn()  # warm-up
        median, worst = _time(fn, args.repeat)
        print(f"{name:<48}{median:>10.1f}{worst:>10.1f}  {'yes' if median <= TARGET_MS else 'NO'}")


if __name__ == "__main__":
    main()
