"""Fuzzing the whole path of an upload: file → ingest → page data → panels' tables and analyses → every export.

Hypothesis generates small layers with mixed and missing property types (numbers, text, booleans,
None, NaN, nested dicts and lists, huge integers, empty strings, and the field names the atlas
reads: year, investment_usd, capacity_value, sources, aliases, name, id, status, layer, population,
length_km_reported), odd geometries (mixed kinds, duplicate vertices, zero-length lines,
self-intersecting polygons, coordinates at ±180/±90) and odd CRSs (EPSG:4326, 3857, 32643, a local
engineering CRS, none), written as GeoJSON, GeoPackage, FlatGeobuf, CSV (WKT column) or a zipped
Shapefile. Every step must return a result or raise the project's error, nothing else; and one
test opens every tab of the app with a generated layer uploaded.

Default runs: ``FUZZ_EXAMPLES`` (150) cases of the whole path, ``FUZZ_APP_EXAMPLES`` (10) of the app.
A longer run:
``FUZZ_EXAMPLES=5000 FUZZ_APP_EXAMPLES=200 uv run pytest tests/test_whole_path_fuzz.py -p no:cacheprovider``.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from hypothesis import HealthCheck, given, note, reject, settings
from hypothesis import strategies as st
from pyproj import CRS, Transformer
from shapely.geometry import LineString, MultiPoint, Point, Polygon, mapping

from geo.corridor import corridor_report
from geo.errors import CorridorAtlasError
from geo.ingest import Ingested, ingest
from geo.places import combine_points, crossing_places, label_column
from geo.search import search_features
from geo.summary import feature_table, figures_table
from layers.catalog import default_catalog
from layers.layer import LayerSet
from layers.load import catalog_layers, load_basemap_part, load_layer
from layers.popup import format_value
from layers.snapshot import ALL_FORMATS, SnapshotData, SnapshotRequest, make_snapshot
from layers.uploads import UPLOAD_GROUP, upload_layer
from tests.test_odd_inputs import LOCAL_CRS, _app_with, _corridor_step, _details_step, _no_traceback, _open

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
APP_EXAMPLES = int(os.environ.get("FUZZ_APP_EXAMPLES", "10"))
SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]
TEMP = tempfile.gettempdir()
CATALOG = default_catalog()

#: Fields the atlas reads with a meaning; generated often, with any kind of value.
KNOWN_FIELDS = (
    "name",
    "id",
    "year",
    "investment_usd",
    "capacity_value",
    "capacity_unit",
    "sources",
    "aliases",
    "status",
    "layer",
    "population",
    "length_km_reported",
    "kind",
)
NUMBER_FIELDS = ("year", "population", "investment_usd", "capacity_value", "length_km_reported")
#: Column names a CSV reader takes as geometry: not generated as properties.
GEOMETRY_NAMES = frozenset({"geometry", "geom", "wkt", "lon", "lng", "long", "longitude", "lat", "latitude", "x", "y"})

# --- values -------------------------------------------------------------------------------------

scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", " ", "next year", "lots", "2015", "NaN", "1e400", "{{ 7*7 }}", "<script>alert(1)</script>"]),
)
value = st.recursive(
    scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6,
)
source = st.fixed_dictionaries(
    {"title": value},
    optional={
        "url": st.one_of(value, st.sampled_from(["https://example.org/a", "javascript:alert(1)", "ftp://x"])),
        "publisher": value,
        "note": value,
    },
)
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "sources": st.one_of(value, st.lists(st.one_of(source, value), max_size=3)),
    "aliases": st.one_of(value, st.lists(st.text(max_size=10), max_size=3)),
    "year": st.one_of(value, st.integers(min_value=1800, max_value=2100)),
}
column_name = st.one_of(
    st.sampled_from(KNOWN_FIELDS),
    st.text(min_size=1, max_size=8).filter(lambda s: s.strip() and s.strip().casefold() not in GEOMETRY_NAMES),
)

# --- geometries (lon/lat; written in the drawn CRS) -----------------------------------------------

lon = st.one_of(
    st.floats(min_value=70, max_value=90),
    st.sampled_from([-180.0, 180.0, 179.99999, -179.99999, 0.0]),
    st.floats(min_value=-180, max_value=180),
)
lat = st.one_of(
    st.floats(min_value=38, max_value=50),
    st.sampled_from([-90.0, 90.0, 89.99999, -89.99999, 0.0]),
    st.floats(min_value=-90, max_value=90),
)
#: Near Almaty, Khorgos and Dostyk: where the analyses find places, stations and borders.
near_places = st.tuples(
    st.sampled_from([(76.95, 43.25), (80.3, 44.2), (82.5, 45.15)]),
    st.floats(min_value=-0.3, max_value=0.3),
    st.floats(min_value=-0.3, max_value=0.3),
).map(lambda t: (t[0][0] + t[1], t[0][1] + t[2]))
position = st.one_of(near_places, st.tuples(lon, lat))
GEOMETRIES: dict[str, st.SearchStrategy[Any]] = {
    "point": st.one_of(
        st.builds(Point, position), st.lists(position, min_size=1, max_size=3).map(lambda c: MultiPoint(c))
    ),
    "line": st.one_of(
        st.lists(position, min_size=2, max_size=5).map(LineString),
        position.map(lambda p: LineString([p, p])),  # zero length
        st.lists(position, min_size=2, max_size=3).map(lambda c: LineString([*c, c[-1], c[0]])),  # repeated vertices
    ),
    "polygon": st.one_of(
        st.lists(position, min_size=3, max_size=6).map(Polygon),  # often self-intersecting or degenerate
        st.tuples(lon, lat, st.floats(min_value=0.001, max_value=5)).map(
            lambda t: Polygon([(t[0], t[1]), (t[0] + t[2], t[1] + t[2]), (t[0] + t[2], t[1]), (t[0], t[1] + t[2])])
        ),  # a bow-tie
    ),
}
GEOMETRIES["mixed"] = st.one_of(*GEOMETRIES.values())

CRSS = ("EPSG:4326", "EPSG:3857", "EPSG:32643", "local", "none")
FORMATS = ("geojson", "gpkg", "fgb", "csv", "shp")


@st.composite
def layers(draw: st.DrawFn, crss: tuple[str, ...] = CRSS) -> dict[str, Any]:
    """A small layer: features with some of a few columns, geometries of one kind (or mixed), a CRS, a format."""
    fmt = draw(st.sampled_from(FORMATS))
    kind = draw(st.sampled_from(["point", "line", "polygon"] if fmt == "shp" else [*GEOMETRIES]))
    names = draw(st.lists(column_name, max_size=5, unique_by=lambda s: s.strip().casefold()))
    features = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        present = draw(st.lists(st.sampled_from(names), unique=True)) if names else []
        props = {n: draw(FIELD_VALUES.get(n, value)) for n in present}
        features.append((props, draw(GEOMETRIES[kind])))
    return {"format": fmt, "crs": draw(st.sampled_from(crss)), "columns": names, "features": features}


# --- files --------------------------------------------------------------------------------------


def _crs(code: str) -> CRS | None:
    if code == "none":
        return None
    return LOCAL_CRS if code == "local" else CRS.from_user_input(code)


def _in_crs(geom: Any, code: str) -> Any:
    if code in {"EPSG:4326", "local", "none"}:
        return geom  # a local CRS: the same numbers, read as metres on a site grid
    transformer = Transformer.from_crs(4326, code, always_xy=True)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return shapely.transform(geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def _geojson(layer: dict[str, Any]) -> bytes:
    code = layer["crs"]
    member = {}
    if code not in {"EPSG:4326", "none"}:
        crs_name = LOCAL_CRS.to_wkt() if code == "local" else f"urn:ogc:def:crs:EPSG::{code.split(':')[1]}"
        member = {"crs": {"type": "name", "properties": {"name": crs_name}}}
    features = [
        {"type": "Feature", "properties": props, "geometry": mapping(_in_crs(geom, code))}
        for props, geom in layer["features"]
    ]
    return json.dumps({"type": "FeatureCollection", **member, "features": features}, default=str).encode()


def _cell(v: Any) -> Any:
    if isinstance(v, (dict, list)):
        return json.dumps(v, default=str)
    return None if v is None else str(v)


def _typed_columns(layer: dict[str, Any]) -> pd.DataFrame:
    """Properties as a typed file holds them: numbers where every value is one, text otherwise."""
    table = {}
    for name in layer["columns"]:
        values = [props.get(name) for props, _ in layer["features"]]
        given = [v for v in values if v is not None]
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) < 2**53 for v in given)
        if given and numeric:
            table[name] = pd.array([math.nan if v is None else float(v) for v in values], dtype="float64")
        else:
            table[name] = pd.array([_cell(v) for v in values], dtype=object)
    return pd.DataFrame(table)


def _written(layer: dict[str, Any], folder: Path) -> tuple[str, bytes]:
    """The generated layer as a file of its format: (file name, bytes)."""
    fmt, code = layer["format"], layer["crs"]
    if fmt == "geojson":
        return "fuzz.geojson", _geojson(layer)
    geoms = [_in_crs(geom, code) for _, geom in layer["features"]]
    table = _typed_columns(layer)
    if fmt == "csv":
        table["wkt"] = [g.wkt for g in geoms]
        return "fuzz.csv", table.to_csv(index=False).encode()
    gdf = gpd.GeoDataFrame(table, geometry=geoms, crs=_crs(code))
    suffix = {"gpkg": ".gpkg", "fgb": ".fgb", "shp": ".shp"}[fmt]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the writers' warnings (field names cut to 10 characters …)
        try:
            gdf.to_file(folder / f"fuzz{suffix}")
        except Exception:  # a file this writer cannot make is no user's file
            reject()
    if fmt != "shp":
        return f"fuzz{suffix}", (folder / f"fuzz{suffix}").read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(folder.glob("fuzz.*")):
            archive.write(part, part.name)
    return "fuzz.zip", buffer.getvalue()


# --- the path -----------------------------------------------------------------------------------


@cache
def _catalog_frames() -> dict[str, gpd.GeoDataFrame]:
    return {spec.id: load_layer(spec) for spec in CATALOG.layers}


@cache
def _catalog_layers() -> LayerSet:
    return catalog_layers(CATALOG)


@cache
def _basemap_frames() -> dict[str, gpd.GeoDataFrame]:
    return {part.id: load_basemap_part(part) for part in CATALOG.basemap.parts}


def _step(what: str, run: Callable[[], object]) -> object:
    """A result, or ``None`` for the project's own error; anything else fails (hypothesis shows the step)."""
    note(f"step: {what}")
    try:
        return run()
    except CorridorAtlasError:
        return None


