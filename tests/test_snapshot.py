"""Snapshots: pixels where the data is, legend, scale bar, labels, reproducible files and CLI errors."""

from __future__ import annotations

import http.server
import io
import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import xyzservices
from matplotlib.text import Annotation
from PIL import Image

from geo.crs import GEOD, from_mercator, to_mercator
from layers.catalog import default_catalog
from layers.cli import main
from layers.snapshot import SnapshotData, SnapshotRequest, make_snapshot, write_snapshot
from layers.static import MapText, draw_map, figure_bytes
from layers.tiles import fetch_tiles
from layers.view import SnapshotError, view_from_bbox, view_from_center
from tests.conftest import as_upload, snapshot_data

ROOT = Path(__file__).resolve().parent.parent
CATALOG = default_catalog()


@pytest.fixture(scope="module")
def data() -> SnapshotData:
    return snapshot_data()


def _hex_rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])


def _pixel_of(view, lon: float, lat: float) -> tuple[int, int]:
    x, y = to_mercator().transform(lon, lat)
    col = (x - view.x0) / (view.x1 - view.x0) * view.width_px
    row = (view.y1 - y) / (view.y1 - view.y0) * view.height_px
    return round(col), round(row)


def test_png__a_known_pipeline_vertex_has_the_layer_colour(data):
    request = SnapshotRequest(layers=("oil_pipelines",), bbox=(74.0, 44.0, 84.0, 48.5), width_px=1200, height_px=800)
    snapshot = make_snapshot(request, data)
    image = np.asarray(Image.open(io.BytesIO(snapshot.content)).convert("RGB")).astype(int)
    assert image.shape == (800, 1200, 3)
    line = data.drawn("oil_pipelines").loc["oil-atasu-alashankou"].geometry
    lon, lat = line.interpolate(0.8, normalized=True).coords[0]
    col, row = _pixel_of(snapshot.view, lon, lat)
    patch = image[row - 3 : row + 4, col - 3 : col + 4].reshape(-1, 3)
    oil = _hex_rgb(CATALOG.get("oil_pipelines").style.colour)
    assert np.abs(patch - oil).sum(axis=1).min() < 40
    far_col, far_row = _pixel_of(snapshot.view, 76.0, 47.6)  # open steppe, no pipeline near
    assert np.abs(image[far_row, far_col] - oil).sum() > 150


def test_legend__lists_exactly_the_visible_layers_with_features_in_view(data):
    view = view_from_bbox((66.0, 39.0, 84.0, 49.0), width_px=1200, height_px=800)
    layers = [(CATALOG.get(i), data.drawn(i)) for i in ("oil_pipelines", "lianyungang", "cities")]
    drawn = draw_map(view, layers, basemap=CATALOG.basemap, basemap_frames=data.basemap_frames)
    assert drawn.legend == ["Oil pipeline", "City"]  # Lianyungang lies outside this view
    svg = figure_bytes(drawn, "svg").decode()
    assert "Oil pipeline" in svg and ">City<" in svg.replace("\n", "")
    assert "Gas pipeline" not in svg and "Lianyungang terminal" not in svg


@pytest.mark.parametrize(("lat", "zoom"), [(30.0, 5), (44.0, 7), (52.0, 4)])
def test_scale_bar__states_the_true_ground_length_within_two_percent(data, lat, zoom):
    view = view_from_center(lat, 80.0, zoom, width_px=1400, height_px=900)
    drawn = draw_map(view, [(CATALOG.get("cities"), data.drawn("cities"))], basemap=CATALOG.basemap, basemap_frames={})
    bar = drawn.scale_bar
    (lon0, lon1), (lat0, lat1) = from_mercator().transform([bar.x0, bar.x1], [bar.y, bar.y])
    _, _, ground_m = GEOD.inv(lon0, lat0, lon1, lat1)
    assert ground_m / 1000 == pytest.approx(bar.length_km, rel=0.02)
    assert (bar.x1 - bar.x0) / (view.x1 - view.x0) < 0.35


def test_labels__never_overlap_and_prefer_larger_cities(data):
    view = view_from_bbox((60.0, 36.0, 90.0, 52.0), width_px=1000, height_px=600)
    drawn = draw_map(
        view,
        [(CATALOG.get("cities"), data.drawn("cities"))],
        basemap=CATALOG.basemap,
        basemap_frames={},
        text=MapText(title="A title that takes room"),
    )
    renderer = drawn.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in drawn.figure.axes[0].texts if isinstance(t, Annotation)]
    assert len(boxes) == len(drawn.labels) >= 5
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)
    assert drawn.labels[0] in {"Tashkent", "Almaty", "Ürümqi"}


