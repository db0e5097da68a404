"""Benchmark: saving and reopening a workspace that holds a 100,000-vertex upload, on both databases. Prints a table.

Run: uv run python bench/workspace_bench.py [--repeat N] [--database-url URL]
Target: save ≤ 1 s and reopen ≤ 1 s, on the embedded SQLite file and on PostgreSQL/PostGIS. Saving
makes the item (the file as given, its footprint) and writes it; reopening reads it from the
database and through the same reading as any upload (ingest, the layer record, its page data).
PostGIS is the server at ``--database-url``, else a throwaway local one (fsync on) when this
machine has PostgreSQL and PostGIS installed; without either, its row says why it is missing.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from geo.ingest import ingest
from layers.uploads import upload_layer
from layers.workspace_items import SavedUpload, read_upload, upload_item
from layers.workspace_store import SqlStore, open_store

TARGET_S = 1.0
VERTICES = 100_000


def _line_file(vertices: int) -> bytes:
    """A GeoJSON line of ``vertices`` points winding from Almaty towards Ürümqi."""
    coords = [
        [round(76.9 + 10.6 * i / vertices, 6), round(43.25 + 0.3 * math.sin(i / 50) + 0.6 * i / vertices, 6)]
        for i in range(vertices)
    ]
    feature = {
        "type": "Feature",
        "properties": {"name": "Survey line"},
        "geometry": {"type": "LineString", "coordinates": coords},
    }
    return json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()


def _times(store: SqlStore, content: bytes, repeat: int) -> tuple[list[float], list[float]]:
    share = store.create("Bench")
    layer = upload_layer("up_bench", "survey.geojson", ingest("survey.geojson", content), 0)
    saves, opens = [], []
    for n in range(repeat):
        start = time.perf_counter()
        item = upload_item("up_bench", SavedUpload("survey.geojson", f"Survey {n}", content), layer.frame)
        store.save(share.workspace_id, share.edit_token, [item])
        saves.append(time.perf_counter() - start)
        start = time.perf_counter()
        opened = store.open(share.workspace_id, share.edit_token)
        again = read_upload(opened.items[("upload", "up_bench")])
        reopened = upload_layer("up_bench", again.title, ingest(again.name, again.content), 0)
        _ = reopened.page_data
        opens.append(time.perf_counter() - start)
    return saves, opens


def main() -> None:
    """Time saves and reopens on each database and print median and worst against the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default="", help="a PostgreSQL/PostGIS server to measure")
    args = parser.parse_args()
    content = _line_file(VERTICES)
    print(f"workspace with a {VERTICES:,}-vertex upload ({len(content) / 1e6:.1f} MB GeoJSON)")
    print(f"{'database':<18}{'step':<34}{'median s':>9}{'worst s':>9}{'target s':>9}  met")
    with ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        stores: list[tuple[str, SqlStore | str]] = [("embedded SQLite", open_store(Path(folder) / "ws.db", url=""))]
        url = args.database_url
        if not url:
            from tests.pg_server import PostgresMissing, throwaway_postgis

            try:
                url = stack.enter_context(throwaway_postgis(durable=True))
            except PostgresMissing as err:
                stores.append(("PostGIS", f"not measured: {err}"))
        if url:
            stores.append(("PostGIS", open_store(Path(folder) / "unused.db", url=url)))
        for name, store in stores:
            if isinstance(store, str):
                print(f"{name:<18}{store}")
                continue
            saves, opens = _times(store, content, args.repeat)
            for step, times in (("save", saves), ("reopen (read, ingest, page data)", opens)):
                met = "yes" if max(times) <= TARGET_S else "NO"
                print(f"{name:<18}{step:<34}{statistics.median(times):>9.2f}{max(times):>9.2f}{TARGET_S:>9.1f}  {met}")


if __name__ == "__main__":
    main()
