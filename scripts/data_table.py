"""Print the README's line table: every line of every line layer, published vs measured length (geodesic, WGS84).

Run from the repository root::

    uv run python scripts/data_table.py     # Markdown, as pasted into the README's Data section

tests/test_readme.py checks that the README's table says what this prints for the committed data.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from geo.measure import geodesic_length_km
from layers.catalog import Catalog, default_catalog
from layers.load import load_layer

HEADER = ("layer", "line", "status", "published, km", "measured, km", "difference", "bridged, km", "geometry")


def _km(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):,.1f}"


def _geometry(row: pd.Series) -> str:
    traced = row.get("geometry_source")
    if isinstance(traced, str) and traced:
        return "traced: " + traced.split(":", 1)[0].split(", ", 1)[0].replace("data/sources/", "")
    return f"drawn through sourced stations, towns or points ({row['location_precision']})"


def line_rows(catalog: Catalog) -> Iterator[tuple[str, ...]]:
    """One row per line feature: the cells of :data:`HEADER`."""
    for spec in catalog.layers:
        if spec.geometry != "line":
            continue
        gdf = load_layer(spec)
        measured = geodesic_length_km(gdf)
        for fid, row in gdf.iterrows():
            published = row.get("length_km_reported")
            has_published = published is not None and not pd.isna(published) and float(published) > 0
            diff = f"{(measured[fid] / float(published) - 1) * 100:+.1f} %" if has_published else "—"
            bridged = row.get("bridged_km")
            yield (
                spec.title,
                str(row["name"]),
                str(row["status"]),
                _km(published),
                _km(measured[fid]),
                diff,
                _km(bridged),
                _geometry(row),
            )


def markdown(catalog: Catalog) -> str:
    """The table as Markdown."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in line_rows(catalog)]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(default_catalog()))
