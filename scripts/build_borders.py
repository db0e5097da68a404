"""Build the basemap's country polygons and land borders from OpenStreetMap-derived borders.

Natural Earth 1:10m runs kilometres off the Kazakhstan–China border (2.5–5 km at Khorgos; it
puts Alashankou in Kazakhstan), so ``data/basemap/countries.geojson`` and ``boundaries.geojson``
are rebuilt here from the OpenStreetMap country polygons of the npm package
``@osm_borders/maritime_10m`` (ODbL, © OpenStreetMap contributors), fetched with ``npm pack``
into a temporary folder (nothing is installed or kept).

Those polygons are *maritime*: they include territorial waters and OpenStreetMap's division of
the Caspian Sea. Only the land borders are taken from them: every polygon is intersected with
Natural Earth 1:10m land (the union of ``ne_10m_admin_0_countries``, read from the ``basemap``
dependency group as ``scripts/build_basemap.py`` does), so coasts stay exactly where
``coastline.geojson`` draws them and the Caspian and Yellow Seas add no land area. Where the
simplified OpenStreetMap polygons overlap or leave a gap on land (slivers along borders, a few
disputed areas), the piece goes to the country Natural Earth puts it in (else to the neighbour
sharing the longest edge with it), so the countries partition the land with no overlap.

``countries.geojson`` keeps the columns of the Natural Earth build (``name``, ``iso_a3``,
``sovereign``, the last two looked up in Natural Earth by the ISO code); ``boundaries.geojson``
holds the shared edges of the written polygons (``featurecla``, ``adm0_a3_l``, ``adm0_a3_r``,
each line oriented with the first country on its left). Coordinates are rounded to 4 decimals
like the rest of the basemap; the same package version gives the same files.

Run from the repository root, after ``scripts/build_basemap.py`` (which writes the Natural Earth
borders; needs ``npm`` on the PATH)::

    uv sync --group basemap
    uv run --group basemap python scripts/build_borders.py
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from build_basemap import (
    BBOX,
    LAYERS,
    OUTPUT_DIR,
    REPO_ROOT,
    clip_to_region,
    keep_dimension,
    locate_layer,
    read_layer,
    repair_invalid,
    round_coordinates,
    write_geojson,
)
from shapely.geometry import LineString, MultiLineString, box
from shapely.geometry.base import BaseGeometry

from geo.measure import geodesic_length_km

#: The npm package holding the OpenStreetMap country polygons, and the file read from it.
PACKAGE = "@osm_borders/maritime_10m"
PACKAGE_VERSION = "1.1.0"
PACKAGE_FILE = "package/borders.geo.json"
REBUILD_COMMAND = "uv run --group basemap python scripts/build_borders.py"
ATTRIBUTION = "Borders © OpenStreetMap contributors (ODbL)"
#: Natural Earth's placeholder for "no code".
NE_MISSING_CODE = "-99"
#: Grid (degrees) the shared edges are computed on: the rounding grid of the written polygons.
EDGE_GRID = 1e-4
#: Coverage simplification of the land borders (degrees, Visvalingam–Whyatt; coasts untouched):
#: keeps the Kazakhstan–China line within 0.4 km of the package's (99 % within 0.16 km) with a
#: third of its vertices, so the basemap stays light enough for the page and the metrics.
SIMPLIFY_TOLERANCE = 0.002


@dataclass
class BorderBuild:
    """What the build produced, for the report and ``SOURCE.md``."""

    tarball_sha1: str
    countries: gpd.GeoDataFrame
    boundaries: gpd.GeoDataFrame
    reassigned: int
    reassigned_km2: float


def fetch_package(folder: Path) -> tuple[dict, str]:
    """``npm pack`` the package into ``folder`` and read its border file.

    Returns
    -------
    tuple[dict, str]
        The parsed GeoJSON and the SHA-1 of the tarball.
    """
    spec = f"{PACKAGE}@{PACKAGE_VERSION}"
    done = subprocess.run(
        ["npm", "pack", spec, "--pack-destination", str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = folder / done.stdout.strip().splitlines()[-1]
    sha1 = hashlib.sha1(tarball.read_bytes()).hexdigest()
    with tarfile.open(tarball) as tar:
        meta = json.load(tar.extractfile("package/package.json"))
        if meta.get("version") != PACKAGE_VERSION:
            raise ValueError(f"{tarball.name} holds version {meta.get('version')}, not {PACKAGE_VERSION}")
        data = json.load(tar.extractfile(PACKAGE_FILE))
    return data, sha1


def osm_countries(data: dict) -> dict[str, BaseGeometry]:
    """OpenStreetMap country polygons (maritime) that reach the region, by ISO 3166-1 alpha-3 code."""
    region = box(*BBOX)
    found = {}
    for feature in data["features"]:
        geom = shapely.from_geojson(json.dumps(feature["geometry"]))
        geom = keep_dimension(shapely.make_valid(geom), 2)
        if geom is not None and geom.intersects(region):
            found[feature["properties"]["isoA3"]] = geom
    return dict(sorted(found.items()))


def natural_earth() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Natural Earth 1:10m countries clipped to the region, and every country's names by code.

    Returns
    -------
    tuple[geopandas.GeoDataFrame, pandas.DataFrame]
        Clipped countries with an ``iso_a3`` column, and a table indexed by code with ``name``
        (``NAME``) and ``sovereign`` (``SOVEREIGNT``), as ``scripts/build_basemap.py`` names them.
    """
    shp = locate_layer(next(spec for spec in LAYERS if spec.output == "countries.geojson"))
    table = pyogrio.read_dataframe(shp, read_geometry=False, columns=["NAME", "ISO_A3", "ADM0_A3", "SOVEREIGNT"])
    table["iso_a3"] = table["ISO_A3"].where(table["ISO_A3"] != NE_MISSING_CODE, table["ADM0_A3"])
    names = (
        table.drop_duplicates("iso_a3").set_index("iso_a3").rename(columns={"NAME": "name", "SOVEREIGNT": "sovereign"})
    )
    clipped, _ = repair_invalid(read_layer(shp), "NAME")
    clipped = clip_to_region(clipped)
    clipped["iso_a3"] = clipped["ISO_A3"].where(clipped["ISO_A3"] != NE_MISSING_CODE, clipped["ADM0_A3"])
    return clipped, names[["name", "sovereign"]]


