"""Uploads read under a time and memory budget, ids kept unique across layers, and a session's uploads kept in check."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import streamlit as st
from shapely.geometry import Point
from streamlit.testing.v1 import AppTest

from geo.budget import ReadBudget, read_within_budget
from geo.errors import CRSError, LayerReadError, LayerValidationError
from geo.formats import sanitise
from geo.ids import free_ids, id_renames
from geo.ingest import ingest
from tests.conftest import feature, line, point

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
REFUSED_WITHIN_S = 10.0


# --- hostile files, built here ------------------------------------------------------------------


def recursive_view_gpkg(path: Path) -> Path:
    """A 98 KB GeoPackage whose only feature layer is a recursive SQL view that never yields a row."""
    base = gpd.GeoDataFrame({"name": ["A"]}, geometry=[Point(80, 45)], crs=4326)
    pyogrio.write_dataframe(base, path, layer="base", driver="GPKG")
    db = sqlite3.connect(path)
    try:
        db.executescript(
            """
            CREATE VIEW loop AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)
              SELECT r.n AS fid, b.geom AS geom, b.name AS name FROM r, base AS b WHERE r.n < 0;
            INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
              VALUES ('loop', 'features', 'loop', 4326);
            INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
              VALUES ('loop', 'geom', 'POINT', 4326, 0, 0);
            DELETE FROM gpkg_geometry_columns WHERE table_name = 'base';
            DELETE FROM gpkg_contents WHERE table_name = 'base';
            """
        )
        db.commit()
    finally:
        db.close()
    return path


def scribble_geojson(vertices: int = 1850, seed: int = 7) -> bytes:
    """One polygon whose ring joins random points (~44 KB): it crosses itself at every turn."""
    rng = np.random.default_rng(seed)
    ring = np.column_stack([rng.uniform(70, 80, vertices), rng.uniform(40, 45, vertices)]).round(6).tolist()
    geometry = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    collection = {"type": "FeatureCollection", "features": [feature("scribble", geometry)]}
    return json.dumps(collection).encode()


def ordinary_geojson() -> bytes:
    features = [
        feature("a", line((80.0, 44.0), (81.0, 44.5), (82.0, 44.2)), capacity=5),
        feature("b", point(80.4, 44.2), capacity=None),
        feature("b", point(80.5, 44.3)),  # a repeated id: renamed, with a notice
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


@pytest.fixture(scope="module")
def warm() -> None:
    """Start the worker machinery once, so each timing below measures the read, not the forkserver's start."""
    read_within_budget("warm.geojson", ordinary_geojson())


@pytest.fixture(scope="module")
def loop_gpkg(tmp_path_factory) -> bytes:
    return recursive_view_gpkg(tmp_path_factory.mktemp("gpkg") / "loop.gpkg").read_bytes()


# --- no worker left behind ------------------------------------------------------------------------


def _processes() -> dict[int, tuple[int, str, str]]:
    """Every process: ``{pid: (parent pid, state, command line)}``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        found[int(entry.name)] = (int(parent), state, cmdline)
    return found


def _workers() -> list[tuple[int, str]]:
    """This test process's upload workers (children of its forkserver), and any zombie child: ``(pid, state)``."""
    processes = _processes()
    mine = {pid for pid, (parent, _, _) in processes.items() if parent == os.getpid()}
    forkservers = {pid for pid in mine if "forkserver" in processes[pid][2]}
    return sorted(
        (pid, state)
        for pid, (parent, state, _) in processes.items()
        if parent in forkservers or (pid in mine and state == "Z")
    )


def _refused(name: str, content: bytes, **options) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(LayerReadError) as caught:
        read_within_budget(name, content, **options)
    return str(caught.value), time.monotonic() - started


# --- denial of service: refused within 10 s, nothing left running ----------------------------------