def test_html__is_self_contained_and_escapes_its_title(data):
    request = SnapshotRequest(
        layers=("gas_pipelines", "khorgos"),
        format="html",
        fit=("khorgos",),
        title="{{ 7*7 }} <script>x</script>",
        width_px=800,
        height_px=600,
    )
    html = make_snapshot(request, data).content.decode()
    assert "<script>x" not in html
    assert "<title>{{ 7*7 }} &lt;script&gt;x&lt;/script&gt;</title>" in html
    assert "{{ 7*7 }}" not in html.split("</title>")[1]
    assert "\\u007b\\u007b 7*7 \\u007d\\u007d \\u003cscript\\u003ex" in html
    assert "cdn." not in html and 'src="http' not in html and 'href="http' not in html.split("<body>")[0]


def test_write_snapshot__writes_caption_and_embed_snippet(tmp_path, data):
    request = SnapshotRequest(layers=("rail_corridors", "cities"), format="html", fit=("rail_corridors",), title="Rail")
    written = write_snapshot(request, data, tmp_path / "rail.html")
    assert [p.name for p in written] == ["rail.html", "rail.txt", "rail.embed.html"]
    assert "Rail corridors and Cities" in (tmp_path / "rail.txt").read_text()
    assert (tmp_path / "rail.embed.html").read_text().startswith('<iframe src="rail.html" title="Rail"')


def test_tiles__a_fetched_background_is_drawn_under_the_layers(data):
    tile = io.BytesIO()
    Image.new("RGB", (256, 256), (10, 200, 30)).save(tile, format="PNG")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(tile.getvalue())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        source = xyzservices.TileProvider(
            name="local", url=f"http://127.0.0.1:{server.server_port}/{{z}}/{{x}}/{{y}}.png", attribution="Local tiles"
        )
        view = view_from_center(44.0, 77.0, 6, width_px=600, height_px=400)
        tiles = fetch_tiles(view, source)
    finally:
        server.shutdown()
        server.server_close()
    drawn = draw_map(view, [], basemap=CATALOG.basemap, basemap_frames=data.basemap_frames, tiles=tiles)
    image = np.asarray(Image.open(io.BytesIO(figure_bytes(drawn, "png"))).convert("RGB")).astype(int)
    assert np.abs(image[200, 300] - np.array([10, 200, 30])).sum() < 10
    assert tiles.attribution == "Local tiles"


def test_tiles__offline_is_a_clear_error():
    source = xyzservices.TileProvider(name="nowhere", url="http://127.0.0.1:9/{z}/{x}/{y}.png", attribution="")
    view = view_from_center(44.0, 77.0, 6, width_px=400, height_px=300)
    with pytest.raises(SnapshotError, match=r"--tiles: could not fetch tiles"):
        fetch_tiles(view, source, timeout=2)


# --- the command line -----------------------------------------------------------------------------


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "layers.cli", *args], cwd=cwd, capture_output=True, text=True, env=None, check=False
    )


def test_cli__svg_and_html_are_byte_identical_across_runs(tmp_path):
    outputs = {}
    for run in ("a", "b"):
        folder = tmp_path / run
        folder.mkdir()
        for fmt in ("svg", "html"):
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "layers.cli",
                    "snapshot",
                    "--layers",
                    "oil_pipelines,gas_pipelines,khorgos,cities",
                    "--center",
                    "44.0,77.0",
                    "--zoom",
                    "6",
                    "--size",
                    "1280x720",
                    "--title",
                    "Corridors",
                    "--output",
                    str(folder / f"map.{fmt}"),
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            assert result.returncode == 0, result.stderr
            outputs[(run, fmt)] = (folder / f"map.{fmt}").read_bytes()
    assert outputs[("a", "svg")] == outputs[("b", "svg")]
    assert outputs[("a", "html")] == outputs[("b", "html")]


