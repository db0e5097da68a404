"""Reading users' files in many formats, safely: zip checks, declared CRSs, readers' errors said plainly.

Everything here turns bytes into a GeoDataFrame as the file has it, or raises a project error that
names the file; :mod:`geo.ingest` checks and repairs what was read.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS
from pyproj.exceptions import CRSError as CRSError_

from geo.crs import WGS84
from geo.errors import CorridorAtlasError, CRSError, LayerReadError

__all__ = ["SUPPORTED_SUFFIXES", "IngestLimits", "read_upload", "reader_said", "sanitise"]

SUPPORTED_SUFFIXES: tuple[str, ...] = (".geojson", ".json", ".gpkg", ".zip", ".kml", ".fgb", ".csv")
_SHAPEFILE_PARTS = {".shp", ".shx", ".dbf", ".prj", ".cpg"}


@dataclass(frozen=True)
class IngestLimits:
    """Hard limits for one upload; past them the file is refused with a clear message."""

    max_bytes: int = 50 * 1024 * 1024
    max_features: int = 200_000
    display_vertices: int = 200_000
    zip_max_members: int = 200
    zip_max_bytes: int = 500 * 1024 * 1024
    zip_max_ratio: float = 100.0


def _fail(name: str, message: str) -> LayerReadError:
    return LayerReadError(f"{name}: {message}")


def _safe_zip_members(name: str, archive: zipfile.ZipFile, limits: IngestLimits) -> list[zipfile.ZipInfo]:
    members = archive.infolist()
    if len(members) > limits.zip_max_members:
        raise _fail(name, f"the zip holds {len(members)} files (limit {limits.zip_max_members})")
    total = sum(m.file_size for m in members)
    packed = max(1, sum(m.compress_size for m in members))
    if total > limits.zip_max_bytes or total / packed > limits.zip_max_ratio:
        raise _fail(name, f"the zip unpacks to {total:,} bytes ({total / packed:.0f}× its size): refused as a zip bomb")
    wanted = []
    for member in members:
        path = PurePosixPath(member.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts:
            raise _fail(name, f"the zip entry {member.filename!r} points outside the archive: refused")
        if path.suffix.lower() in _SHAPEFILE_PARTS and not path.name.startswith("."):
            wanted.append(member)
    return wanted


def _read_zip(name: str, content: bytes, folder: Path, limits: IngestLimits) -> gpd.GeoDataFrame:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        raise _fail(name, "not a valid zip file") from err
    with archive:
        members = _safe_zip_members(name, archive, limits)
        shapefiles = [m for m in members if m.filename.lower().endswith(".shp")]
        if len(shapefiles) != 1:
            raise _fail(name, f"a zipped Shapefile must hold exactly one .shp (found {len(shapefiles)})")
        stem = PurePosixPath(shapefiles[0].filename).with_suffix("")
        for member in members:
            path = PurePosixPath(member.filename)
            if path.with_suffix("") == stem:
                (folder / f"layer{path.suffix.lower()}").write_bytes(_zip_member(name, archive, member))
    if not (folder / "layer.prj").exists():
        raise CRSError(f"{name}: the Shapefile has no .prj, so its CRS is unknown; add the .prj to the zip")
    return pyogrio.read_dataframe(folder / "layer.shp")


def _zip_member(name: str, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """A member's bytes, or a refusal that says why (encrypted, damaged, unsupported compression)."""
    if member.flag_bits & 0x1:
        raise _fail(name, f"the zip entry {member.filename!r} is encrypted; zip it again without a password")
    try:
        return archive.read(member)
    except NotImplementedError as err:
        raise _fail(
            name,
            f"the zip entry {member.filename!r} uses a compression method that cannot be read; "
            "zip it again with the usual (deflate) method",
        ) from err
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError) as err:
        raise _fail(name, f"the zip entry {member.filename!r} is damaged ({err})") from err


