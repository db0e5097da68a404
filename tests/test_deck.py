"""Presenter exports: what the map shows is what the file shows, and decks as PPTX, multi-page PDF and HTML."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from shapely.geometry import Point

from geo.crs import to_mercator
from layers.catalog import default_catalog
from layers.cli import main
from layers.deckfile import deck_from_text, deck_toml
from layers.snapshot import SnapshotRequest, credited_publishers, make_snapshot
from tests.conftest import snapshot_data

ROOT = Path(__file__).resolve().parent.parent
CATALOG = default_catalog()
LAYERS = ["oil_pipelines", "gas_pipelines", "rail_corridors", "crossings", "khorgos", "almaty_plant", "cities"]
DRAWN = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "Bypass option B"},
            "geometry": {"type": "LineString", "coordinates": [[79.6, 44.0], [80.0, 44.35], [80.4, 44.25]]},
        }
    ],
}
DECK = f"""
[defaults]
size = "960x540"
layers = {json.dumps(LAYERS)}

[[snapshot]]
title = "Corridors overview"
subtitle = "Pipelines and rail"
bbox = [48, 30, 122, 54]
notes = "Open with the whole corridor."

[[snapshot]]
title = "Almaty to Lianyungang"
bbox = [70, 30, 122, 48]
route = ["city-almaty", "city-lianyungang"]
notes = "The shortest rail route on the network."