def _ingested(name: str, content: bytes) -> Ingested | None:
    note(f"file: {name} ({len(content)} bytes)")
    try:
        layer = ingest(name, content)
    except CorridorAtlasError as err:
        text = str(err)
        assert text.startswith(name) and TEMP not in text and "Traceback" not in text, text
        return None
    frame = layer.frame
    assert len(frame) > 0 and frame.crs.to_epsg() == 4326
    assert frame.index.is_unique, list(frame.index)
    assert np.isfinite(shapely.get_coordinates(frame.geometry.to_numpy())).all(), "NaN or infinite coordinates"
    for field in NUMBER_FIELDS:
        if field in frame.columns:
            texts = [v for v in frame[field] if isinstance(v, str)]
            assert not texts, f"{field} holds text after ingest: {texts}"
    return layer


def _tables_and_analyses(layer: Ingested, uid: str) -> None:
    frame, catalog = layer.frame, _catalog_frames()
    _step("feature table", lambda: feature_table({layer.name: frame, "Cities": catalog["cities"]}))
    _step("figures table", lambda: figures_table({uid: frame, "cities": catalog["cities"]}, {uid: UPLOAD_GROUP}))
    for _, row in frame.head(3).iterrows():  # the Details panel, field by field
        for field in row.index:
            _step(f"details {field!r}", lambda field=field, row=row: format_value(str(field), row[field]))
    points = _step("places", lambda: combine_points({**catalog, uid: frame}, ("cities", "khorgos", uid)))
    named = frame if "name" in frame.columns else frame.assign(name=frame[label_column(frame)])  # search needs names
    for text in ("a", str(frame.index[0])[:6], "Khorgos"):
        _step(f"search {text!r}", lambda text=text: search_features({uid: named, "cities": catalog["cities"]}, text))
    if points is None:
        return
    countries = _basemap_frames()["countries"]
    places = _step("crossing places", lambda: crossing_places(points))
    lines = frame[frame.geom_type.str.contains("Line")] if layer.geometry_kind == "line" else catalog["oil_pipelines"]
    if len(lines):
        _step("corridor", lambda: corridor_report(lines, points, countries, 25.0, places=places))


