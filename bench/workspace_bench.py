"""Benchmark: saving and reopening a workspace that holds a 100,000-vertex upload (embedded database). Prints a table.

Run: uv run python bench/workspace_bench.py [--repeat N]
Target: save ≤ 1 s and reopen ≤ 1 s. Saving writes the file as given; reopening reads it from the
database and through the same reading as any upload (ingest, the layer record, its page data).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import time
from pathlib import Path

from geo.ingest import ingest
from layers.uploads import upload_layer
from layers.workspace_items import SavedUpload, read_upload, upload_item
from layers.workspace_store import SqliteStore

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


def main() -> None:
    """Time saves and reopens and print median and worst against the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    content = _line_file(VERTICES)
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "workspaces.db")
        share = store.create("Bench")
        layer = upload_layer("up_bench", "survey.geojson", ingest("survey.geojson", content), 0)
        saves, opens = [], []
        for n in range(args.repeat):
            saved = SavedUpload("survey.geojson", f"Survey {n}", content)
            item = upload_item("up_bench", saved, features=len(layer.frame), bounds=tuple(layer.frame.total_bounds))
            start = time.perf_counter()
            store.save(share.workspace_id, share.edit_token, [item])
            saves.append(time.perf_counter() - start)
            start = time.perf_counter()
            opened = store.open(share.workspace_id, share.edit_token)
            again = read_upload(opened.items[("upload", "up_bench")])
            reopened = upload_layer("up_bench", again.title, ingest(again.name, again.content), 0)
            _ = reopened.page_data
            opens.append(time.perf_counter() - start)
    print(f"workspace with a {VERTICES:,}-vertex upload ({len(content) / 1e6:.1f} MB GeoJSON), embedded SQLite")
    print(f"{'step':<34}{'median s':>9}{'worst s':>9}{'target s':>9}  met")
    for name, times in (("save", saves), ("reopen (read, ingest, page data)", opens)):
        met = "yes" if max(times) <= TARGET_S else "NO"
        print(f"{name:<34}{statistics.median(times):>9.2f}{max(times):>9.2f}{TARGET_S:>9.1f}  {met}")


if __name__ == "__main__":
    main()