[[snapshot]]
title = "Khorgos as of 2015"
center = [44.2, 80.2]
zoom = 9
year = 2015
select = "khorgos-gateway"
corridor = "layer:gas_pipelines"
corridor_km = 20
drawings = '''{json.dumps(DRAWN)}'''
notes = "The dry port opened in 2015."
"""
TITLES = ["Corridors overview", "Almaty to Lianyungang", "Khorgos as of 2015"]


def _pdf_pages(content: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", content))


@pytest.fixture(scope="module")
def deck(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("deck")
    spec = folder / "deck.toml"
    spec.write_text(DECK, encoding="utf-8")
    out = folder / "out" / "not-yet-made"
    code = main(
        ["deck", str(spec), "--pptx", str(out / "b.pptx"), "--pdf", str(out / "b.pdf"), "--html", str(out / "b.html")]
    )
    assert code == 0
    return {"spec": spec, "pptx": out / "b.pptx", "pdf": out / "b.pdf", "html": out / "b.html"}


@pytest.fixture(scope="module")
def data():
    return snapshot_data()


# --- a deck as PowerPoint ----------------------------------------------------------------------------------------


def test_pptx__one_slide_per_scene_with_a_picture_title_notes_and_sources(deck):
    prs = Presentation(str(deck["pptx"]))
    assert round(prs.slide_width / prs.slide_height, 2) == round(16 / 9, 2)
    slides = list(prs.slides)
    assert [slide.shapes.title.text for slide in slides] == TITLES
    for slide in slides:
        pictures = [shape for shape in slide.shapes if shape.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == 1
        assert pictures[0].image.content_type == "image/png"
        alt = pictures[0]._element.nvPicPr.cNvPr.get("descr")
        assert alt.startswith("Map of ") and "°E" in alt
        texts = [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
        assert any(text.startswith("Sources: ") or "\nSources: " in text for text in texts)
        # the picture is inside the slide, under the title
        assert pictures[0].left >= 0 and pictures[0].left + pictures[0].width <= prs.slide_width
        assert pictures[0].top >= slide.shapes.title.top + slide.shapes.title.height - 1
    notes = [slide.notes_slide.notes_text_frame.text for slide in slides]
    assert notes == [
        "Open with the whole corridor.",
        "The shortest rail route on the network.",
        "The dry port opened in 2015.",
    ]
    assert any(
        text == "Pipelines and rail" for text in (s.text_frame.text for s in slides[0].shapes if s.has_text_frame)
    )


def test_pptx__pictures_are_high_resolution_maps_of_their_scene(deck):
    prs = Presentation(str(deck["pptx"]))
    route_slide = list(prs.slides)[1]
    picture = next(s for s in route_slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE)
    image = Image.open(io.BytesIO(picture.image.blob))
    assert image.size == (960, 540)
    placed_in = picture.width / 914400
    assert image.size[0] / placed_in >= 90  # at least 90 pixels per inch where it is placed


def test_pptx__opens_in_libreoffice_impress(deck, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice Impress not found; CI must install Debian's libreoffice-impress")
        pytest.skip("LibreOffice Impress not installed (apt-get install libreoffice-impress)")
    profile = tmp_path / "profile"
    result = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf", "--outdir",
         str(tmp_path), str(deck["pptx"])],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    rendered = tmp_path / "b.pdf"
    assert rendered.exists(), result.stderr + result.stdout
    assert _pdf_pages(rendered.read_bytes()) == 3


# --- a deck as one PDF and as one HTML page ---------------------------------------------------------------------


def test_pdf__one_page_per_scene(deck):
    content = deck["pdf"].read_bytes()
    assert content.startswith(b"%PDF")
    assert _pdf_pages(content) == 3
    assert b"CreationDate" not in content


@pytest.mark.browser
def test_html__steps_through_the_scenes_offline(deck, page):
    page.goto(deck["html"].as_uri())
    page.wait_for_selector(".ca-deck-count")
    assert page.inner_text(".ca-deck-count") == "1 / 3"
    assert page.inner_text(".ca-title-main") == TITLES[0]
    page.keyboard.press("ArrowRight")
    assert page.inner_text(".ca-deck-count") == "2 / 3"
    assert page.inner_text(".ca-title-main") == TITLES[1]
    assert page.url.endswith("#2")
    legend = page.inner_text(".ca-legend")
    assert re.search(r"Route Almaty → Lianyungang \([\d,]+ km\)", legend)
    page.keyboard.press("ArrowRight")
    assert page.inner_text(".ca-title-main") == TITLES[2]
    assert page.inner_text(".ca-title-stamp") == "As of 2015"
    assert "Corridor buffer 20 km" in page.inner_text(".ca-legend")
    assert page.locator(".ca-drawer-name").inner_text() == "KTZE–Khorgos Gateway dry port"
    page.keyboard.press("ArrowLeft")
    assert page.inner_text(".ca-deck-count") == "2 / 3"
    page.goto(deck["html"].as_uri() + "#3")
    page.reload()
    page.wait_for_selector(".ca-deck-count")
    assert page.inner_text(".ca-deck-count") == "3 / 3"
    assert [url for url in page.requests if not url.startswith(("file:", "data:"))] == []


def test_deck__byte_identical_files_from_the_same_deck_in_two_processes(deck, tmp_path):
    outputs = []
    for run in ("a", "b"):
        folder = tmp_path / run
        result = subprocess.run(
            [sys.executable, "-m", "layers.cli", "deck", str(deck["spec"]), "--pptx", str(folder / "d.pptx"),
             "--pdf", str(folder / "d.pdf"), "--html", str(folder / "d.html")],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        outputs.append({fmt: (folder / f"d.{fmt}").read_bytes() for fmt in ("pptx", "pdf", "html")})
    for fmt in ("pptx", "pdf", "html"):
        assert outputs[0][fmt] == outputs[1][fmt], fmt
    assert outputs[0]["pptx"] == deck["pptx"].read_bytes()  # the same as the in-process run, too


def test_deck__a_scene_that_cannot_be_made_is_named_and_nothing_is_written(tmp_path, capsys):
    spec = tmp_path / "deck.toml"
    spec.write_text(DECK.replace('"city-lianyungang"', '"city-atlantis"'), encoding="utf-8")
    assert main(["deck", str(spec), "--pdf", str(tmp_path / "x.pdf")]) == 2
    err = capsys.readouterr().err
    assert "scene #2" in err and "route" in err and "city-atlantis" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.toml"]


# --- what you see is what you export ----------------------------------------------------------------------------


def _pixel(view, lon: float, lat: float) -> tuple[int, int]:
    x, y = to_mercator().transform(lon, lat)
    return (
        round((x - view.x0) / (view.x1 - view.x0) * view.width_px),
        round((view.y1 - y) / (view.y1 - view.y0) * view.height_px),
    )


def test_export__a_view_with_a_route_shows_the_route_and_its_legend_entry(data):
    base = SnapshotRequest(layers=("cities",), bbox=(70, 30, 122, 48), width_px=1200, height_px=675)
    with_route = SnapshotRequest(**{**base.__dict__, "route": ("city-almaty", "city-lianyungang")})
    plain, routed = make_snapshot(base, data), make_snapshot(with_route, data)
    route = data.analyses.route("city-almaty", "city-lianyungang").frame.geometry.iloc[0]
    colour = np.array([int(CATALOG.analysis["route"][1].colour[i : i + 2], 16) for i in (1, 3, 5)])

    def hits(snapshot) -> int:
        image = np.asarray(Image.open(io.BytesIO(snapshot.content)).convert("RGB")).astype(int)
        count = 0
        for fraction in np.linspace(0.3, 0.7, 9):  # inland China, away from the legend
            col, row = _pixel(snapshot.view, *route.interpolate(fraction, normalized=True).coords[0])
            patch = image[row - 2 : row + 3, col - 2 : col + 3].reshape(-1, 3)
            count += int(np.abs(patch - colour).sum(axis=1).min() < 60)
        return count

    assert hits(routed) >= 8 and hits(plain) <= 1
    assert any(re.fullmatch(r"Route Almaty → Lianyungang \([\d,]+ km\)", entry) for entry in routed.legend)
    assert "Route" not in " ".join(plain.legend)


def test_export__year_selection_corridor_and_drawings_reach_the_image(data):
    request = SnapshotRequest(
        layers=tuple(LAYERS),
        center=(44.2, 80.2),
        zoom=9.0,
        width_px=1200,
        height_px=675,
        year=2014,
        select="khorgos-icbc",
        corridor="layer:gas_pipelines",
        corridor_km=20,
        drawings=json.dumps(DRAWN),
    )
    snapshot = make_snapshot(request, data)
    assert "Corridor buffer 20 km around Gas pipelines" in snapshot.legend
    assert "Drawn lines (proposed alignments)" in snapshot.legend
    image = np.asarray(Image.open(io.BytesIO(snapshot.content)).convert("RGB")).astype(int)
    centre = data.layers.get("khorgos").frame.loc["khorgos-icbc"].geometry
    col, row = _pixel(snapshot.view, centre.x, centre.y)
    ring = image[row - 14 : row + 15, col - 14 : col + 15].reshape(-1, 3)
    assert (np.abs(ring - np.array([0xFF, 0xD4, 0x00])).sum(axis=1) < 60).sum() > 20  # the selection's halo
    assert data.layers.get("khorgos").frame.loc["khorgos-gateway", "year"] == 2015  # opened after the year …
    assert "khorgos-gateway" not in data.shown(request).get("khorgos").frame.index  # … so left out


def test_export__labels_facilities_and_countries_and_names_the_drawing_with_its_length(data):
    request = SnapshotRequest(
        layers=tuple(LAYERS), center=(44.2, 80.2), zoom=10.0, width_px=1600, height_px=900, drawings=json.dumps(DRAWN)
    )
    from layers.static import draw_map

    view = make_snapshot(request, data).view
    shown = data.shown(request)
    drawn = draw_map(view, [(layer.spec, layer.display) for layer in shown], basemap=data.basemap,
                     basemap_frames=data.basemap_frames)  # fmt: skip
    assert any(re.fullmatch(r"Bypass option B \(\d+ km\)", label) for label in drawn.labels)
    khorgos_names = set(data.layers.get("khorgos").frame["name"])
    assert len(khorgos_names & set(drawn.labels)) >= 1
    overview = SnapshotRequest(layers=("cities",), bbox=(48, 30, 122, 54), width_px=1600, height_px=900)
    labels = draw_map(make_snapshot(overview, data).view, [(data.layers.get("cities").spec,
                      data.layers.get("cities").display)], basemap=data.basemap,
                      basemap_frames=data.basemap_frames).labels  # fmt: skip
    assert {"Kazakhstan", "China", "Mongolia"} <= set(labels)


def test_footnote__credits_features_in_view_original_publishers_first():
    frames = [
        gpd.GeoDataFrame(
            {
                "sources": [
                    [{"publisher": "Mirror Site", "retrieved_via": "copy"}, {"publisher": "Kazinform"}],
                    [{"publisher": "Kazinform"}, {"publisher": "Xinhua", "retrieved_via": "aggregator copy"}],
                    [{"publisher": "The Astana Times"}],
                ]
            },
            geometry=[Point(80, 44), Point(81, 44), Point(82, 44)],
            crs=4326,
        )
    ]
    assert credited_publishers(frames) == ["Kazinform", "The Astana Times", "Mirror Site", "Xinhua"]


def test_footnote__names_only_sources_of_features_in_view(data):
    china = SnapshotRequest(layers=("lianyungang",), bbox=(118, 33, 121, 36), width_px=800, height_px=450)
    snapshot = make_snapshot(china, data)
    from layers.snapshot import _in_view as in_view
    from layers.snapshot import footnote

    shown = data.shown(china)
    note = footnote(shown, in_view(shown, snapshot.view), None)
    lianyungang = credited_publishers([data.layers.get("lianyungang").frame])
    khorgos_only = set(credited_publishers([data.layers.get("khorgos").frame])) - set(lianyungang)
    assert note.startswith("Sources: ") and lianyungang[0] in note
    assert not any(name in note for name in khorgos_only)


# --- deck files: written by the app, read by the command line ---------------------------------------------------


def test_deck_file__written_scenes_read_back_the_same():
    scenes = deck_from_text(DECK, "deck.toml")
    again = deck_from_text(deck_toml(scenes), "again.toml")
    assert again == scenes
    assert again[2].route is None and again[1].route == ("city-almaty", "city-lianyungang")
    assert json.loads(again[2].drawings) == DRAWN


def test_deck_file__bad_scene_values_name_the_table_and_key():
    from layers.view import SnapshotError

    with pytest.raises(SnapshotError, match=r"\[\[snapshot\]\] #1: year: expected a year"):
        deck_from_text('[[snapshot]]\nlayers = ["cities"]\nbbox = [60, 40, 70, 45]\nyear = "soon"\n', "d.toml")
    with pytest.raises(SnapshotError, match=r"#1: statuses: 'closed' is not a status"):
        deck_from_text('[[snapshot]]\nlayers = ["cities"]\nbbox = [60, 40, 70, 45]\nstatuses = ["closed"]\n', "d.toml")