def _exports(upload: Any, uid: str) -> None:
    data = SnapshotData(_catalog_layers() + LayerSet((upload,)), CATALOG.basemap, _basemap_frames())
    for fmt in ALL_FORMATS:
        request = SnapshotRequest(layers=(uid, "cities"), format=fmt, fit=(uid,), width_px=480, height_px=270, dpi=72)
        snapshot = _step(f"export {fmt}", lambda request=request: make_snapshot(request, data))
        assert snapshot is None or snapshot.content, fmt


def _whole_path(name: str, content: bytes) -> None:
    layer = _ingested(name, content)
    if layer is None:
        return
    uid = f"up_{layer.digest[:16]}"
    upload = _step("upload layer", lambda: upload_layer(uid, name, layer, 0))
    if upload is not None:
        _step("page data", lambda: upload.page_data)
    _tables_and_analyses(layer, uid)
    if upload is not None:
        _exports(upload, uid)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=SLOW_OK)
@given(layer=layers())
def test_whole_path__every_step_returns_a_result_or_a_project_error(layer):
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        name, content = _written(layer, Path(folder))
    _whole_path(name, content)


@settings(max_examples=APP_EXAMPLES, deadline=None, suppress_health_check=[*SLOW_OK, HealthCheck.filter_too_much])
@given(layer=layers(crss=("EPSG:4326", "EPSG:32643")))
def test_whole_path__every_tab_opens_with_a_generated_upload(layer):
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        name, content = _written(layer, Path(folder))
    try:
        ingested = ingest(name, content)
    except CorridorAtlasError:
        reject()
    at, uid = _app_with(name, ingested)
    at.run()
    _no_traceback(at, "first run", uid)
    for tab in ("Metrics", "Visible features", "Route", "Charts", "Export"):
        _open(at, tab)
        _no_traceback(at, f"open {tab}", uid)
    _corridor_step(at, uid, ingested, strict=False)  # odd lines may make no corridor: a message, not a traceback
    _details_step(at, uid, ingested)