def test_cli__deck_from_a_spec_file(tmp_path, capsys):
    spec = tmp_path / "deck.toml"
    spec.write_text(
        """
[defaults]
size = "800x450"
layers = ["oil_pipelines", "gas_pipelines", "cities"]

[[snapshot]]
output = "overview.png"
bbox = [50, 36, 90, 52]
title = "Overview"

[[snapshot]]
output = "khorgos.svg"
layers = ["khorgos", "rail_corridors"]
center = [44.2, 80.3]
zoom = 9
"""
    )
    assert main(["snapshot", "--spec", str(spec)]) == 0
    assert (tmp_path / "overview.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "khorgos.svg").read_bytes().startswith(b"<?xml")
    assert "overview.png" in capsys.readouterr().out


def test_cli__a_bad_deck_entry_writes_nothing(tmp_path, capsys):
    spec = tmp_path / "deck.toml"
    spec.write_text('[[snapshot]]\noutput = "a.png"\nlayers = ["cities"]\nbbox = [60, 36, 90, 52]\n\n'
                    '[[snapshot]]\noutput = "b.png"\nlayers = ["pipelines"]\nbbox = [60, 36, 90, 52]\n')  # fmt: skip
    assert main(["snapshot", "--spec", str(spec)]) == 2
    assert "--layers: unknown layer id 'pipelines'" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.toml"]


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        (["--layers", "nope", "--bbox", "70,40,80,45"], "--layers"),
        (["--layers", "cities", "--bbox", "70,40,70,45"], "--bbox"),
        (["--layers", "cities", "--bbox", "70,40,80"], "--bbox"),
        (["--layers", "lianyungang", "--bbox", "60,40,70,45"], "--bbox/--fit/--center"),
        (["--layers", "cities", "--fit", "nope"], "--fit"),
        (["--layers", "cities", "--center", "43,76"], "--zoom"),
        (["--layers", "cities"], "--bbox/--fit/--center"),
        (["--layers", "cities", "--bbox", "60,40,70,45", "--size", "100000x5"], "--size"),
        (["--layers", "cities", "--bbox", "60,40,70,45", "--size", "big"], "--size"),
        (["--layers", "cities", "--bbox", "60,40,70,45", "--dpi", "5000"], "--dpi"),
    ],
)
def test_cli__bad_input_is_one_line_naming_the_argument(tmp_path, capsys, args, argument):
    out = tmp_path / "map.png"
    assert main(["snapshot", *args, "--output", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"corridor-atlas: error: {argument}: ")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("output", "message"),
    [("afile/map.png", "afile' is a file"), ("map.jpeg", "--format"), ("taken.png", "is a folder")],
)
def test_cli__unusable_output_paths(tmp_path, capsys, output, message):
    (tmp_path / "taken.png").mkdir()
    (tmp_path / "afile").write_text("not a folder")
    assert main(["snapshot", "--layers", "cities", "--bbox", "60,40,70,45", "--output", str(tmp_path / output)]) == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "taken.png"]


def test_cli__makes_missing_output_folders(tmp_path, capsys):
    out = tmp_path / "maps" / "2026" / "overview.png"
    assert main(["snapshot", "--layers", "cities", "--bbox", "60,40,70,45", "--output", str(out)]) == 0
    assert out.read_bytes().startswith(b"\x89PNG") and out.with_suffix(".txt").exists()


def test_cli__unwritable_folder(tmp_path, capsys, monkeypatch):
    import os

    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    real_access = os.access
    # root may write anywhere, so ask the question the way an ordinary user's process would get it answered
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == locked else real_access(p, mode))
    assert main(["snapshot", "--layers", "cities", "--bbox", "60,40,70,45", "--output", str(locked / "m.png")]) == 2
    assert "--output: folder" in capsys.readouterr().err
    assert list(locked.iterdir()) == []


def test_cli__help_names_every_option():
    result = _cli("snapshot", "--help", cwd=ROOT)
    assert result.returncode == 0
    for option in ("--layers", "--bbox", "--fit", "--center", "--zoom", "--size", "--dpi", "--format", "--title",
                   "--subtitle", "--output", "--spec", "--tiles"):  # fmt: skip
        assert option in result.stdout


def test_static__titles_and_names_with_markup_or_dollars_are_plain_text(data):
    view = view_from_bbox((66.0, 39.0, 84.0, 49.0), width_px=800, height_px=500)
    title = "Cost $\\nosuchcommand{x}$ <b>{{ 7*7 }}</b>"
    text = MapText(title=title, subtitle="50% & more", footnote="$unbalanced")
    drawn = draw_map(view, [(CATALOG.get("oil_pipelines"), data.drawn("oil_pipelines"))],
                     basemap=CATALOG.basemap, basemap_frames={}, text=text)  # fmt: skip
    assert figure_bytes(drawn, "png").startswith(b"\x89PNG")  # mathtext would fail to parse this title
    svg = figure_bytes(drawn, "svg").decode()
    assert "Cost $\\nosuchcommand{x}$ &lt;b&gt;{{ 7*7 }}&lt;/b&gt;" in svg


def test_snapshot__includes_an_uploaded_layer(data):
    from geo.ingest import ingest

    content = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": "Yard"},
                    "geometry": {"type": "Point", "coordinates": [80.3, 44.2]},
                }
            ],
        }
    ).encode()
    layer = ingest("yards.geojson", content)
    upload = as_upload("up_yards", "yards.geojson", layer)
    spec = upload.spec
    with_upload = snapshot_data(upload)
    request = SnapshotRequest(layers=("khorgos", spec.id), fit=(spec.id, "khorgos"), width_px=800, height_px=500)
    snapshot = make_snapshot(request, with_upload)
    assert snapshot.legend == ["Khorgos facilities", "yards.geojson"]
    html = make_snapshot(SnapshotRequest(layers=(spec.id,), format="html", fit=(spec.id,)), with_upload).content
    assert b"Yard" in html


def test_png__control_characters_in_the_title_are_left_out_not_drawn_as_missing_glyphs(data):
    # no font has a glyph for DEL or BEL: matplotlib would warn (an error under this suite's settings)
    request = SnapshotRequest(
        layers=("oil_pipelines",), bbox=(74.0, 44.0, 84.0, 48.5), width_px=600, height_px=400, title="Oil\x7f\x07 pipes"
    )
    snapshot = make_snapshot(request, data)
    assert snapshot.content.startswith(b"\x89PNG")