def test_recursive_view_gpkg__refused_before_reading(warm, loop_gpkg):
    assert 90_000 < len(loop_gpkg) < 110_000
    message, took = _refused("loop.gpkg", loop_gpkg)
    assert took < REFUSED_WITHIN_S
    assert message.startswith("loop.gpkg: the GeoPackage holds SQL views ('loop')")
    assert "save the layer as a table" in message
    assert _workers() == []


def test_recursive_view_gpkg__read_anyway__the_time_budget_stops_it(warm, loop_gpkg):
    message, took = _refused("loop.gpkg", loop_gpkg, read_views=True)
    assert took < REFUSED_WITHIN_S
    assert message.startswith("loop.gpkg: reading it took more than 6 s; refused (")
    assert _workers() == []


def test_scribble_polygon__refused_within_10_s(warm):
    content = scribble_geojson()
    assert 40_000 < len(content) < 48_000
    message, took = _refused("scribble.geojson", content)
    assert took < REFUSED_WITHIN_S
    assert message.startswith("scribble.geojson: reading it took more than 6 s; refused (")
    assert _workers() == []


def test_scribble_polygon__past_the_memory_budget__refused_for_memory(warm):
    budget = ReadBudget(base_seconds=60, base_memory_mb=150, memory_per_mb=0)
    message, took = _refused("scribble.geojson", scribble_geojson(), budget=budget)
    assert took < REFUSED_WITHIN_S
    assert message.startswith("scribble.geojson: reading it needs more than 150 MB of memory; refused (")
    assert _workers() == []


def test_worker_killed__reported_as_a_read_error_naming_the_file(warm):
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_within_budget("scribble.geojson", scribble_geojson(), budget=ReadBudget(base_seconds=60))
        except LayerReadError as err:
            outcome.append(err)

    reader = threading.Thread(target=read)
    reader.start()
    deadline = time.monotonic() + 5
    while not _workers() and time.monotonic() < deadline:
        time.sleep(0.05)
    (pid, _), *_ = _workers()
    os.kill(pid, signal.SIGSEGV)  # as a crash in a C library would
    reader.join(timeout=10)
    (err,) = outcome
    assert str(err).startswith("scribble.geojson: the reader stopped unexpectedly (it may need more than 1,024 MB")
    assert _workers() == []


# --- what goes through unchanged ---------------------------------------------------------------------


def test_ordinary_file__same_layer_as_ingest(warm):
    content = ordinary_geojson()
    direct = ingest("roads.geojson", content)
    budgeted = read_within_budget("roads.geojson", content)
    assert budgeted.name == direct.name and budgeted.digest == direct.digest
    assert budgeted.frame.equals(direct.frame) and budgeted.frame.crs == direct.frame.crs
    assert budgeted.display.equals(direct.display)
    assert budgeted.notices == direct.notices and budgeted.notices
    assert budgeted.geometry_kind == direct.geometry_kind
    assert _workers() == []


def _shapefile_zip_without_prj(tmp_path: Path) -> bytes:
    gdf = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(80, 45)], crs=4326)
    pyogrio.write_dataframe(gdf, tmp_path / "pts.shp")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        for part in ("shp", "shx", "dbf"):
            zf.write(tmp_path / f"pts.{part}", f"pts.{part}")
    return archive.getvalue()


@pytest.mark.parametrize(
    ("name", "make", "kind"),
    [
        ("broken.geojson", lambda _: b'{"type": "FeatureCollection", "features": [', LayerReadError),
        ("empty.geojson", lambda _: b"", LayerReadError),
        ("photo.png", lambda _: b"\x89PNG", LayerReadError),
        ("no_prj.zip", _shapefile_zip_without_prj, CRSError),
        (
            "far.geojson",
            lambda _: json.dumps({"type": "FeatureCollection", "features": [feature("x", point(400, 95))]}).encode(),
            LayerValidationError,
        ),
    ],
)
def test_project_error_in_the_worker__arrives_as_the_same_type_and_message(warm, tmp_path, name, make, kind):
    content = make(tmp_path)
    with pytest.raises(kind) as direct:
        ingest(name, content)
    with pytest.raises(kind) as budgeted:
        read_within_budget(name, content)
    assert type(budgeted.value) is type(direct.value)
    assert str(budgeted.value) == str(direct.value)
    if isinstance(direct.value, LayerValidationError):
        assert budgeted.value.problems == direct.value.problems and budgeted.value.path == direct.value.path


