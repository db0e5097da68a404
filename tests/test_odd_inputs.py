"""Ordinary files and odd inputs never break the page: each ends in a layer every tab handles, or a project error.

Every input class found so far is a tiny file built here (GeoJSON, GeoPackage, FlatGeobuf, KML,
zipped Shapefile, CSV). An upload either becomes a layer, which then goes through the page data,
the panels' tables, the analyses, every export format and, in Streamlit's AppTest, every tab and
the Details panel without a traceback; or it is refused with a project error whose message starts
with the file's name and shows no server path. Bad values in known fields are reported as notices
naming the field and the feature. Also here: odd URL parameters and a catalog whose basemap
background is not a colour.
"""

from __future__ import annotations

import io
import json
import logging
import tempfile
import traceback
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS
from shapely.geometry import LineString, Point
from streamlit.testing.v1 import AppTest

from geo.crs import REGION_BBOX
from geo.errors import CorridorAtlasError, CRSError
from geo.ingest import Ingested, ingest
from geo.places import combine_points, crossing_places, label_column
from geo.search import search_features
from geo.summary import feature_table, figures_table
from layers.catalog import CATALOG_PATH, DATA_DIR, default_catalog, load_catalog
from layers.load import load_basemap_part, load_layer
from layers.snapshot import ALL_FORMATS, SnapshotData, SnapshotRequest, make_snapshot
from layers.uploads import UPLOAD_GROUP
from tests.conftest import as_upload, snapshot_data

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
CATALOG = default_catalog()
TABS = ("Metrics", "Visible features", "Corridor", "Route", "Charts", "Export")
TEMP = tempfile.gettempdir()

# --- tiny files ---------------------------------------------------------------------------------


def _feature(geometry: dict | None, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _geojson(features: list[dict], **extra) -> bytes:
    return json.dumps({"type": "FeatureCollection", **extra, "features": features}).encode()


def _point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


def _line(*coords: tuple[float, float]) -> dict:
    return {"type": "LineString", "coordinates": [list(c) for c in coords]}


ALMATY_DEPOT = _point(76.95, 43.25)
KHORGOS_DEPOT = _point(80.3, 44.2)
SPUR = _line((76.9, 43.2), (78.4, 44.0), (80.3, 44.2))

#: A local engineering CRS: metres on a site grid, nowhere on the Earth.
LOCAL_CRS = CRS.from_wkt(
    'ENGCRS["Site grid",EDATUM["Site datum"],CS[Cartesian,2],'
    'AXIS["easting (X)",east,LENGTHUNIT["metre",1]],AXIS["northing (Y)",north,LENGTHUNIT["metre",1]]]'
)
LOCAL_CS_PRJ = b'LOCAL_CS["Site grid",LOCAL_DATUM["Site datum",0],UNIT["metre",1],AXIS["X",EAST],AXIS["Y",NORTH]]'


def _written(gdf: gpd.GeoDataFrame, driver: str, suffix: str, folder: Path) -> bytes:
    path = folder / f"written{suffix}"
    gdf.to_file(path, driver=driver)
    return path.read_bytes()


def _depots_and_spur(crs: object = 4326) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["Depot", "Yard", "Spur"], "capacity_value": [3.5, None, 12.0]},
        geometry=[Point(76.95, 43.25), Point(80.3, 44.2), LineString([(76.9, 43.2), (80.3, 44.2)])],
        crs=crs,
    )


def _with_empty_cells() -> gpd.GeoDataFrame:
    """What a GIS saves when some cells were never filled: empty text, numbers, years and dates."""
    return gpd.GeoDataFrame(
        {
            "name": ["Depot", None, "Spur"],
            "year": [2015, None, None],
            "capacity_value": [None, 3.5, None],
            "opened": pd.to_datetime(["2015-06-01", None, None]),
            "operator": [None, None, None],
        },
        geometry=[Point(76.95, 43.25), Point(80.3, 44.2), LineString([(76.9, 43.2), (80.3, 44.2)])],
        crs=4326,
    )


