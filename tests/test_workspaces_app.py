"""Saved workspaces in the app (AppTest), on the embedded database and on PostGIS: save, reopen in a new session,
read-only links, rename and delete, and a database that is down."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from shapely.geometry import LineString
from streamlit.testing.v1 import AppTest

from layers.drawings import Drawing
from tests.conftest import Database, as_upload
from tests.pg_server import free_port

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
DEPOTS = json.dumps(
    {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "depot-1", "name": "Depot <b>1</b>"},
                "geometry": {"type": "Point", "coordinates": [80.5, 44.25]},
            }
        ],
    }
).encode()

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


@pytest.fixture
def app_database(database: Database, monkeypatch) -> Database:
    """The app's workspaces in a fresh database of each kind."""
    monkeypatch.delenv("CORRIDOR_ATLAS_DATABASE_URL", raising=False)
    for name, value in database.env.items():
        monkeypatch.setenv(name, value)
    return database


def _session(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at


def _with_upload_and_drawing(at: AppTest) -> AppTest:
    from geo.ingest import ingest

    upload_id = f"up_{hashlib.sha256(DEPOTS).hexdigest()[:16]}"  # as the app names an uploaded file's layer
    at.session_state["uploads"] = {upload_id: as_upload(upload_id, "depots.geojson", ingest("depots.geojson", DEPOTS))}
    at.session_state["upload_files"] = {upload_id: ("depots.geojson", DEPOTS)}
    at.session_state[f"layer_{upload_id}"] = True
    line = LineString([(79.6, 44.0), (80.0, 44.35), (80.4, 44.25)])
    at.session_state["drawings"] = {"drawn-1": Drawing("drawn-1", "Bypass B", line)}
    return at


def _saved_workspace() -> tuple[AppTest, str, str, str]:
    at = _with_upload_and_drawing(_session())
    at.session_state["tab"] = "Export"
    at.run()
    at.checkbox(key="layer_cities").uncheck().run()
    at.text_input(key="export_title").input("Khorgos, scene one").run()
    at.button(key="deck_add").click().run()
    at.text_input(key="ws_name").input("Khorgos study").run()
    at.button(key="ws_create").click().run()
    assert not at.exception and not at.error and not at.warning
    return at, at.session_state["ws_id"], at.session_state["ws_key"], at.session_state["ws_view_key"]


def test_workspace__saved_and_reopened_in_a_new_session(app_database):
    at, workspace_id, edit_key, _ = _saved_workspace()
    assert app_database.store().open(workspace_id, edit_key).name == "Khorgos study"
    assert at.query_params["ws"] == workspace_id and at.query_params["key"] == edit_key
    at.session_state["f_year"] = 2015  # a change after saving is saved too
    at.run()
    revision = at.session_state["ws_open"]["revision"]
    assert revision == 2

    permalink = next(code.value for code in at.code if "layers=" in code.value)  # the Share button's link
    assert edit_key not in permalink and "ws=" not in permalink

    again = _session({"ws": workspace_id, "key": edit_key}).run()
    assert not again.exception and not again.error and not again.warning
    assert again.session_state["ws_open"] == {"id": workspace_id, "name": "Khorgos study", "edit": True, "revision": 2}
    assert [scene.title for _, scene in again.session_state["deck"]] == ["Khorgos, scene one"]
    assert again.session_state["layer_cities"] is False and again.session_state["f_year"] == 2015
    uploads = again.session_state["uploads"]
    assert len(uploads) == 1 and next(iter(uploads.values())).frame["name"].tolist() == ["Depot <b>1</b>"]
    assert [d.name for d in again.session_state["drawings"].values()] == ["Bypass B"]
    assert again.checkbox(key=f"layer_{next(iter(uploads))}").value is True  # the same layer record, switched on


def test_workspace__a_read_only_link_opens_but_saves_nothing(app_database):
    _, workspace_id, _, view_key = _saved_workspace()
    viewer = _session({"ws": workspace_id, "key": view_key}).run()
    assert viewer.session_state["ws_open"]["edit"] is False
    assert any("read-only link" in info.value.replace("\\", "") for info in viewer.info)
    viewer.session_state["f_year"] = 2010
    viewer.run()
    assert app_database.store().open(workspace_id, view_key).revision == 1  # the viewer's change was not saved
    assert not [b for b in viewer.button if b.key in ("ws_delete", "ws_rename_do")]  # a viewer cannot rename or delete
    assert not any(
        code.value.endswith(view_key) and "key=" in code.value for code in viewer.code if "Edit" in code.value
    )


def test_workspace__a_wrong_link_says_so_and_the_map_works(app_database):
    _, workspace_id, _, _ = _saved_workspace()
    at = _session({"ws": workspace_id, "key": "A" * 43}).run()
    assert not at.exception
    assert any("no workspace opens with this link" in w.value for w in at.warning)
    assert at.checkbox(key="layer_oil_pipelines").value is True and at.session_state.get("ws_open") is None


def test_workspace__a_database_that_is_down_leaves_the_map_usable(tmp_path, monkeypatch):
    broken = tmp_path / "workspaces.db"
    broken.write_bytes(b"not a database at all" * 200)
    monkeypatch.setenv("CORRIDOR_ATLAS_WORKSPACES", str(broken))
    at = _session().run()
    assert not at.exception and not at.error
    at.text_input(key="ws_name").input("Will fail").run()
    at.button(key="ws_create").click().run()
    assert not at.exception
    assert any("workspace database" in w.value and "cannot be used" in w.value for w in at.warning)
    at.checkbox(key="layer_cities").uncheck().run()  # the map and its toggles keep working
    assert not at.exception and at.checkbox(key="layer_cities").value is False


def test_workspace__renamed_and_deleted_from_the_sidebar(app_database):
    at, workspace_id, edit_key, view_key = _saved_workspace()
    at.text_input(key="ws_rename").input("  Khorgos study, final ").run()
    at.button(key="ws_rename_do").click().run()
    assert not at.exception and not at.warning
    assert app_database.store().open(workspace_id, view_key).name == "Khorgos study, final"
    assert any("Khorgos study, final: saved" in caption.value.replace("\\", "") for caption in at.caption)

    assert at.button(key="ws_delete").disabled  # not before the planner says yes
    at.checkbox(key="ws_delete_sure").check().run()
    at.button(key="ws_delete").click().run()
    assert not at.exception and at.session_state["ws_open"] is None
    assert any("deleted; its links open nothing now" in info.value for info in at.info)
    assert at.checkbox(key="layer_oil_pipelines").value is True  # the map stays as it was
    gone = _session({"ws": workspace_id, "key": edit_key}).run()
    assert any("no workspace opens with this link" in w.value for w in gone.warning)


def test_workspace__a_postgis_server_that_goes_down_loses_nothing_and_saves_when_back(postgis_database, monkeypatch):
    for name, value in postgis_database.env.items():
        monkeypatch.setenv(name, value)
    at, workspace_id, edit_key, _ = _saved_workspace()
    monkeypatch.setenv("CORRIDOR_ATLAS_DATABASE_URL", f"postgresql://atlas@127.0.0.1:{free_port()}/atlas")  # down
    at.session_state["f_year"] = 2012
    at.run()
    assert not at.exception
    assert any(
        "Not saved" in w.value and "cannot be reached" in w.value and "still here" in w.value for w in at.warning
    ), [w.value for w in at.warning]
    assert any("not saved yet" in caption.value for caption in at.caption)  # never "saved" while it is not
    at.checkbox(key="layer_cities").check().run()  # the map keeps working
    assert not at.exception and at.checkbox(key="layer_cities").value is True

    monkeypatch.setenv("CORRIDOR_ATLAS_DATABASE_URL", postgis_database.location)  # back
    at.session_state["f_year"] = 2013
    at.run()
    assert not at.warning
    again = _session({"ws": workspace_id, "key": edit_key}).run()
    assert again.session_state["f_year"] == 2013 and again.session_state["layer_cities"] is True


GOOGLE_EARTH_KML = b"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">
<Document><name>Corridor trip.kml</name>
<Placemark><name>Depot &lt;north&gt;</name>
  <Point><altitudeMode>clampToGround</altitudeMode><coordinates>80.5,44.25,0</coordinates></Point></Placemark>
<Placemark><name>Bypass</name>
  <LineString><tessellate>1</tessellate>
    <coordinates>79.6,44.0,612.5 80.0,44.35,640 80.4,44.25,655</coordinates></LineString>
</Placemark>
</Document></kml>
"""


def test_workspace__a_google_earth_kml_with_heights_is_saved_and_reopened(app_database):
    """Google Earth writes a height with every coordinate; the footprint drops it (PostGIS's column is 2-D)."""
    from geo.ingest import ingest

    at = _session()
    upload_id = f"up_{hashlib.sha256(GOOGLE_EARTH_KML).hexdigest()[:16]}"
    ingested = ingest("Corridor trip.kml", GOOGLE_EARTH_KML)
    assert ingested.frame.geometry.has_z.any()  # the heights are there, as a user brings them
    at.session_state["uploads"] = {upload_id: as_upload(upload_id, "Corridor trip.kml", ingested)}
    at.session_state["upload_files"] = {upload_id: ("Corridor trip.kml", GOOGLE_EARTH_KML)}
    at.session_state[f"layer_{upload_id}"] = True
    at.run()
    at.text_input(key="ws_name").input("Trip").run()
    at.button(key="ws_create").click().run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    assert any("Trip: saved" in caption.value.replace("\\", "") for caption in at.caption)
    again = _session({"ws": at.session_state["ws_id"], "key": at.session_state["ws_key"]}).run()
    assert not again.exception and not again.warning
    frame = next(iter(again.session_state["uploads"].values())).frame
    from geo.places import label_column

    assert sorted(frame[label_column(frame)]) == ["Bypass", "Depot <north>"]
    assert app_database.store().near(80.45, 44.25, km=10) == [at.session_state["ws_id"]]
