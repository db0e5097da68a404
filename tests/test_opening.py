"""The opening kept on disk (app/opening.py): found only for the catalog, data and code it was made from, whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.catalog import Source
from app.frame import Status
from app.mapview import MapAsk, MapPage
from app.opening import Opening, keep_opening, kept_opening, source_key
from app.statics import FROM_COMPONENT_FRAME, STATIC_DIR

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def src(tmp_path) -> Source:
    """A catalog file and a data folder of one small file each."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "cities.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    (tmp_path / "catalog.toml").write_text('[[layer]]\nid = "cities"\n')
    source_key.cache_clear()
    yield Source(str(tmp_path / "catalog.toml"), str(tmp_path / "data"))
    source_key.cache_clear()


def _opening(js_links: tuple[str, ...] = ()) -> Opening:
    page = MapPage("var map_div;", "<style></style>", "", "map_k", (), js_links, {"zoom": 4}, {"cities": "g1"})
    return Opening(
        page=page,
        visible=("cities",),
        ask=MapAsk(None, 0, None, "en", ""),
        analysis="CorridorAtlas.analysis(window.map, []);",
        status=Status("caption", "Showing 2 of 2 features in 1 layers"),
    )


def test_a_kept_opening_is_found_again_as_it_was(src, tmp_path):
    folder = tmp_path / "openings"
    assert kept_opening(src, folder) is None  # none kept yet
    path = keep_opening(_opening(), src, folder)
    assert path is not None and path.name == f"opening-{source_key(src)}.json"
    assert kept_opening(src, folder) == _opening()  # tuples, records and all


def test_an_opening_is_not_found_once_the_data_or_the_catalog_changed(src, tmp_path):
    folder = tmp_path / "openings"
    keep_opening(_opening(), src, folder)
    before = source_key(src)
    Path(src.data_folder, "cities.geojson").write_text('{"type": "FeatureCollection", "features": [1]}')
    source_key.cache_clear()
    assert source_key(src) != before and kept_opening(src, folder) is None
    keep_opening(_opening(), src, folder)  # the warm start keeps the new one; the old one goes
    assert [p.name for p in folder.glob("opening-*.json")] == [f"opening-{source_key(src)}.json"]
    Path(src.catalog_file).write_text('[[layer]]\nid = "towns"\n')
    source_key.cache_clear()
    assert kept_opening(src, folder) is None


def test_an_opening_whose_published_file_is_gone_is_not_used(src, tmp_path):
    folder = tmp_path / "openings"
    missing = "map_scripts-00000000000000000000.js"
    assert not (STATIC_DIR / missing).exists()
    keep_opening(_opening((FROM_COMPONENT_FRAME + missing,)), src, folder)
    assert kept_opening(src, folder) is None  # the whole page publishes the scripts again


def test_a_damaged_opening_is_not_used_and_an_unwritable_folder_keeps_none(src, tmp_path):
    folder = tmp_path / "openings"
    folder.mkdir()
    (folder / f"opening-{source_key(src)}.json").write_text(json.dumps({"page": "half"}))
    assert kept_opening(src, folder) is None
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert keep_opening(_opening(), src, blocked / "openings") is None  # a warning, no error


def test_an_opening_that_cannot_be_written_whole_leaves_no_file(src, tmp_path, monkeypatch):
    folder = tmp_path / "openings"

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("app.opening.json.dump", disk_full)
    assert keep_opening(_opening(), src, folder) is None
    assert list(folder.iterdir()) == [] and kept_opening(src, folder) is None


def _python(code: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


HEAVY = ("geopandas", "pandas", "folium", "shapely", "pyproj", "pyogrio")


def test_the_opening_s_run_imports_no_geodata_or_mapping_library():
    loaded = _python(f"import sys, app.opening; print([m for m in {HEAVY!r} if m in sys.modules])", {})
    assert loaded == "[]"


def test_with_an_opening_kept_the_warm_start_waits_for_a_run_that_needs_the_whole_page(tmp_path):
    """Until then a first browser loads Streamlit's page and the map without sharing the interpreter with it."""
    env = {"CORRIDOR_ATLAS_OPENINGS": str(tmp_path)}
    _python("from app.server import warm_up; warm_up(); print('kept')", env)  # a first server keeps it
    assert list(tmp_path.glob("opening-*.json"))
    waited = _python(
        "import sys, threading, time\n"
        "from app import opening, server\n"
        "thread = threading.Thread(target=server.warm_up, args=(60,)); thread.start(); time.sleep(2)\n"
        "before = 'geopandas' in sys.modules\n"
        "opening.WHOLE_PAGE_ASKED.set(); thread.join(120)\n"
        "print(before, 'geopandas' in sys.modules, thread.is_alive())",
        env,
    )
    assert waited == "False True False"