def _zipped_shapefile(gdf: gpd.GeoDataFrame, folder: Path) -> bytes:
    gdf = gdf.assign(opened=gdf["opened"].dt.strftime("%Y-%m-%d"))[gdf.geom_type == "Point"]  # one kind per .shp
    gdf = gdf.rename(columns={"capacity_value": "capacity_v"})  # a .dbf keeps 10 characters of a name
    gdf.to_file(folder / "depots.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            archive.write(folder / f"depots{ext}", f"depots{ext}")
    return buffer.getvalue()


def _shapefile_parts(folder: Path, *, prj: bytes | None = None) -> dict[str, bytes]:
    folder.mkdir(exist_ok=True)
    gpd.GeoDataFrame({"name": ["Depot"]}, geometry=[Point(76.95, 43.25)], crs=4326).to_file(folder / "depot.shp")
    parts = {f"depot{ext}": (folder / f"depot{ext}").read_bytes() for ext in (".shp", ".shx", ".dbf", ".prj")}
    if prj is not None:
        parts["depot.prj"] = prj
    return parts


def _zipped(members: dict[str, bytes], *, compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _patched_headers(content: bytes, *, flag_bits: int = 0, method: int | None = None) -> bytes:
    """A zip whose every entry claims ``flag_bits`` (0x1: encrypted) or compression ``method`` (99: AES)."""
    raw = bytearray(content)
    for signature, flags_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        start = raw.find(signature)
        while start >= 0:
            raw[start + flags_at] |= flag_bits
            if method is not None:
                raw[start + method_at : start + method_at + 2] = method.to_bytes(2, "little")
            start = raw.find(signature, start + 4)
    return bytes(raw)


def _damaged_first_member(content: bytes) -> bytes:
    """Garble the first 24 bytes of the first entry's (deflated) data."""
    raw = bytearray(content)
    start = raw.find(b"PK\x03\x04")
    data = start + 30 + int.from_bytes(raw[start + 26 : start + 28], "little")
    for i in range(data, data + 24):
        raw[i] ^= 0xFF
    return bytes(raw)


def _fgb(folder: Path) -> bytes:
    return _written(_depots_and_spur(), "FlatGeobuf", ".fgb", folder)


def _garbled(content: bytes, start: int, stop: int) -> bytes:
    raw = bytearray(content)
    for i in range(start, min(stop, len(raw))):
        raw[i] ^= 0x5A
    return bytes(raw)


def _nested(depth: int) -> object:
    value: object = "bottom"
    for level in range(depth):
        value = {"level": level, "inner": [value]} if level % 2 else [value, {"k": level}]
    return value


def _deeply_nested_text(depth: int) -> bytes:
    deep = '{"a":[' * depth + "1" + "]}" * depth
    return (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Deep","deep":'
        + deep
        + '},"geometry":{"type":"Point","coordinates":[76.95,43.25]}}]}'
    ).encode()


def _non_finite(coordinates: str, kind: str = "Point") -> bytes:
    return (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Odd"},'
        f'"geometry":{{"type":"{kind}","coordinates":{coordinates}}}}}]}}'
    ).encode()


Builder = Callable[[Path], tuple[str, bytes]]

#: Every input class found so far: a file name and the file's bytes.
ODD_FILES: dict[str, Builder] = {
    "kml_number_missing_on_some": lambda tmp: ("sites.kml", _written(_depots_and_spur(), "KML", ".kml", tmp)),
    "geojson_number_missing_on_some": lambda _: (
        "gauges.geojson",
        _geojson(
            [
                _feature(SPUR, id="g-1", name="Spur", capacity_value=3.5, depth_m=2.0, length_km_reported=310),
                _feature(ALMATY_DEPOT, id="g-2", name="Gauge", capacity_value=None),
            ]
        ),
    ),
    "text_in_number_columns": lambda _: (
        "years.geojson",
        _geojson(
            [
                _feature(ALMATY_DEPOT, id="depot-1", name="Depot", year="next year", investment_usd="lots"),
                _feature(KHORGOS_DEPOT, id="depot-2", name="Yard", year=2010, investment_usd=5e6),
            ]
        ),
    ),
    "csv_text_in_number_columns": lambda _: (
        "years.csv",
        b"id,name,lon,lat,year,population,capacity_value\n"
        b"c-1,Depot,76.95,43.25,next year,many,n/a\nc-2,Yard,80.3,44.2,2010,1000,2.5\n",
    ),
    "deeply_nested_properties": lambda _: (
        "nested.geojson",
        _geojson([_feature(SPUR, id="n-1", name="Nested", deep=_nested(60), sources={"a": {"b": [{"c": None}]}})]),
    ),
    "json_nested_too_deep_to_read": lambda _: ("deep.geojson", _deeply_nested_text(5000)),
    "nan_coordinate_point": lambda _: ("nan.geojson", _non_finite("[NaN, 43.25]")),
    "nan_coordinate_in_a_line": lambda _: (
        "nanline.geojson",
        _non_finite("[[76.9, 43.2], [NaN, 43.5], [78, 44]]", "LineString"),
    ),
    "nan_coordinate_in_a_polygon": lambda _: (
        "nanpoly.geojson",
        _non_finite("[[[76.9, 43.2], [NaN, 43.5], [78, 44], [76.9, 43.2]]]", "Polygon"),
    ),
    "nan_coordinate_in_a_multipoint": lambda _: (
        "nanmulti.geojson",
        _non_finite("[[76.9, 43.2], [NaN, 43.5]]", "MultiPoint"),
    ),
    "infinity_coordinate": lambda _: ("inf.geojson", _non_finite("[[76.9, 43.2], [Infinity, 43.5]]", "LineString")),
    "gpkg_empty_cells": lambda tmp: (
        "depots.gpkg",
        _written(_with_empty_cells(), "GPKG", ".gpkg", tmp),
    ),
    "zipped_shapefile_empty_cells": lambda tmp: ("depots_shp.zip", _zipped_shapefile(_with_empty_cells(), tmp)),
    "local_engineering_crs_gpkg": lambda tmp: (
        "site.gpkg",
        _written(_depots_and_spur(LOCAL_CRS), "GPKG", ".gpkg", tmp),
    ),
    "local_engineering_crs_fgb": lambda tmp: (
        "site.fgb",
        _written(_depots_and_spur(LOCAL_CRS), "FlatGeobuf", ".fgb", tmp),
    ),
    "unknown_crs_geojson": lambda _: (
        "unknown.geojson",
        _geojson(
            [_feature(ALMATY_DEPOT, name="Depot")],
            crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::99999"}},
        ),
    ),
    "shapefile_garbage_prj": lambda tmp: ("garbage.zip", _zipped(_shapefile_parts(tmp / "shp", prj=b"no such CRS"))),
    "shapefile_local_cs_prj": lambda tmp: ("localcs.zip", _zipped(_shapefile_parts(tmp / "shp", prj=LOCAL_CS_PRJ))),
    "shapefile_bzip2": lambda tmp: ("bz.zip", _zipped(_shapefile_parts(tmp / "shp"), compression=zipfile.ZIP_BZIP2)),
    "shapefile_lzma": lambda tmp: ("xz.zip", _zipped(_shapefile_parts(tmp / "shp"), compression=zipfile.ZIP_LZMA)),
    "zip_encrypted_member": lambda tmp: (
        "locked.zip",
        _patched_headers(_zipped(_shapefile_parts(tmp / "shp")), flag_bits=0x1),
    ),
    "zip_unsupported_compression": lambda tmp: (
        "aes.zip",
        _patched_headers(_zipped(_shapefile_parts(tmp / "shp")), method=99),
    ),
    "zip_corrupt_member": lambda tmp: (
        "broken.zip",
        _damaged_first_member(_zipped(_shapefile_parts(tmp / "shp"), compression=zipfile.ZIP_DEFLATED)),
    ),
    "zip_bad_crc": lambda tmp: ("crc.zip", _garbled(_zipped(_shapefile_parts(tmp / "shp")), 40, 60)),
    "fgb_truncated": lambda tmp: ("cut.fgb", _fgb(tmp)[:200]),
    "fgb_garbled_header": lambda tmp: ("garbled.fgb", _garbled(_fgb(tmp), 12, 200)),
    "fgb_garbled_features": lambda tmp: ("tail.fgb", _garbled(_fgb(tmp), len(_fgb(tmp)) - 60, len(_fgb(tmp)))),
    "sources_partial": lambda _: (
        "partial.geojson",
        _geojson(
            [
                _feature(ALMATY_DEPOT, id="s-1", name="Depot", sources=[{"title": "T"}, "plain", None, {"url": 5}]),
                _feature(KHORGOS_DEPOT, id="s-2", name="Yard"),
            ]
        ),
    ),
    "sources_plain_text": lambda _: (
        "plain.geojson",
        _geojson([_feature(ALMATY_DEPOT, id="p-1", name="Depot", sources="see the 2015 annual report")]),
    ),
    "investment_without_name": lambda _: (
        "money.geojson",
        _geojson([_feature(ALMATY_DEPOT, id="m-1", investment_usd=5e6, capacity_value=3, year=2012)]),
    ),
    "layer_column": lambda _: (
        "layered.geojson",
        _geojson([_feature(SPUR, id="l-1", name="Spur", layer="mine", kind="spur", status="planned")]),
    ),
    "aliases_as_text": lambda _: (
        "aliases.geojson",
        _geojson(
            [
                _feature(ALMATY_DEPOT, id="a-1", name="Depot", aliases="Foo, Bar"),
                _feature(KHORGOS_DEPOT, id="a-2", name="Yard", aliases=None),
            ]
        ),
    ),
    "aliases_missing_on_some": lambda _: (
        "aliases2.geojson",
        _geojson(
            [
                _feature(ALMATY_DEPOT, id="b-1", name="Depot", aliases=["Foo", "Bar"]),
                _feature(KHORGOS_DEPOT, id="b-2", name="Yard"),
            ]
        ),
    ),
    "duplicate_ids_renamed_onto_an_existing_id": lambda _: (
        "dups.geojson",
        _geojson(
            [
                _feature(ALMATY_DEPOT, id="a", name="First"),
                _feature(KHORGOS_DEPOT, id="a", name="Second"),
                _feature(_point(79.0, 44.0), id="a~2", name="Third"),
            ]
        ),
    ),
    "id_of_a_built_in_feature": lambda _: (
        "collide.geojson",
        _geojson([_feature(_point(80.25, 44.15), id="khorgos-gateway", name="My depot")]),
    ),
    "lines_without_a_name": lambda _: (
        "unnamed.geojson",
        _geojson([_feature(SPUR, id="u-1", operator="KTZ"), _feature(_line((71.4, 51.1), (76.9, 43.2)), id="u-2")]),
    ),
    "lines_reaching_the_dateline": lambda _: (
        "dateline_lines.geojson",
        _geojson(
            [
                _feature(_line((70, 38), (70, 39)), id="d-1", name="Short"),
                _feature(_line((70, 38), (-180, 38)), id="d-2", name="Round the world"),
            ]
        ),
    ),
    "lines_along_the_pole": lambda _: (
        "pole.geojson",
        _geojson(
            [
                _feature(_line((76.688, -90), (81.517, -90), (-36.51, -90)), id="p-1", name="Pole A"),
                _feature(_line((76.688, -90), (81.517, -90), (-36.51, -90), (76.688, -90)), id="p-2", name="Pole B"),
            ]
        ),
    ),
    "self_intersecting_polygon_to_the_dateline": lambda _: (
        "bowtie.geojson",
        _geojson(
            [
                _feature(
                    {"type": "Polygon", "coordinates": [[[80, 45], [-180, 46], [77, 43], [88, -60], [80, 45]]]},
                    id="bt-1",
                    name="Bow-tie",
                )
            ]
        ),
    ),
    "antimeridian_polygon": lambda _: (
        "dateline.geojson",
        _geojson(
            [
                _feature(
                    {"type": "Polygon", "coordinates": [[[179, 60], [-179, 60], [-179, 61], [179, 61], [179, 60]]]},
                    id="dl-1",
                    name="Across the dateline",
                )
            ]
        ),
    ),
}


def _build(case: str, tmp_path: Path) -> tuple[str, bytes]:
    return ODD_FILES[case](tmp_path)


# --- outcomes -----------------------------------------------------------------------------------


def _assert_user_message(name: str, err: BaseException) -> None:
    text = str(err)
    assert text.startswith(name), f"the message does not start with the file name: {text!r}"
    assert "/tmp/" not in text and TEMP not in text, f"the message shows a server path: {text!r}"
    assert "Traceback" not in text, text


def _ingest_or_refuse(name: str, content: bytes) -> Ingested | None:
    """The layer, or ``None`` when refused with a project error that reads well (anything else fails the test)."""
    try:
        return ingest(name, content)
    except CorridorAtlasError as err:
        _assert_user_message(name, err)
        return None


def _ingested(layer) -> Ingested:
    """The ingested file back from the layer the app made of it (its id is the file's digest)."""
    return Ingested(layer.title, layer.frame, layer.display, list(layer.notices), digest=layer.key.removeprefix("up_"))


def _upload_id(layer: Ingested) -> str:
    return f"up_{layer.digest[:16]}"  # as app/uploads.py names it


@pytest.fixture(scope="module")
def catalog_frames() -> dict[str, gpd.GeoDataFrame]:
    return {spec.id: load_layer(spec) for spec in CATALOG.layers}


@pytest.fixture(scope="module")
def basemap_frames() -> dict[str, gpd.GeoDataFrame]:
    return {part.id: load_basemap_part(part) for part in CATALOG.basemap.parts}


def _snapshot_data(layer: Ingested, catalog_frames, basemap_frames) -> tuple[str, SnapshotData]:
    """Snapshot data as the Export tab builds it: the catalog's layers plus the upload."""
    uid = _upload_id(layer)
    return uid, snapshot_data(as_upload(uid, layer.name, layer))


def _every_export(layer: Ingested, catalog_frames, basemap_frames) -> None:
    """Every format of a snapshot of the upload (with two catalog layers) is bytes or a project error."""
    uid, data = _snapshot_data(layer, catalog_frames, basemap_frames)
    for fmt in ALL_FORMATS:
        request = SnapshotRequest(
            layers=(uid, "oil_pipelines", "cities"), format=fmt, fit=(uid,), width_px=640, height_px=360, dpi=96
        )
        try:
            snapshot = make_snapshot(request, data)
        except CorridorAtlasError:
            continue
        assert isinstance(snapshot.content, bytes) and snapshot.content, fmt


def _panel_tables(layer: Ingested, catalog_frames) -> None:
    """What the page data, the tables and the analyses make of the upload: results, or project errors."""
    from geo.corridor import corridor_report

    uid = _upload_id(layer)
    frames = {**catalog_frames, uid: layer.frame}
    named = layer.frame.assign(name=layer.frame[label_column(layer.frame)])  # search_features needs a name column
    steps: dict[str, Callable[[], object]] = {
        "page data": lambda: as_upload(uid, layer.name, layer).page_data,
        "feature table": lambda: feature_table({layer.name: layer.frame, "Cities": catalog_frames["cities"]}),
        "figures table": lambda: figures_table({uid: layer.frame}, {uid: UPLOAD_GROUP}),
        "places": lambda: combine_points(frames, ("cities", "khorgos", uid)),
        "search": lambda: search_features({uid: named, "cities": catalog_frames["cities"]}, "a"),
    }
    if layer.geometry_kind == "line":
        points = combine_points(catalog_frames, ("cities", "khorgos"))
        countries = load_basemap_part(next(p for p in CATALOG.basemap.parts if p.id == "countries"))
        steps["corridor"] = lambda: corridor_report(
            layer.frame, points, countries, 50.0, places=crossing_places(points)
        )
    for step, run in steps.items():
        try:
            run()
        except CorridorAtlasError:
            continue
        except Exception as err:
            raise AssertionError(f"{step}: {type(err).__name__}: {err}") from err


# --- the page -----------------------------------------------------------------------------------


class _LoggedFailures(logging.Handler):
    """Exceptions the app caught and logged with their traceback: the page shows a line, but a part failed."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.name.startswith("app"):
            self.records.append(record)

    def text(self) -> list[str]:
        shown = []
        for record in self.records:
            _, err, trace = record.exc_info
            frames = [f for f in traceback.extract_tb(trace) if str(ROOT) in f.filename and ".venv" not in f.filename]
            where = f"{Path(frames[-1].filename).relative_to(ROOT)}:{frames[-1].lineno}" if frames else "?"
            shown.append(f"{record.getMessage()}: {type(err).__name__}: {err} (at {where})")
        return shown


LOGGED = _LoggedFailures()


def _app(query: dict[str, str] | None = None) -> AppTest:
    """A fresh app; failures the app catches and logs are collected in :data:`LOGGED` from here on."""
    if LOGGED not in logging.getLogger().handlers:
        logging.getLogger().addHandler(LOGGED)
    LOGGED.records.clear()
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at


def _app_with(name: str, layer: Ingested, query: dict[str, str] | None = None) -> tuple[AppTest, str]:
    """The app with an uploaded layer in the session, as tests/test_app.py injects one."""
    uid = _upload_id(layer)
    at = _app(query)
    at.session_state["uploads"] = {uid: as_upload(uid, name, layer)}
    at.session_state[f"layer_{uid}"] = True
    return at, uid


def _no_traceback(at: AppTest, step: str, uid: str | None = None) -> None:
    shown = [f"{e.value} | {' '.join(line.strip() for line in e.stack_trace[-2:])}" for e in at.exception]
    assert not at.exception, f"{step}: {shown}"
    assert not LOGGED.records, f"{step}: a part of the page failed: {LOGGED.text()}"
    if uid is not None:
        assert uid in at.session_state["uploads"], f"{step}: the upload is gone"


def _open(at: AppTest, tab: str) -> AppTest:
    at.session_state["tab"] = tab
    return at.run()


def _messages(at: AppTest) -> str:
    """Every caption, error and warning on the page, Markdown escapes removed."""
    texts = [e.value for e in (*at.caption, *at.error, *at.warning)]
    return "\n".join(str(t) for t in texts).replace("\\", "")


def _corridor_step(at: AppTest, uid: str, layer: Ingested, *, strict: bool = True) -> None:
    _open(at, "Corridor")
    _no_traceback(at, "open Corridor", uid)
    lines = layer.frame[layer.frame.geom_type.str.contains("Line")]
    choices = [f"layer:{uid}", str(lines.index[0])] if layer.geometry_kind == "line" and len(lines) else []
    west, south, east, north = REGION_BBOX
    x0, y0, x1, y1 = lines.total_bounds if len(lines) else REGION_BBOX
    strict = strict and west <= x0 and x1 <= east and south <= y0 and y1 <= north  # lines in the region
    for choice in [*choices, "layer:oil_pipelines"]:
        at.selectbox(key="corridor").set_value(choice).run()
        _no_traceback(at, f"corridor {choice}", uid)
        failed = [e.value for e in at.error if "Corridor analysis failed" in e.value]
        assert not (strict and failed), f"corridor {choice}: {failed}"  # ordinary lines make a corridor like any other


def _route_step(at: AppTest, uid: str, layer: Ingested) -> None:
    _open(at, "Route")
    _no_traceback(at, "open Route", uid)
    points = layer.frame[layer.frame.geom_type == "Point"]
    if layer.geometry_kind != "point" or not len(points):
        return
    at.selectbox(key="route_from").set_value(str(points.index[0])).run()
    at.selectbox(key="route_to").set_value("city-almaty").run()
    _no_traceback(at, "route from the upload to Almaty", uid)


def _export_step(at: AppTest, uid: str) -> None:
    _open(at, "Export")
    _no_traceback(at, "open Export", uid)
    at.selectbox(key="export_frame").set_value("16:9 · 1280×720").run()
    _no_traceback(at, "export preview", uid)
    for fmt in ALL_FORMATS:
        at.selectbox(key="export_format").set_value(fmt).run()
        at.button(key="export_go").click().run()
        _no_traceback(at, f"export {fmt}", uid)
        made = at.session_state["export"][0] if "export" in at.session_state else None
        assert made == f"corridor-atlas.{fmt}" or at.error, f"export {fmt}: neither a file nor a message"
    if at.button(key="deck_add").disabled:  # the view cannot be exported: the message says why
        assert at.error, "the view cannot be added to the deck, and no message says why"
        return
    at.button(key="deck_add").click().run()
    _no_traceback(at, "add the view to the deck", uid)
    for fmt in ("pptx", "pdf", "html"):
        at.button(key=f"deck_make_{fmt}").click().run()
        _no_traceback(at, f"deck {fmt}", uid)
        made = at.session_state["deck_export"][0] if "deck_export" in at.session_state else None
        assert made == f"corridor-atlas-deck.{fmt}" or at.error, f"deck {fmt}: neither a file nor a message"


@cache
def _built_in_ids() -> frozenset[str]:
    return frozenset(str(i) for spec in CATALOG.layers for i in load_layer(spec).index)


def _details_step(at: AppTest, uid: str, layer: Ingested) -> None:
    """Selecting a feature of the upload: the URL keeps it and the page has its details card's data."""
    upload = at.session_state["uploads"][uid]
    page_data = json.loads(upload.page_data)
    for feature_id in list(layer.frame.index[:3]):
        at.session_state["feature"] = str(feature_id)
        at.run()
        _no_traceback(at, f"details of {feature_id!r}", uid)
        assert at.query_params.get("feature") == str(feature_id), f"details of {feature_id!r}"
        if str(feature_id) not in _built_in_ids():
            assert str(feature_id) in page_data["ids"], f"details of {feature_id!r}"  # the drawer opens it


def _every_tab(name: str, layer: Ingested) -> AppTest:
    """Open every tab with the upload on, run the analyses and exports on it, and show its details."""
    at, uid = _app_with(name, layer)
    at.run()
    _no_traceback(at, "first run", uid)
    for tab in ("Metrics", "Visible features", "Charts"):
        _open(at, tab)
        _no_traceback(at, f"open {tab}", uid)
    _corridor_step(at, uid, layer)
    _route_step(at, uid, layer)
    _export_step(at, uid)
    _details_step(at, uid, layer)
    return at


# --- every input class: a layer that goes all the way, or a clean refusal -------------------------


@pytest.mark.parametrize("case", list(ODD_FILES))
def test_odd_file__ingests_and_goes_through_tables_and_exports_or_is_refused(
    case, tmp_path, catalog_frames, basemap_frames
):
    name, content = _build(case, tmp_path)
    layer = _ingest_or_refuse(name, content)
    if layer is None:
        return
    assert len(layer.frame) > 0 and layer.frame.crs.to_epsg() == 4326
    assert layer.frame.index.is_unique, f"feature ids repeat: {list(layer.frame.index)}"
    assert np.isfinite(shapely.get_coordinates(layer.frame.geometry.to_numpy())).all(), "NaN or infinite coordinates"
    _panel_tables(layer, catalog_frames)
    _every_export(layer, catalog_frames, basemap_frames)


class _File:
    """What the sidebar's file uploader hands over: a file id, a name and the bytes."""

    def __init__(self, name: str, content: bytes) -> None:
        self.file_id, self.name, self._content = name, name, content

    def getvalue(self) -> bytes:
        return self._content


def _take_script() -> None:
    from app.uploads import take_uploads

    take_uploads()


def _taken(name: str, content: bytes) -> tuple[dict[str, tuple[str, Ingested]], list[str]]:
    """The file taken as the app takes an upload (budgeted reader, ids freed): the session's layers and errors."""
    at = AppTest.from_function(_take_script, default_timeout=60)
    at.session_state["view"] = None
    at.session_state["uploader"] = [_File(name, content)]
    at.run()
    assert not at.exception
    return dict(at.session_state["uploads"]), list(at.session_state["upload_errors"])


@pytest.mark.parametrize("case", list(ODD_FILES))
def test_odd_file__taken_by_the_app__every_tab_and_the_details_open_or_one_message_says_why_not(case, tmp_path):
    name, content = _build(case, tmp_path)
    uploads, errors = _taken(name, content)
    if not uploads:  # refused: one message that names the file, nothing else
        assert len(errors) == 1
        _assert_user_message(name, CorridorAtlasError(errors[0]))
        return
    assert errors == []
    ((_, taken),) = uploads.items()
    _every_tab(taken.title, _ingested(taken))


# --- what users are told -------------------------------------------------------------------------


def test_text_in_known_number_fields__is_reported_per_feature_and_kept_off_the_timeline(tmp_path):
    name, content = _build("text_in_number_columns", tmp_path)
    layer = ingest(name, content)
    for field in ("year", "investment_usd"):
        told = [str(n) for n in layer.notices if field in str(n) and "depot-1" in str(n)]
        assert told, f"no notice names {field!r} and feature 'depot-1': {[str(n) for n in layer.notices]}"
    year = layer.frame["year"]
    assert pd.api.types.is_integer_dtype(year), f"year is {year.dtype}, not a nullable integer"
    assert pd.isna(year["depot-1"]) and year["depot-2"] == 2010
    money = layer.frame["investment_usd"]
    assert pd.api.types.is_numeric_dtype(money) and pd.isna(money["depot-1"]) and money["depot-2"] == 5e6


def test_text_in_a_number_column_of_a_csv__is_reported_per_feature(tmp_path):
    name, content = _build("csv_text_in_number_columns", tmp_path)
    layer = ingest(name, content)
    told = [str(n) for n in layer.notices if "year" in str(n) and "c-1" in str(n)]
    assert told, [str(n) for n in layer.notices]
    assert pd.api.types.is_integer_dtype(layer.frame["year"]) and pd.isna(layer.frame["year"]["c-1"])


@pytest.mark.parametrize(
    ("case", "field", "feature_id"),
    [
        ("sources_partial", "sources", "s-1"),
        ("sources_plain_text", "sources", "p-1"),
        ("deeply_nested_properties", "sources", "n-1"),
        ("layer_column", "layer", None),
    ],
)
def test_odd_values_of_known_fields__are_reported_naming_the_field(case, field, feature_id, tmp_path):
    name, content = _build(case, tmp_path)
    notices = [str(n) for n in ingest(name, content).notices]
    assert any(field in n and (feature_id is None or feature_id in n) for n in notices), notices


def test_bad_year__notice_is_shown_in_the_sidebar(tmp_path):
    name, content = _build("text_in_number_columns", tmp_path)
    layer = ingest(name, content)
    at, uid = _app_with(name, layer)
    at.run()
    _no_traceback(at, "first run", uid)
    shown = _messages(at)
    assert any("year" in line and "depot-1" in line for line in shown.splitlines()), shown


@pytest.mark.parametrize(
    "case", ["unknown_crs_geojson", "shapefile_garbage_prj", "shapefile_local_cs_prj", "local_engineering_crs_gpkg"]
)
def test_unknown_or_local_crs__is_refused_never_read_as_wgs84(case, tmp_path):
    name, content = _build(case, tmp_path)
    with pytest.raises(CRSError) as caught:
        ingest(name, content)
    _assert_user_message(name, caught.value)


@pytest.mark.parametrize(
    "case",
    [
        "zip_encrypted_member",
        "zip_unsupported_compression",
        "zip_corrupt_member",
        "zip_bad_crc",
        "fgb_truncated",
        "fgb_garbled_header",
        "json_nested_too_deep_to_read",
    ],
)
def test_damaged_files__are_refused_with_a_message_naming_the_file(case, tmp_path):
    name, content = _build(case, tmp_path)
    with pytest.raises(CorridorAtlasError) as caught:
        ingest(name, content)
    _assert_user_message(name, caught.value)


@pytest.mark.parametrize(
    "case", ["nan_coordinate_point", "nan_coordinate_in_a_line", "nan_coordinate_in_a_polygon", "infinity_coordinate"]
)
def test_non_finite_coordinates__are_refused_naming_the_geometry(case, tmp_path):
    name, content = _build(case, tmp_path)
    with pytest.raises(CorridorAtlasError) as caught:
        ingest(name, content)
    _assert_user_message(name, caught.value)
    assert "geometry" in str(caught.value)


def test_antimeridian_polygon__is_split_or_refused_and_the_user_is_told(tmp_path):
    name, content = _build("antimeridian_polygon", tmp_path)
    try:
        layer = ingest(name, content)
    except CorridorAtlasError as err:
        _assert_user_message(name, err)
        assert "antimeridian" in str(err) or "180" in str(err), str(err)
        return
    parts = shapely.get_parts(layer.frame.geometry.to_numpy())
    widths = shapely.bounds(parts)[:, 2] - shapely.bounds(parts)[:, 0]
    assert (widths < 180).all(), f"a polygon still spans {widths.max():.0f}° of longitude: drawn across the map"
    assert any("antimeridian" in str(n) or "180" in str(n) for n in layer.notices), [str(n) for n in layer.notices]


def test_duplicate_ids__are_renamed_to_ids_no_feature_has_and_each_shows_its_own_details(tmp_path):
    name, content = _build("duplicate_ids_renamed_onto_an_existing_id", tmp_path)
    layer = ingest(name, content)
    assert layer.frame.index.is_unique, list(layer.frame.index)
    assert "a" in layer.frame.index and "a~2" in layer.frame.index
    assert layer.frame.loc["a~2", "name"] == "Third"  # the id a feature was given stays its own
    assert any(n.field == "id" for n in layer.notices)
    at, uid = _app_with(name, layer)
    at.run()  # the first run sets the selection from the URL
    page_data = json.loads(at.session_state["uploads"][uid].page_data)
    for feature_id, feature_name in layer.frame["name"].items():
        at.session_state["feature"] = feature_id
        at.run()
        _no_traceback(at, f"details of {feature_id!r}", uid)
        assert at.query_params["feature"] == feature_id
        i = page_data["ids"].index(feature_id)  # the details card the page opens for this id
        assert feature_name in [page_data["values"][key][i] for key in page_data["popup"]], feature_id


def test_upload_with_a_built_in_feature_id__both_places_can_be_routed_from(tmp_path):
    name, content = _build("id_of_a_built_in_feature", tmp_path)
    ((_, taken),) = _taken(name, content)[0].items()
    layer = _ingested(taken)
    assert any(n.field == "id" and "renamed khorgos-gateway~up" in n.message for n in layer.notices)
    at, uid = _app_with(name, layer)
    at.run()
    _open(at, "Route")
    _no_traceback(at, "open Route", uid)
    options = at.selectbox(key="route_from").options
    ours = [i for i, label in enumerate(options) if "My depot" in label]
    theirs = [i for i, label in enumerate(options) if "Khorgos Gateway" in label]
    assert ours and theirs, f"the upload's point and the built-in one are not both offered: {options}"
    at.selectbox(key="route_to").set_value("city-almaty").run()
    for index in (ours[0], theirs[0]):
        at.selectbox(key="route_from").select_index(index).run()
        _no_traceback(at, f"route from {options[index]!r}", uid)
        assert any(m.label == "Route length, km" for m in at.metric) or at.error


def test_investment_without_a_name__metrics_and_charts_list_it(tmp_path):
    name, content = _build("investment_without_name", tmp_path)
    layer = ingest(name, content)
    at, uid = _app_with(name, layer)
    at.run()
    _no_traceback(at, "Metrics", uid)
    table = next(m.value for m in at.markdown if m.value.startswith("| Project |"))
    assert "m\\-1" in table or "m-1" in table, "the figure is not listed under the feature's id"
    _open(at, "Charts")
    _no_traceback(at, "Charts", uid)


# --- odd URLs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("km", ["-5", "0", "20000", "abc", "1e9", "50.5"])
def test_url_corridor_distance_out_of_range__opens_the_corridor_tab(km):
    at = _app({"corridor": "layer:oil_pipelines", "km": km}).run()
    _no_traceback(at, f"km={km}")
    _open(at, "Corridor")
    _no_traceback(at, f"Corridor tab with km={km}")
    assert 1 <= at.number_input(key="corridor_km").value <= 500


@pytest.mark.parametrize("corridor", ["layer:nope", "layer:", "no-such-line", "layer:cities"])
def test_url_unknown_corridor__opens_the_corridor_tab(corridor):
    at = _app({"corridor": corridor}).run()
    _open(at, "Corridor")
    _no_traceback(at, f"corridor={corridor}")


# --- the catalog's basemap background is data, never a template -----------------------------------

BACKGROUNDS = ["{{ 7*7 }}", "red;}</style><script>alert(1)</script>"]


def _catalog_with_background(tmp_path: Path, background: str) -> Path:
    text = CATALOG_PATH.read_text(encoding="utf-8")
    assert 'background = "#C9DDEB"' in text
    path = tmp_path / "catalog.toml"
    path.write_text(text.replace('background = "#C9DDEB"', f"background = {json.dumps(background)}"), encoding="utf-8")
    return path


def _assert_not_evaluated(html: str) -> None:
    assert "background: 49" not in html and "background:49" not in html, "the background went through a template"
    assert "<script>alert" not in html, "the background closed the style element"


@pytest.mark.parametrize("background", BACKGROUNDS)
def test_catalog_background__is_refused_or_shown_as_text_in_the_app(background, tmp_path, monkeypatch):
    import app.mapview

    catalog = _catalog_with_background(tmp_path, background)
    monkeypatch.setenv("CORRIDOR_ATLAS_CATALOG", str(catalog))
    monkeypatch.setenv("CORRIDOR_ATLAS_DATA", str(DATA_DIR))
    calls: list[dict] = []
    component = app.mapview._map_component

    def recording():  # the component, declared on first use: it records each call
        def call(**kwargs):
            calls.append(kwargs)
            return component()(**kwargs)

        return call

    monkeypatch.setattr(app.mapview, "_map_component", recording)
    at = _app().run()
    _no_traceback(at, "first run")
    refused = [e.value for e in at.error if "background" in e.value]
    if refused:
        assert not calls
        return
    assert calls, "no map and no message"
    _assert_not_evaluated(" ".join(str(v) for k, v in calls[-1].items() if k != "on_change"))


@pytest.mark.parametrize("background", BACKGROUNDS)
def test_catalog_background__is_refused_or_exported_as_text(background, tmp_path, catalog_frames, basemap_frames):
    path = _catalog_with_background(tmp_path, background)
    try:
        catalog = load_catalog(path, data_dir=DATA_DIR)
    except CorridorAtlasError as err:
        assert "background" in str(err), str(err)
        return
    data = snapshot_data(catalog=catalog)
    for fmt in ALL_FORMATS:
        request = SnapshotRequest(layers=("cities",), format=fmt, bbox=(70, 40, 85, 50), width_px=640, height_px=360)
        try:
            snapshot = make_snapshot(request, data)
        except CorridorAtlasError as err:
            assert "background" in str(err), f"{fmt}: {err}"
            continue
        if fmt == "html":
            _assert_not_evaluated(snapshot.content.decode("utf-8"))