def _owner(piece: BaseGeometry, parts: dict[str, BaseGeometry], ne: gpd.GeoDataFrame) -> str:
    """The country a contested piece of land goes to: Natural Earth's, else the longest shared edge."""
    point = piece.representative_point()
    hits = ne[ne.contains(point)]
    code = None if hits.empty else hits["iso_a3"].iloc[0]
    if code in parts:
        return code
    edge = {iso: shapely.intersection(piece.boundary, geom.buffer(1e-7)).length for iso, geom in parts.items()}
    return max(sorted(edge), key=edge.get)


def partition_land(osm: dict[str, BaseGeometry], ne: gpd.GeoDataFrame) -> tuple[dict[str, BaseGeometry], int, float]:
    """Cut the land of the region into the OpenStreetMap countries, with no overlap and no gap.

    Returns
    -------
    tuple[dict[str, BaseGeometry], int, float]
        Land polygon per code (codes left with no land dropped), the number of contested
        pieces reassigned, and their total area in km².
    """
    land = shapely.union_all(ne.geometry.to_numpy())
    on_land = {iso: shapely.intersection(geom, land) for iso, geom in osm.items()}
    on_land = {iso: geom for iso, geom in on_land.items() if geom.area > 0}
    codes = list(on_land)
    tree = shapely.STRtree(list(on_land.values()))
    exclusive = {}
    for i, iso in enumerate(codes):
        others = [codes[j] for j in tree.query(on_land[iso]) if j != i]
        exclusive[iso] = shapely.difference(on_land[iso], shapely.union_all([on_land[o] for o in others]))
    contested = shapely.difference(land, shapely.union_all(list(exclusive.values())))
    pieces = [p for p in shapely.get_parts(keep_dimension(contested, 2) or shapely.Polygon()) if p.area > 0]
    gained: dict[str, list[BaseGeometry]] = {iso: [] for iso in codes}
    for piece in pieces:
        near = {iso: exclusive[iso] for iso in codes if exclusive[iso].distance(piece) < 1e-6}
        gained[_owner(piece, near or exclusive, ne)].append(piece)
    result = {}
    for iso in codes:
        geom = keep_dimension(shapely.union_all([exclusive[iso], *gained[iso]]), 2)
        if geom is not None:
            result[iso] = geom
    area = gpd.GeoSeries(pieces, crs="EPSG:4326").to_crs("+proj=aea +lat_1=35 +lat_2=50 +lon_0=85").area
    return result, len(pieces), float(area.sum() / 1e6)


