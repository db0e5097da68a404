"""Shared fixtures: tiny geometries and layer files built on the fly."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from tests.pg_server import free_port

ROOT = Path(__file__).resolve().parent.parent

SOURCE = [{"title": "Test source", "url": "https://example.org/source", "publisher": "Tests"}]


def feature(fid: str | None, geometry: dict[str, Any] | None, **props: Any) -> dict[str, Any]:
    """A GeoJSON feature with every required property filled, overridable by keyword."""
    base: dict[str, Any] = {
        "id": fid,
        "name": f"Feature {fid}",
        "kind": "oil pipeline",
        "status": "operating",
        "year": 2006,
        "operator": "Operator",
        "sources": SOURCE,
        "location_precision": "approximate",
    }
    base.update(props)
    return {"type": "Feature", "properties": base, "geometry": geometry}


def line(*coords: tuple[float, float]) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": [list(c) for c in coords]}


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


@pytest.fixture
def write_layer(tmp_path: Path) -> Callable[..., Path]:
    """Write a FeatureCollection (or raw text) to a file under tmp_path and return its path."""

    def write(features: list[dict[str, Any]] | str, name: str = "layer.geojson", **extra: Any) -> Path:
        path = tmp_path / name
        if isinstance(features, str):
            path.write_text(features, encoding="utf-8")
        else:
            path.write_text(json.dumps({"type": "FeatureCollection", **extra, "features": features}), encoding="utf-8")
        return path

    return write


@pytest.fixture
def equator_line() -> gpd.GeoDataFrame:
    """One degree of longitude along the equator."""
    return gpd.GeoDataFrame({"id": ["eq"]}, geometry=[LineString([(0, 0), (1, 0)])], index=["eq"], crs=4326)


@pytest.fixture
def two_countries() -> gpd.GeoDataFrame:
    """Two adjacent 1° squares on the equator: West (lon 0–1) and East (lon 1–2)."""
    return gpd.GeoDataFrame({"name": ["West", "East"]}, geometry=[box(0, -1, 1, 1), box(1, -1, 2, 1)], crs=4326)


@pytest.fixture
def facility() -> gpd.GeoDataFrame:
    """One point at Khorgos."""
    return gpd.GeoDataFrame({"id": ["f"]}, geometry=[Point(80.4, 44.2)], index=["f"], crs=4326)


@pytest.fixture
def fresh_streamlit_caches() -> Iterator[None]:
    """Streamlit's caches empty before and after a test of the app (each test starts as a new server would)."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


# --- headless Chromium (Debian's package; Playwright drives it) ----------------------------------

CHROMIUM = os.environ.get("CORRIDOR_ATLAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; CI must install Debian's chromium package")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    tab.requests = []
    tab.on("request", lambda request: tab.requests.append(request.url))
    yield tab
    context.close()


@contextmanager
def running_app(log_dir: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """A real app server on a free local port (with ``env`` added to this process's environment); its URL.

    It keeps its opening (app/opening.py) in ``log_dir``, not in the checkout's ``var/``: each server
    starts without one, as a fresh install does, unless ``env`` names another folder.
    """
    env = {"CORRIDOR_ATLAS_OPENINGS": str(log_dir / "openings"), **(env or {})}
    port = free_port()
    log_path = log_dir / f"streamlit-{port}.log"
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
    ]  # fmt: skip
    log = log_path.open("w")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True, env={**os.environ, **env})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None:
                log.close()
                pytest.fail(f"the app exited: {log_path.read_text()}")
            time.sleep(0.3)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    """A real app server on a free local port, for the browser tests of one module."""
    with running_app(tmp_path_factory.mktemp("app")) as url:
        yield url


# --- workspace databases: the embedded file and PostgreSQL/PostGIS -----------------------------------


@pytest.fixture(scope="session")
def postgis_server() -> Iterator[str]:
    """A PostgreSQL server with PostGIS: ``CORRIDOR_ATLAS_TEST_DATABASE_URL``, else a throwaway one started here."""
    given = os.environ.get("CORRIDOR_ATLAS_TEST_DATABASE_URL", "").strip()
    if given:
        yield given
        return
    from contextlib import ExitStack

    from tests.pg_server import PostgresMissing, throwaway_postgis

    with ExitStack() as stack:
        try:
            url = stack.enter_context(throwaway_postgis())
        except PostgresMissing as err:
            if os.environ.get("CI"):
                pytest.fail(f"{err}; CI must install Debian's postgresql and postgresql-15-postgis-3")
            pytest.skip(f"{err} (apt-get install postgresql postgresql-15-postgis-3)")
        yield url


@dataclass(frozen=True)
class Database:
    """A workspace database for one test: its kind and where it is (a file, or a PostGIS URL with its own schema)."""

    kind: str
    location: str

    def store(self, limits: Any = None) -> Any:
        from layers.workspace_store import Limits, open_store

        url = self.location if self.kind == "postgis" else ""
        return open_store(Path(self.location), limits=limits or Limits(), url=url)

    @property
    def env(self) -> dict[str, str]:
        """The environment that points an app process at this database."""
        if self.kind == "postgis":
            return {"CORRIDOR_ATLAS_DATABASE_URL": self.location}
        return {"CORRIDOR_ATLAS_WORKSPACES": self.location}


def database_for(request: pytest.FixtureRequest, kind: str, folder: Path) -> Database:
    """A fresh database of a kind: a new file under ``folder``, or a new schema on the PostGIS server."""
    if kind == "postgis":
        from tests.pg_server import schema_url

        return Database(kind, schema_url(request.getfixturevalue("postgis_server")))
    return Database(kind, str(folder / "workspaces" / "atlas.db"))


@pytest.fixture(params=["sqlite", "postgis"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    """Each workspace test runs on the embedded database and on PostGIS."""
    return database_for(request, request.param, tmp_path)


@pytest.fixture
def postgis_database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    """A fresh PostGIS database (a schema of its own), for what only PostGIS does."""
    return database_for(request, "postgis", tmp_path)


# --- layers as the app holds them ------------------------------------------------------------------


def as_upload(upload_id: str, title: str, ingested: Any, colour_index: int = 0) -> Any:
    """An ingested file as the app keeps it in a session: a layer like any catalog layer."""
    from layers.uploads import upload_layer

    return upload_layer(upload_id, title, ingested, colour_index)


def snapshot_data(*extra: Any, catalog: Any = None) -> Any:
    """What the Export tab hands the snapshot: the catalog's layers (and ``extra`` layers), and the basemap."""
    from layers.catalog import default_catalog
    from layers.layer import LayerSet
    from layers.load import catalog_layers, load_basemap_part
    from layers.snapshot import SnapshotData

    cat = catalog or default_catalog()
    basemap_frames = {part.id: load_basemap_part(part) for part in cat.basemap.parts}
    return SnapshotData(catalog_layers(cat) + LayerSet(tuple(extra)), cat.basemap, basemap_frames, cat.analysis)