def _declared_crs(name: str, data: dict[str, Any]) -> CRS | None:
    """The CRS a GeoJSON file names in its (pre-RFC 7946) ``crs`` member; unknown names are refused."""
    member = data.get("crs")
    if member is None:
        return None
    crs_name = member.get("properties", {}).get("name") if isinstance(member, dict) else None
    if not isinstance(crs_name, str) or not isinstance(member.get("properties"), dict):
        raise CRSError(f"{name}: the 'crs' member is not a named CRS; remove it (GeoJSON is WGS84 lon/lat)")
    try:
        return CRS.from_user_input(crs_name)
    except (CRSError_, ValueError, TypeError) as err:
        raise CRSError(
            f"{name}: the file declares the CRS {crs_name[:80]!r}, which is not known, and a CRS is never guessed; "
            "save the file as WGS84 lon/lat (RFC 7946) or with an EPSG code"
        ) from err


def _read_geojson(name: str, content: bytes, folder: Path) -> gpd.GeoDataFrame:
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise _fail(name, "not UTF-8 text; GeoJSON must be UTF-8") from err
    except json.JSONDecodeError as err:
        raise _fail(name, f"malformed JSON at line {err.lineno}, column {err.colno}: {err.msg}") from err
    except RecursionError as err:
        raise _fail(name, "the JSON is nested too deeply to be GeoJSON") from err
    if not isinstance(data, dict) or data.get("type") not in {"FeatureCollection", "Feature"}:
        raise _fail(name, "JSON, but not GeoJSON: expected a FeatureCollection or a Feature")
    if data.get("type") == "FeatureCollection" and not data.get("features"):
        raise _fail(name, "the FeatureCollection has no features")
    declared = _declared_crs(name, data)
    path = folder / "layer.geojson"
    path.write_bytes(content)
    gdf = pyogrio.read_dataframe(path)
    return gdf.set_crs(declared, allow_override=True) if declared is not None else gdf


def _csv_geometry(name: str, table: pd.DataFrame) -> gpd.GeoDataFrame:
    columns = {str(c).strip().lower(): c for c in table.columns}
    lon = next((columns[c] for c in ("lon", "lng", "long", "longitude", "x") if c in columns), None)
    lat = next((columns[c] for c in ("lat", "latitude", "y") if c in columns), None)
    wkt = next((columns[c] for c in ("wkt", "geometry", "geom") if c in columns), None)
    if lon is not None and lat is not None:
        xs = pd.to_numeric(table[lon], errors="coerce")
        ys = pd.to_numeric(table[lat], errors="coerce")
        bad = table.index[xs.isna() | ys.isna() | ~np.isfinite(xs) | ~np.isfinite(ys)]
        if len(bad):
            raise _fail(name, f"row {int(bad[0]) + 2}: {lon!r}/{lat!r} must be numbers")
        geometry = gpd.points_from_xy(xs, ys)
        rest = table.drop(columns=[lon, lat])
    elif wkt is not None:
        texts = table[wkt]
        missing = table.index[texts.isna()]
        if len(missing):
            raise _fail(name, f"row {int(missing[0]) + 2}: {wkt!r} is empty; every row needs a WKT geometry")
        try:
            geometry = shapely.from_wkt(texts.astype(str))
        except shapely.errors.GEOSException as err:
            raise _fail(name, f"column {wkt!r} holds text that is not WKT ({err})") from err
        rest = table.drop(columns=[wkt])
    else:
        raise _fail(name, "a CSV needs lon and lat columns (or a WKT column named wkt or geometry)")
    # CSV carries no CRS: lon/lat and WKT columns are read as WGS84 degrees, as documented.
    return gpd.GeoDataFrame(rest, geometry=geometry, crs=WGS84)