def _oriented(line: LineString, left: BaseGeometry) -> LineString:
    """The line, reversed if needed so that ``left`` lies on its left."""
    (x0, y0), (x1, y1) = line.coords[0], line.coords[1]
    length = float(np.hypot(x1 - x0, y1 - y0))
    offset = 2.5e-5 / length
    probe = shapely.Point((x0 + x1) / 2 - (y1 - y0) * offset, (y0 + y1) / 2 + (x1 - x0) * offset)
    return line if left.contains(probe) else line.reverse()


def shared_edges(countries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Land borders: the edges each pair of written country polygons share.

    Parameters
    ----------
    countries : geopandas.GeoDataFrame
        The rounded country polygons, with ``iso_a3``.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per pair of neighbours; ``adm0_a3_l`` is on the left of every line part.
    """
    rows = []
    geoms = countries.geometry.to_numpy()
    codes = countries["iso_a3"].to_list()
    tree = shapely.STRtree(geoms)
    for i, j in sorted(
        {(min(a, b), max(a, b)) for a, b in zip(*tree.query(geoms, predicate="intersects"), strict=True) if a != b}
    ):
        shared = shapely.intersection(geoms[i].boundary, geoms[j].boundary, grid_size=EDGE_GRID)
        lines = keep_dimension(shapely.line_merge(keep_dimension(shared, 1) or MultiLineString()), 1)
        if lines is None:
            continue
        parts = [_oriented(part, geoms[i]) for part in shapely.get_parts(lines)]
        rows.append(
            {
                "featurecla": "International boundary",
                "adm0_a3_l": codes[i],
                "adm0_a3_r": codes[j],
                "geometry": parts[0] if len(parts) == 1 else MultiLineString(parts),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def build(folder: Path) -> BorderBuild:
    """Fetch, partition, round and write the two files."""
    data, sha1 = fetch_package(folder)
    ne, names = natural_earth()
    parts, reassigned, reassigned_km2 = partition_land(osm_countries(data), ne)
    missing = sorted(set(parts) - set(names.index))
    if missing:
        raise ValueError(f"no Natural Earth name for {', '.join(missing)}")
    codes = list(parts)
    simplified = shapely.coverage_simplify(list(parts.values()), SIMPLIFY_TOLERANCE, simplify_boundary=False)
    countries = gpd.GeoDataFrame(
        {
            "name": names.loc[codes, "name"].to_list(),
            "iso_a3": codes,
            "sovereign": names.loc[codes, "sovereign"].to_list(),
        },
        geometry=list(simplified),
        crs="EPSG:4326",
    )
    countries, _, _ = round_coordinates(countries)
    countries = countries.reset_index(drop=True)
    boundaries, _, _ = round_coordinates(shared_edges(countries))
    write_geojson(countries, OUTPUT_DIR / "countries.geojson")
    write_geojson(boundaries.reset_index(drop=True), OUTPUT_DIR / "boundaries.geojson")
    return BorderBuild(sha1, countries, boundaries, reassigned, reassigned_km2)


def kazakhstan_china_km(boundaries: gpd.GeoDataFrame) -> float:
    """Geodesic length of the Kazakhstan–China border line, km."""
    pair = boundaries[
        ((boundaries["adm0_a3_l"] == "CHN") & (boundaries["adm0_a3_r"] == "KAZ"))
        | ((boundaries["adm0_a3_l"] == "KAZ") & (boundaries["adm0_a3_r"] == "CHN"))
    ]
    return float(geodesic_length_km(pair).sum())


SOURCE_SECTION = """## Borders: `countries.geojson` and `boundaries.geojson` (OpenStreetMap)

These two files are rebuilt from OpenStreetMap by `scripts/build_borders.py` after the Natural
Earth build above, because Natural Earth 1:10m runs 2.5–5 km west of the real border at Khorgos,
puts Alashankou inside Kazakhstan and is up to 16 km off elsewhere on the Kazakhstan–China line.

- **Source package:** npm `{package}@{version}` (fetched with `npm pack` into a temporary folder;
  tarball SHA-1 `{sha1}`), file `{file}`: OpenStreetMap country polygons including territorial
  waters, simplified to 10 m by the package. The package does not state the date of its
  OpenStreetMap data.
- **Method:** the polygons reaching the region are intersected with Natural Earth 1:10m land
  (the union of `ne_10m_admin_0_countries` above), so the coasts, the Caspian Sea and the
  Yellow Sea stay as Natural Earth draws them and no sea is counted as land; only the land
  borders come from OpenStreetMap. Where the simplified polygons overlap or leave a gap on land
  ({reassigned} pieces, {reassigned_km2:.1f} km² in all: slivers along borders and a few disputed
  areas), the piece goes to the country Natural Earth puts it in, else to the neighbour sharing
  the longest edge with it. The land borders are then simplified as a coverage (shared edges
  stay shared; `shapely.coverage_simplify`, tolerance {tolerance:g}°, coasts untouched): the
  Kazakhstan–China line stays within 0.4 km of the package's line (99 % within 0.16 km).
  Clipped to the region, coordinates rounded to 4 decimals.
- **Countries:** {countries} features, one per OpenStreetMap country; columns as above: `iso_a3`
  is the package's ISO 3166-1 alpha-3 code, `name` and `sovereign` are Natural Earth's `NAME`
  and `SOVEREIGNT` for that code (Baikonur and Siachen Glacier are no longer separate rows:
  OpenStreetMap puts them in Kazakhstan and India).
- **Boundaries:** {boundaries} features, the edges that each pair of written country polygons
  share (so the lines and the polygons agree exactly), `featurecla` "International boundary",
  `adm0_a3_l` on the left of every line and `adm0_a3_r` on its right. The Kazakhstan–China line
  is {kz_cn_km:,.0f} km long (geodesic).
- **Licence:** Open Database License (ODbL) 1.0. Attribution: "© OpenStreetMap contributors".

Rebuild (needs `npm`):

```sh
uv sync --group basemap
{command}
```
"""


def write_source_md(result: BorderBuild) -> Path:
    """Put the borders section into ``SOURCE.md`` (replacing an earlier one) and fix the table rows."""
    path = OUTPUT_DIR / "SOURCE.md"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\n## Borders:.*?(?=\n## |\Z)", "\n", text, flags=re.DOTALL).rstrip("\n") + "\n"
    osm = f"OpenStreetMap, npm `{PACKAGE}` {PACKAGE_VERSION} (see Borders below)"
    text = re.sub(
        r"^\| `countries.geojson` \|.*$",
        f"| `countries.geojson` | {osm}, land from `ne_10m_admin_0_countries` | 10 m | {len(result.countries)} |",
        text,
        flags=re.MULTILINE,
    )
    text = re.sub(
        r"^\| `boundaries.geojson` \|.*$",
        f"| `boundaries.geojson` | {osm}, shared edges of `countries.geojson` | 10 m | {len(result.boundaries)} |",
        text,
        flags=re.MULTILINE,
    )
    section = SOURCE_SECTION.format(
        package=PACKAGE,
        version=PACKAGE_VERSION,
        sha1=result.tarball_sha1,
        file=PACKAGE_FILE,
        reassigned=result.reassigned,
        reassigned_km2=result.reassigned_km2,
        countries=len(result.countries),
        boundaries=len(result.boundaries),
        kz_cn_km=kazakhstan_china_km(result.boundaries),
        command=REBUILD_COMMAND,
        tolerance=SIMPLIFY_TOLERANCE,
    )
    path.write_text(f"{text}\n{section}", encoding="utf-8")
    return path


def main() -> int:
    """Build the borders, check them and update ``SOURCE.md``.

    Returns
    -------
    int
        Process exit code: 0 when the checks passed, 1 otherwise.
    """
    with tempfile.TemporaryDirectory() as folder:
        result = build(Path(folder))
    problems = []
    countries = result.countries
    if not countries.geometry.is_valid.all():
        problems.append("countries: invalid geometry after rounding")
    for iso in ("KAZ", "CHN"):
        if iso not in set(countries["iso_a3"]):
            problems.append(f"countries: {iso} missing")
    print(f"{PACKAGE}@{PACKAGE_VERSION} (tarball SHA-1 {result.tarball_sha1})")
    print(f"countries.geojson: {len(countries)} features; boundaries.geojson: {len(result.boundaries)} features")
    print(f"contested land pieces reassigned: {result.reassigned} ({result.reassigned_km2:.1f} km²)")
    print(f"Kazakhstan–China border: {kazakhstan_china_km(result.boundaries):,.1f} km")
    print(f"wrote {write_source_md(result).relative_to(REPO_ROOT)}")
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