def test_budget__grows_with_the_file():
    budget = ReadBudget()
    assert budget.seconds(0) == 6.0 and budget.memory_mb(0) == 1024
    assert budget.seconds(48 * 1024 * 1024) == pytest.approx(54.0)
    assert budget.memory_mb(48 * 1024 * 1024) == 1024 + 20 * 48


# --- messages users read ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "shown"),
    [
        (
            "roads.gpkg: not a readable .gpkg file (/tmp/corridor-atlas-upload-k2_x9/layer.gpkg: not a database)",
            "roads.gpkg: not a readable .gpkg file (roads.gpkg: not a database)",
        ),
        (
            "big.geojson: not a readable .geojson file (GeoJSON object too complex/large. You may define the "
            "OGR_GEOJSON_MAX_OBJ_SIZE configuration option to a value in megabytes to allow for larger features, "
            "or 0 to remove any size limit.)",
            "big.geojson: not a readable .geojson file (GeoJSON object too complex/large.)",
        ),
        (
            "a.zip: not a readable .zip file ('/layer.shp' not recognized as being in a supported file format.; "
            "It might help to specify the correct driver explicitly by prefixing the file path with '<DRIVER>:', "
            "e.g. 'CSV:path'.)",
            "a.zip: not a readable .zip file ('a.zip' not recognized as being in a supported file format.)",
        ),
        (
            "a.geojson: 1 problem(s) found:\n  - a.geojson: feature 'x.y': name: see e.g. the docs. Really",
            "a.geojson: 1 problem(s) found:\n  - a.geojson: feature 'x.y': name: see e.g. the docs. Really",
        ),
    ],
)
def test_sanitise__no_server_paths_no_gdal_settings(said, shown):
    assert sanitise(said, said.split(":")[0]) == shown


def test_sanitise__long_text_in_linear_time():
    started = time.monotonic()
    sanitise("e.g." * 50_000 + "x" * 100_000 + "(" * 1_000, "a.geojson")
    assert time.monotonic() - started < 1.0


# --- feature ids unique across layers ---------------------------------------------------------------


def test_id_renames__tag_then_a_number_never_an_id_in_use():
    renames = id_renames(["city-almaty", "x", "x~up2"], {"city-almaty", "x", "city-almaty~up2"}, tag="up2")
    assert renames == {"city-almaty": "city-almaty~up2-2", "x": "x~up2-2"}


def test_free_ids__frame_and_display_renamed_alike_with_notices():
    content = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [feature("city-almaty", point(76.9, 43.2)), feature("own", point(77, 43))],
        }
    ).encode()
    layer = ingest("towns.geojson", content)
    renamed, notices = free_ids(layer, {"city-almaty", "khorgos-gateway"}, tag="up2")
    assert list(renamed.frame.index) == ["city-almaty~up2", "own"] == list(renamed.frame["id"])
    assert list(renamed.display.index) == ["city-almaty~up2", "own"] == list(renamed.display["id"])
    assert renamed.frame.index.name == "feature_id"
    assert [str(n) for n in notices] == [
        "towns.geojson: feature 'city-almaty': id: another layer has a feature with this id; renamed city-almaty~up2"
    ]
    assert renamed.notices == [*layer.notices, *notices]
    assert list(layer.frame.index) == ["city-almaty", "own"]  # the original is left alone
    assert free_ids(layer, {"elsewhere"}, tag="up2") == (layer, [])


# --- a session's uploads: titles, ids, total size, removal -----------------------------------------