def read_upload(name: str, content: bytes, folder: Path, limits: IngestLimits) -> gpd.GeoDataFrame:
    """Read a file by its extension, working in ``folder``; a project error naming the file if it cannot be read."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        raise _fail(name, f"not a supported geo file; upload one of {supported} (Shapefiles as .zip)")
    try:
        return _read_by_suffix(name, suffix, content, folder, limits)
    except CorridorAtlasError:
        raise
    except shapely.errors.GEOSException as err:
        raise _fail(name, f"a geometry cannot be read ({err}); a line needs 2+ points, a ring 4+") from err
    except RecursionError as err:
        raise _fail(name, "the file is nested too deeply to read") from err
    except (DataSourceError, DataLayerError) as err:  # GDAL says what it could not read: pass that on
        raise _fail(name, f"not a readable {suffix} file ({reader_said(err, name)})") from err
    except Exception as err:  # a reader failing inside on a damaged file: its own words would mean nothing here
        raise _fail(
            name, f"not a readable {suffix} file: it is damaged or not in that format; save or export it again"
        ) from err


def _read_by_suffix(name: str, suffix: str, content: bytes, folder: Path, limits: IngestLimits) -> gpd.GeoDataFrame:
    if suffix == ".zip":
        return _read_zip(name, content, folder, limits)
    if suffix in {".geojson", ".json"}:
        return _read_geojson(name, content, folder)
    if suffix == ".csv":
        try:
            table = pd.read_csv(io.BytesIO(content))
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
            raise _fail(name, f"not a readable CSV ({reader_said(err, name)})") from err
        return _csv_geometry(name, table)
    path = folder / f"layer{suffix}"
    path.write_bytes(content)
    return pyogrio.read_dataframe(path)


#: A path in a reader's temporary folder (``/tmp/corridor-atlas-upload-xyz/layer.gpkg``, maybe behind a
#: GDAL virtual file system prefix), or the bare ``/layer.shp`` a reader names.
_TEMP_PATH = re.compile(
    rf"(?:/vsi\w+/+)?(?:{re.escape(tempfile.gettempdir())}/)?corridor-atlas-upload-[\w-]*(?:/layer\.\w+)?"
    r"|(?<![\w./-])/layer\.\w+"
)
#: Where a message splits into pieces: brackets, line ends, and sentence ends (not the dots of a file
#: name, of "e.g." or of "i.e."). A piece never holds a bracket, so dropping one keeps them paired.
_PIECE_END = re.compile(r"[()\n]|(?:(?<!\be\.g)(?<!\bi\.e)[.!?]|;)(?=[\s)]|$)")
#: GDAL's advice about its own settings or drivers, which someone uploading a file cannot act on.
_ADVICE = re.compile(
    r"configuration option|config option|environment variable|specify the correct driver"
    r"|\b(?:OGR|GDAL|CPL|VSI|OSR|GPKG|SHAPE|SQLITE)_[A-Z0-9_]+\b"
)


def sanitise(text: str, name: str) -> str:
    """A reader's message fit for the uploader: server paths become ``name``, advice on GDAL settings goes.

    Parameters
    ----------
    text
        The message as the reader wrote it.
    name
        The uploaded file's name.
    """
    text = _TEMP_PATH.sub(name, text)
    pieces, start = [], 0
    for end in _PIECE_END.finditer(text):
        if end.group() in "()\n":
            pieces += [text[start : end.start()], end.group()]
        else:
            pieces.append(text[start : end.end()])
        start = end.end()
    pieces.append(text[start:])
    kept = [piece for piece in pieces if not _ADVICE.search(piece)]
    if len(kept) == len(pieces):
        return text
    text = "".join(kept)
    text = re.sub(r"([.;])(?:[ \t]*;)+", r"\1", text)  # the stops left around a dropped sentence
    text = re.sub(r"[ \t]*;[ \t]*(?=\)|$)", "", text, flags=re.MULTILINE)
    text = re.sub(r"\([ \t]*\)", "", text)
    return re.sub(r"(?<=\S)[ \t]{2,}", " ", text).strip()


def reader_said(err: BaseException, name: str) -> str:
    r"""A reader's message for the user: its first line, :func:`sanitise`\ d, and no other server path."""
    lines = str(err).strip().splitlines()
    text = sanitise(lines[0], name) if lines else ""
    text = re.sub(r"(/[\w.\-]+)+/", "", text)  # any other absolute path: keep the file name only
    return text.strip(" :;,")[:300] or type(err).__name__
