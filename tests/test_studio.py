"""The presenter studio in the app: export settings that stay, the preview, scenes and deck files, present mode."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from layers.deckfile import deck_from_text

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")


pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def _export_tab(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.session_state["tab"] = "Export"
    at.run()
    assert not at.exception and not at.error
    return at


def _open(at: AppTest, tab: str) -> AppTest:
    at.session_state["tab"] = tab
    return at.run()


def _deck_titles(at: AppTest) -> list[str]:
    return [scene.title for _, scene in at.session_state["deck"]]


def test_studio__settings_stay_while_other_tabs_are_open():
    at = _export_tab()
    at.selectbox(key="export_tiles").select("osm").run()
    at.selectbox(key="export_frame").select("A4 portrait · 1654×2339 (200 dpi)").run()
    at.text_input(key="export_subtitle").input("Briefing, page 2").run()
    at.selectbox(key="export_format").select("pdf").run()
    for tab in ("Metrics", "Corridor", "Export"):
        _open(at, tab)
    assert at.selectbox(key="export_tiles").value == "osm"
    assert at.selectbox(key="export_tiles").format_func("osm") == "OpenStreetMap (online)"
    assert at.selectbox(key="export_frame").value.startswith("A4 portrait")
    assert at.text_input(key="export_subtitle").value == "Briefing, page 2"
    assert at.selectbox(key="export_format").value == "pdf"


@pytest.mark.parametrize("frame", [(1654, 2339), (1920, 1080), (3840, 2160), (1080, 1080)])
def test_studio__preview_has_the_frame_of_the_export(frame):
    from app.studio import PREVIEW_BOX, _preview_request
    from layers.snapshot import SnapshotRequest, make_snapshot
    from tests.conftest import snapshot_data

    width, height = frame
    request = SnapshotRequest(layers=("cities",), bbox=(68.0, 39.0, 85.0, 49.0), width_px=width, height_px=height)
    preview = make_snapshot(_preview_request(request), snapshot_data())
    image = Image.open(io.BytesIO(preview.content))
    assert image.size[0] <= PREVIEW_BOX[0] and image.size[1] <= PREVIEW_BOX[1]
    assert abs(image.size[0] / image.size[1] - width / height) < 0.01
    full = make_snapshot(request, snapshot_data())
    # the same extent (to the rounding of the preview's pixel size)
    assert all(abs(a - b) < 0.02 for a, b in zip(preview.view.lonlat_bounds, full.view.lonlat_bounds, strict=True))


def test_studio__preview_shows_under_the_settings():
    at = _export_tab()
    images = at.get("image")
    assert len(images) == 1
    caption = images[0].proto.imgs[0].caption
    assert caption.startswith("Preview, 1920×1080") and "13 layers" in caption


def test_studio__export_carries_route_year_and_selection():
    at = _export_tab({"from": "city-almaty", "to": "city-lianyungang", "feature": "city-urumqi", "year": "2015"})
    at.session_state["bounds"] = (70.0, 30.0, 122.0, 48.0)
    at.selectbox(key="export_format").select("png").run()
    at.button(key="export_go").click().run()
    assert not at.exception and not at.error
    _name, content, _mime, caption, _embed = at.session_state["export"]
    assert content.startswith(b"\x89PNG")
    assert "Route Almaty → Lianyungang" in caption
    image = Image.open(io.BytesIO(content))
    assert image.size == (1920, 1080)


def test_deck__add_reorder_rename_duplicate_remove_and_save_as_a_deck_file():
    at = _export_tab()
    at.session_state["bounds"] = (68.0, 39.0, 85.0, 49.0)
    at.text_input(key="export_title").input("First").run()
    at.button(key="deck_add").click().run()
    at.text_input(key="export_title").input("Second").run()
    at.text_area(key="export_notes").input("Say why Khorgos matters.").run()
    at.button(key="deck_add").click().run()
    assert _deck_titles(at) == ["First", "Second"]
    second_uid = at.session_state["deck"][1][0]
    at.button(key=f"scene_up_{second_uid}").click().run()
    assert _deck_titles(at) == ["Second", "First"]
    at.button(key=f"scene_copy_{second_uid}").click().run()
    assert _deck_titles(at) == ["Second", "Second (copy)", "First"]
    at.text_input(key=f"scene_title_{second_uid}").input("Khorgos").run()
    assert _deck_titles(at)[0] == "Khorgos"
    first_uid = at.session_state["deck"][2][0]
    at.button(key=f"scene_drop_{first_uid}").click().run()
    assert _deck_titles(at) == ["Khorgos", "Second (copy)"]
    assert not at.exception and not at.error
    saved = next(b for b in at.get("download_button") if b.proto.label.startswith("Download deck file"))
    assert saved is not None
    from layers.deckfile import deck_toml

    text = deck_toml([scene for _, scene in at.session_state["deck"]])
    again = deck_from_text(text, "deck.toml")
    assert [s.title for s in again] == ["Khorgos", "Second (copy)"]
    assert again[0].notes == "Say why Khorgos matters." and again[0].bbox == (68.0, 39.0, 85.0, 49.0)


def test_deck__makes_a_pptx_of_the_scenes():
    at = _export_tab({"from": "city-almaty", "to": "city-urumqi"})
    at.session_state["bounds"] = (70.0, 38.0, 90.0, 48.0)
    at.text_input(key="export_title").input("Almaty to Ürümqi").run()
    at.button(key="deck_add").click().run()
    at.button(key="deck_make_pptx").click().run(timeout=180)
    assert not at.exception and not at.error
    name, content, _mime = at.session_state["deck_export"]
    assert name.endswith(".pptx")
    prs = Presentation(io.BytesIO(content))
    assert [slide.shapes.title.text for slide in prs.slides] == ["Almaty to Ürümqi"]


def test_present__steps_through_scenes_and_ends_where_the_workspace_was():
    at = _export_tab()
    at.session_state["bounds"] = (68.0, 39.0, 85.0, 49.0)
    at.text_input(key="export_title").input("Today").run()
    at.button(key="deck_add").click().run()
    scene = at.session_state["deck"][0][1]
    from dataclasses import replace

    at.session_state["deck"].append((99, replace(scene, title="In 2012", year=2012, select="khorgos-icbc")))
    at.button(key="deck_present").click().run()
    assert not at.exception and not at.error
    assert "Scene 1 of 2 · Today" in at.get("progress")[0].proto.text
    at.button(key="present_next").click().run()
    assert "Scene 2 of 2 · In 2012" in at.get("progress")[0].proto.text
    assert at.session_state["f_year"] == 2012 and at.session_state["feature"] == "khorgos-icbc"
    at.button(key="present_end").click().run()
    assert not at.exception and not at.error
    assert at.session_state["presenting"] is None
    assert at.session_state["feature"] is None and at.session_state["f_year"] != 2012
    assert at.session_state["tab"] == "Export" and not at.get("progress")