@dataclass
class FakeUpload:
    """What the file uploader hands over: a file id, a name and bytes."""

    file_id: str
    name: str
    content: bytes

    def getvalue(self) -> bytes:
        return self.content


def _session_script() -> None:
    import streamlit as st

    from app.uploads import remove_upload, take_uploads

    if st.session_state.get("remove"):
        remove_upload(st.session_state.pop("remove"))
    else:
        take_uploads()


def _points(*ids: str, lon: float = 80.0) -> bytes:
    features = [feature(fid, point(lon + i * 0.1, 44.0)) for i, fid in enumerate(ids)]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


@pytest.fixture
def session(monkeypatch):
    monkeypatch.delenv("CORRIDOR_ATLAS_CATALOG", raising=False)
    monkeypatch.delenv("CORRIDOR_ATLAS_DATA", raising=False)
    st.cache_resource.clear()
    at = AppTest.from_function(_session_script, default_timeout=60)
    at.session_state["view"] = None
    yield at
    st.cache_resource.clear()


def _upload(at: AppTest, *files: FakeUpload) -> AppTest:
    at.session_state["uploader"] = list(files)
    at.run()
    assert not at.exception
    return at


def test_session__same_name_other_content__distinct_titles(warm, session):
    _upload(session, FakeUpload("f1", "roads.geojson", _points("a")))
    _upload(session, FakeUpload("f2", "roads.geojson", _points("b", lon=81)))
    titles = [layer.title for layer in session.session_state["uploads"].values()]
    assert titles == ["roads.geojson", "roads.geojson (2)"]


def test_session__ids_of_catalog_and_other_uploads__renamed_and_the_route_still_works(warm, session):
    _upload(session, FakeUpload("f1", "depots.geojson", _points("khorgos-gateway", "depot")))
    _upload(session, FakeUpload("f2", "more.geojson", _points("depot", "city-almaty", lon=81)))
    first, second = session.session_state["uploads"].values()
    assert list(first.frame.index) == ["khorgos-gateway~up1", "depot"] == list(first.display.index)
    assert list(second.frame.index) == ["depot~up2", "city-almaty~up2"] == list(second.display.index)
    assert any("renamed khorgos-gateway~up1" in str(n) for n in first.notices)

    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"from": "khorgos-gateway", "to": "lianyungang-kz-terminal"})
    at.session_state["tab"] = "Route"
    at.session_state["uploads"] = dict(session.session_state["uploads"])
    for upload_id in at.session_state["uploads"]:
        at.session_state[f"layer_{upload_id}"] = True
    at.run()
    assert not at.exception and not at.error
    assert any(m.label == "Route length, km" for m in at.metric)


def test_session__total_size_capped__refused_with_what_is_loaded(warm, session, monkeypatch):
    first, second = _points("a"), _points("b", "c", lon=81)
    monkeypatch.setenv("CORRIDOR_ATLAS_SESSION_UPLOAD_MB", str((len(first) + len(second) - 1) / 1024 / 1024))
    _upload(session, FakeUpload("f1", "a.geojson", first), FakeUpload("f2", "b.geojson", second))
    assert [layer.title for layer in session.session_state["uploads"].values()] == ["a.geojson"]
    (message,) = session.session_state["upload_errors"]
    assert message.startswith("b.geojson: 0.0 MB more would take this session's uploads over ")
    assert "MB loaded in 1 layer(s)" in message
    assert message.endswith("remove a layer first (✕ beside it), then upload the file again")


def test_session__removing_an_upload_drops_what_the_session_made_of_it(warm, session):
    _upload(session, FakeUpload("f1", "a.geojson", _points("a")))
    (upload_id,) = session.session_state["uploads"]
    session.session_state["upload_analyses"] = {("inputs", (upload_id,), "", ""): object()}
    session.session_state["remove"] = upload_id
    session.run()
    assert not session.exception
    assert session.session_state["uploads"] == {} and session.session_state["upload_sizes"] == {}
    assert "upload_analyses" not in session.session_state
