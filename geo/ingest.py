"""Users' own geodata made into a layer: read (:mod:`geo.formats`), typed, checked and repaired.

Every problem names the file, the feature (id or index) and the field. Problems that make the
data unusable raise :class:`~geo.errors.LayerValidationError` (or ``LayerReadError``/``CRSError``);
repairs the reader can make honestly (reprojection, ``make_valid``, display simplification) are
reported as notices.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import antimeridian
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj.exceptions import CRSError as CRSError_
from pyproj.exceptions import ProjError
from shapely.geometry.base import BaseGeometry

from geo.columns import ColumnType, type_columns
from geo.crs import REGION_BBOX, WGS84
from geo.display import display_copy, vertex_count
from geo.errors import CRSError, LayerReadError, LayerValidationError, Problem
from geo.formats import SUPPORTED_SUFFIXES, IngestLimits, read_upload, reader_said
from geo.kinds import geometry_kind, kinds_of
from geo.validate import out_of_range

__all__ = ["SUPPORTED_SUFFIXES", "IngestLimits", "Ingested", "ingest"]

_ALLOWED_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}


@dataclass
class Ingested:
    """A user layer ready to draw: full-precision features, a display copy, and notices."""

    name: str
    frame: gpd.GeoDataFrame
    display: gpd.GeoDataFrame
    notices: list[Problem] = field(default_factory=list)
    digest: str = ""  # SHA-256 of the file: the same file is the same layer
    column_types: dict[str, ColumnType] = field(default_factory=dict)  # decided once, at ingest
    display_tolerance_deg: float = 0.0  # how far the display copy may stray from ``frame`` (0: it is the frame)

    @property
    def geometry_kind(self) -> str:
        """``point``, ``line`` or ``polygon``: the most common kind in the layer."""
        return geometry_kind(self.frame)


# --- checks and repairs ---------------------------------------------------------------------------


#: GDAL's warning that a GeoJSON column of mixed types was left as text: type_columns decides and reports instead.
_COLUMN_TYPING_WARNING = re.compile(r"Could not parse column .* as JSON")


def _fail(name: str, message: str) -> LayerReadError:
    return LayerReadError(f"{name}: {message}")


def _label(gdf: gpd.GeoDataFrame, position: int) -> str:
    return repr(str(gdf["id"].iloc[position]))


def _ids(gdf: gpd.GeoDataFrame, name: str, notices: list[Problem]) -> gpd.GeoDataFrame:
    """Give every feature a unique text id: its own where it has one, else ``<file stem>-<n>``.

    A repeated id becomes ``<id>~2``, ``<id>~3`` …, skipping any name another feature already has.
    """
    stem = Path(name).stem
    given = gdf["id"].tolist() if "id" in gdf.columns else [None] * len(gdf)
    ids = [_id_text(v) or f"{stem}-{i + 1}" for i, v in enumerate(given)]
    taken = set(ids)
    seen: Counter[str] = Counter()
    unique = []
    for value in ids:
        seen[value] += 1
        if seen[value] == 1:
            unique.append(value)
            continue
        number = seen[value]
        while f"{value}~{number}" in taken:
            number += 1
        unique.append(f"{value}~{number}")
        taken.add(unique[-1])
    for value, count in sorted(seen.items()):
        if count > 1:
            message = f"used by {count} features; the repeats were renamed {value}~2 …"
            notices.append(Problem(name, repr(value), "id", message))
    gdf = gdf.drop(columns=["id"]) if "id" in gdf.columns else gdf
    gdf.insert(0, "id", pd.Series(unique, index=gdf.index, dtype="str"))
    return gdf


def _id_text(value: object) -> str | None:
    if value is None or isinstance(value, (list, dict, np.ndarray)):
        return None
    if isinstance(value, float):
        if not np.isfinite(value):
            return None
        return str(int(value)) if value.is_integer() else str(value)
    text = str(value).strip()
    return text[:200] or None


def _coordinate_problems(name: str, gdf: gpd.GeoDataFrame) -> list[Problem]:
    problems = []
    for position, geom in enumerate(gdf.geometry):
        finite = np.isfinite(shapely.get_coordinates(geom)).all()
        message = out_of_range(geom) if finite else "has coordinates that are not finite numbers (NaN or infinity)"
        if message:
            problems.append(Problem(name, _label(gdf, position), "geometry", message))
    return problems


def _looks_swapped(gdf: gpd.GeoDataFrame) -> bool:
    coords = shapely.get_coordinates(gdf.geometry.to_numpy())
    if len(coords) == 0:
        return False
    west, south, east, north = REGION_BBOX  # used only to spot swapped lon/lat
    inside = (
        (coords[:, 0] >= west) & (coords[:, 0] <= east) & (coords[:, 1] >= south) & (coords[:, 1] <= north)
    ).mean()
    flipped = (
        (coords[:, 1] >= west) & (coords[:, 1] <= east) & (coords[:, 0] >= south) & (coords[:, 0] <= north)
    ).mean()
    return bool(flipped > 0.8 and inside < 0.2)


def _geometry_checks(name: str, gdf: gpd.GeoDataFrame, notices: list[Problem]) -> gpd.GeoDataFrame:
    """Refuse missing, unsupported or non-finite geometry, naming each feature (checked as arrays, not per row)."""
    geoms = gdf.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    kinds = np.array([str(t) for t in gdf.geom_type.fillna("")])
    unsupported = ~missing & ~np.isin(kinds, list(_ALLOWED_TYPES))
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    non_finite = np.zeros(len(gdf), dtype=bool)
    non_finite[owner[~np.isfinite(coords).all(axis=1)]] = True
    problems = []
    for position in np.flatnonzero(missing | unsupported | non_finite):
        if missing[position]:
            message = "is missing or empty; give the feature a geometry or remove it"
        elif unsupported[position]:
            message = f"type {kinds[position]} is not supported; use points, lines or polygons"
        else:
            message = "has coordinates that are not finite numbers (NaN or infinity)"
        problems.append(Problem(name, _label(gdf, position), "geometry", message))
    if problems:
        raise LayerValidationError(name, problems)
    kinds = Counter(kinds_of(gdf.geometry.to_numpy()))
    if len(kinds) > 1:
        detail = ", ".join(f"{n} {k}s" for k, n in sorted(kinds.items()))
        notices.append(Problem(name, "-", "geometry", f"mixed geometry types ({detail}); drawn together in one layer"))
    return gdf


def _repair_invalid(name: str, gdf: gpd.GeoDataFrame, notices: list[Problem]) -> gpd.GeoDataFrame:
    """Repair invalid geometry in WGS84, where the layer is used (a ring valid in its own CRS may cross itself here)."""
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        for position in np.flatnonzero(invalid.to_numpy()):
            reason = shapely.is_valid_reason(gdf.geometry.iloc[position])
            notices.append(
                Problem(name, _label(gdf, position), "geometry", f"was invalid ({reason}); repaired with make_valid")
            )
        gdf.loc[invalid, gdf.geometry.name] = _repaired(gdf.geometry[invalid].to_numpy())
        collapsed = [
            Problem(name, _label(gdf, p), "geometry", "has no area or length left once repaired; fix or remove it")
            for p in np.flatnonzero((invalid & gdf.geometry.is_empty).to_numpy())
        ]
        if collapsed:
            raise LayerValidationError(name, collapsed)
    return gdf


def _repaired(geoms: np.ndarray) -> np.ndarray:
    """Valid geometry of the same kind where possible: polygons stay polygonal (no stray lines), lines keep their parts.

    A line of one repeated point becomes that point (``make_valid`` keeps collapsed parts).
    """
    polygonal = np.isin(shapely.get_type_id(geoms), [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
    repaired = np.array(geoms, dtype=object)
    repaired[polygonal] = shapely.make_valid(geoms[polygonal], method="structure", keep_collapsed=False)
    repaired[~polygonal] = shapely.make_valid(geoms[~polygonal])
    return repaired


def _to_wgs84(name: str, gdf: gpd.GeoDataFrame, notices: list[Problem]) -> gpd.GeoDataFrame:
    """Reproject to WGS84 with a notice; a CRS that cannot be placed on the Earth is refused."""
    crs = gdf.crs
    if crs.equals(WGS84):
        return gdf
    if not (crs.is_geographic or crs.is_projected):
        raise CRSError(
            f"{name}: the CRS {crs.name!r} is a local or engineering CRS that cannot be placed on the Earth; "
            "reproject the file to WGS84 or to a projected CRS with a datum, then upload it again"
        )
    try:
        projected = gdf.to_crs(WGS84)
    except (CRSError_, ProjError, ValueError) as err:
        raise CRSError(f"{name}: cannot reproject from {crs.name!r} to WGS84 ({err}); reproject it first") from err
    notices.append(Problem(name, "-", "crs", f"reprojected from {crs.to_string()[:80]} to WGS84 (EPSG:4326)"))
    return projected


def _antimeridian(name: str, gdf: gpd.GeoDataFrame, notices: list[Problem]) -> gpd.GeoDataFrame:
    """Split lines and polygons that cross the antimeridian (±180°) there, so none is drawn round the world."""
    bounds = gdf.geometry.bounds
    wide = np.flatnonzero(((bounds["maxx"] - bounds["minx"]) > 180).to_numpy())
    crossing = [position for position in wide if _jumps_antimeridian(gdf.geometry.iloc[position])]
    if not crossing:
        return gdf
    column, problems = gdf.geometry.name, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", antimeridian.FixWindingWarning)
        for position in crossing:
            try:
                fixed = _split_at_antimeridian(gdf.geometry.iloc[position])
            except (ValueError, AssertionError, shapely.errors.GEOSException):  # the library asserts on some rings
                message = "crosses the antimeridian (±180°) in a way that cannot be split; split it at ±180° yourself"
                problems.append(Problem(name, _label(gdf, position), "geometry", message))
                continue
            gdf.iloc[position, gdf.columns.get_loc(column)] = fixed
    if problems:
        raise LayerValidationError(name, problems)
    labels = ", ".join(_label(gdf, p) for p in crossing[:3]) + (" …" if len(crossing) > 3 else "")
    notices.append(
        Problem(name, labels, "geometry", "crosses the antimeridian (±180°): split there, so it is drawn once")
    )
    return gdf


def _split_at_antimeridian(geom: BaseGeometry) -> BaseGeometry:
    """The geometry split at ±180°, without the zero-length slivers the split leaves on the meridian."""
    split = shapely.geometry.shape(antimeridian.fix_shape(geom))
    parts = [p for p in shapely.get_parts(split) if (p.area if "Polygon" in p.geom_type else p.length) > 0]
    if not parts:
        raise ValueError("nothing left after the split")
    joined = shapely.multipolygons(parts) if "Polygon" in parts[0].geom_type else shapely.multilinestrings(parts)
    single = parts[0] if len(parts) == 1 else joined
    return _repaired(np.array([single], dtype=object))[0]


def _jumps_antimeridian(geom: BaseGeometry) -> bool:
    """Whether a line or polygon has a segment spanning more than 180° of longitude (it crosses ±180°)."""
    if geom.geom_type not in {"LineString", "MultiLineString", "Polygon", "MultiPolygon"}:
        return False
    for part in shapely.get_parts(geom):
        rings = [part] if part.geom_type == "LineString" else [part.exterior, *part.interiors]
        for ring in rings:
            xs = shapely.get_coordinates(ring)[:, 0]
            if len(xs) > 1 and np.abs(np.diff(xs)).max() > 180:
                return True
    return False


def _display_copy(
    name: str, gdf: gpd.GeoDataFrame, limits: IngestLimits, notices: list[Problem]
) -> tuple[gpd.GeoDataFrame, float]:
    display, tolerance = display_copy(gdf, max_vertices=limits.display_vertices)
    if tolerance:
        kept = vertex_count(display)
        message = f"{kept:,} vertices after simplifying for display; measurements use full precision"
        notices.append(Problem(name, "-", "geometry", message))
    return display, tolerance


def ingest(name: str, content: bytes, *, limits: IngestLimits = IngestLimits()) -> Ingested:
    """Read an uploaded file into a WGS84 layer, or raise an error that says what to fix.

    Parameters
    ----------
    name
        The file's name (its extension picks the format).
    content
        The file's bytes.
    limits
        Size and zip limits.

    Raises
    ------
    LayerReadError
        Not a supported or readable geo file, empty, over a limit, or an unsafe zip.
    CRSError
        The format needs a CRS and the file has none (it is never guessed).
    LayerValidationError
        Features with unusable geometry or coordinates, each named with its field.
    """
    if not content:
        raise _fail(name, "the file is empty")
    if len(content) > limits.max_bytes:
        raise _fail(name, f"{len(content) / 1e6:,.1f} MB is over the {limits.max_bytes / 1e6:,.0f} MB upload limit")
    notices: list[Problem] = []
    with (
        tempfile.TemporaryDirectory(prefix="corridor-atlas-upload-") as folder,
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        gdf = read_upload(name, content, Path(folder), limits)
    for message in dict.fromkeys(str(w.message) for w in caught):
        if _COLUMN_TYPING_WARNING.match(message):
            continue  # the reader's guess at a mixed column: columns are typed below, with notices of their own
        notices.append(Problem(name, "-", "file", f"reader warning: {reader_said(Warning(message), name)}"))
    if len(gdf) == 0:
        raise _fail(name, "the file holds no features")
    if len(gdf) > limits.max_features:
        raise _fail(name, f"{len(gdf):,} features is over the {limits.max_features:,} limit")
    if gdf.crs is None:
        raise CRSError(f"{name}: the file declares no CRS, and it is never guessed; save it with its CRS")
    gdf = _ids(gdf.reset_index(drop=True), name, notices)
    typed = type_columns(gdf, file=name)
    gdf = typed.frame
    notices.extend(typed.notices)
    gdf = _geometry_checks(name, gdf, notices)
    gdf = _to_wgs84(name, gdf, notices)
    problems = _coordinate_problems(name, gdf)
    if _looks_swapped(gdf):
        problems.append(
            Problem(
                name,
                "-",
                "geometry",
                "coordinates look like lat,lon instead of lon,lat (swapped); swap them and upload again",
            )
        )
    if problems:
        raise LayerValidationError(name, problems)
    gdf = _repair_invalid(name, gdf, notices)
    gdf = _antimeridian(name, gdf, notices)
    gdf.index = pd.Index(gdf["id"], name="feature_id")
    display, tolerance = _display_copy(name, gdf, limits, notices)
    return Ingested(name, gdf, display, notices, hashlib.sha256(content).hexdigest(), typed.types, tolerance)
