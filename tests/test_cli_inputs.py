"""The command and its deck files: every bad argument or value is one line naming it, status 2, nothing written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from layers.cli import main, read_deck

TABLE = {"output": '"a.png"', "layers": '["cities"]', "bbox": "[60, 36, 90, 52]", "size": '"400x300"'}
CENTRED = {"bbox": None, "center": "[44, 77]"}
GOOD_TABLE = "[[snapshot]]\n" + "".join(f"{key} = {value}\n" for key, value in TABLE.items())


def _table(changes: dict[str, str | None]) -> str:
    """One [[snapshot]] table: the good one with some keys changed (None removes a key)."""
    keys = {**TABLE, **changes}
    return "[[snapshot]]\n" + "".join(f"{key} = {value}\n" for key, value in keys.items() if value is not None)


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _assert_refused(code: int, err: str, field: str, folder: Path, keep: list[str]) -> None:
    lines = err.splitlines()
    assert code == 2, err
    assert len(lines) == 1 and err == lines[0] + "\n", err
    assert lines[0].startswith("corridor-atlas: error: "), err
    assert field in lines[0], err
    assert sorted(p.name for p in folder.iterdir()) == sorted(keep)


# --- one [[snapshot]] table with one bad value --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"size": "5"}, "#1: size: expected WIDTHxHEIGHT"),
        ({"size": '"0x0"'}, "#1: size: width 0 px is outside"),
        ({"size": '"-400x300"'}, "#1: size: width -400 px"),
        ({"size": '"400x300x2"'}, "#1: size: "),
        ({"size": '"99999999999999999999999x300"'}, "#1: size: width "),
        ({"size": "[400, 300]"}, "#1: size: "),
        ({"layers": "7"}, "#1: layers: expected layer ids"),
        ({"layers": "[1, 2]"}, "#1: layers: "),
        ({"layers": '[["cities"]]'}, "#1: layers: "),
        ({"layers": "[]"}, "#1: --layers: name at least one layer"),
        ({"layers": '["pipelines"]'}, "#1: --layers: unknown layer id 'pipelines'"),
        ({"bbox": '"x"'}, "#1: bbox: expected WEST,SOUTH,EAST,NORTH"),
        ({"bbox": '[1, "a", 3, 4]'}, "#1: bbox: "),
        ({"bbox": "[1, 2, 3]"}, "#1: bbox: "),
        ({"bbox": "[60, 36, 90, nan]"}, "#1: bbox: "),
        ({"bbox": "[60, 36, 90, inf]"}, "#1: bbox: "),
        ({"bbox": "[60, 36, 90, 1" + "0" * 400 + "]"}, "#1: bbox: "),
        ({"bbox": "[60, 36, 90, true]"}, "#1: bbox: "),
        ({"bbox": "{west = 60}"}, "#1: bbox: "),
        ({"bbox": "[90, 36, 60, 52]"}, "#1: --bbox: "),
        ({"bbox": "[-30, -40, -20, -30]"}, "#1: --bbox/--fit/--center: no feature"),
        ({"bbox": None}, "#1: --bbox/--fit/--center: give exactly one extent"),
        ({**CENTRED, "center": "[1]", "zoom": "5"}, "#1: center: expected LAT,LON"),
        ({**CENTRED, "center": "[91, 0]", "zoom": "5"}, "#1: --center: "),
        ({**CENTRED, "zoom": '"big"'}, "#1: zoom: expected a finite number"),
        ({**CENTRED, "zoom": "nan"}, "#1: zoom: "),
        ({**CENTRED, "zoom": "-inf"}, "#1: zoom: "),
        ({**CENTRED, "zoom": "true"}, "#1: zoom: "),
        ({**CENTRED, "zoom": "1e300"}, "#1: --zoom: "),
        (CENTRED, "#1: --zoom: --center needs --zoom"),
        ({"bbox": None, "fit": "3"}, "#1: fit: "),
        ({"bbox": None, "fit": '["nope"]'}, "#1: --fit: unknown layer id 'nope'"),
        ({"dpi": '"high"'}, "#1: dpi: expected a whole number from 50 to 600, got 'high'"),
        ({"dpi": "1.5"}, "#1: dpi: "),
        ({"dpi": "0"}, "#1: dpi: "),
        ({"dpi": "-3"}, "#1: dpi: "),
        ({"dpi": "99999999999999999999999999"}, "#1: dpi: "),
        ({"dpi": "true"}, "#1: dpi: "),
        ({"dpi": "nan"}, "#1: dpi: "),
        ({"title": "[1]"}, "#1: title: expected text"),
        ({"title": "5"}, "#1: title: "),
        ({"subtitle": "{a = 1}"}, "#1: subtitle: "),
        ({"tiles": "3"}, "#1: tiles: "),
        ({"tiles": '"nowhere"'}, "#1: tiles: unknown tile source 'nowhere'"),
        ({"output": "5"}, "#1: output: "),
        ({"output": '""'}, "#1: output: give the file to write"),
        ({"output": None}, "#1: output: give the file to write"),
        ({"output": '"a\\u0000.png"'}, "#1: output: "),
        ({"output": '"' + "a" * 250 + '.png"'}, "#1: output: "),
        ({"output": '"deck.toml/a.png"'}, "#1: --output: "),
        ({"output": '"a.jpeg"'}, "#1: format: the file name ends in '.jpeg'"),
        ({"format": "1"}, "#1: format: "),
        ({"format": '"gif"'}, "#1: format: 'gif' is not one of"),
        ({"format": '"svg"'}, "#1: --output: file name ends in .png, but the format is svg"),
        ({"date": "10:00:00"}, "#1: date: "),
        ({"date": "[2024]"}, "#1: date: "),
        ({"titel": '"Overview"'}, "#1: titel: unknown option; did you mean 'title'?"),
        ({'"ti\\ntle"': '"x"'}, "#1: 'ti\\ntle': unknown option"),
        ({"spec": '"other.toml"'}, "#1: spec: unknown option"),
    ],
)
def test_deck__a_bad_value_is_one_line_naming_table_and_key(tmp_path, capsys, changes, field):
    spec = tmp_path / "deck.toml"
    spec.write_text(_table(changes), encoding="utf-8")
    code, _, err = _run(["snapshot", "--spec", str(spec)], capsys)
    _assert_refused(code, err, f"corridor-atlas: error: --spec [[snapshot]] {field}", tmp_path, ["deck.toml"])


# --- the deck as a whole ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("defaults = 5\n" + GOOD_TABLE, "--spec: defaults: expected a [defaults] table"),
        ("snapshot = 5\n", "--spec: snapshot: expected [[snapshot]] tables"),
        ("snapshot = [1, 2]\n", "--spec [[snapshot]] #1: expected a table, got 1"),
        ('snapshot = {output = "a.png"}\n', "--spec: snapshot: expected [[snapshot]] tables (double brackets)"),
        ("snapshot = []\n", "--spec: snapshot: the deck has no [[snapshot]] tables"),
        ("", "--spec: snapshot: the deck has no [[snapshot]] tables"),
        ("[default]\ndpi = 100\n" + GOOD_TABLE, "--spec: default: unknown table; did you mean [defaults]?"),
        ("title = 'x'\n" + GOOD_TABLE, "--spec: title: unknown table"),
        ('[defaults]\ndpi = "high"\n' + GOOD_TABLE, "--spec [defaults]: dpi: expected a whole number"),
        ("[defaults]\nsize = 5\n" + GOOD_TABLE, "--spec [defaults]: size: "),
        ("[defaults]\nzoom = nan\n" + GOOD_TABLE, "--spec [defaults]: zoom: "),
        ("[defaults]\nlayer = ['cities']\n" + GOOD_TABLE, "--spec [defaults]: layer: unknown option; did you mean"),
        (GOOD_TABLE + "[snapshot.extra]\nkey = 1\n", "--spec [[snapshot]] #1: extra: unknown option"),
        (GOOD_TABLE + _table({"output": '"b.png"', "dpi": '"high"'}), "--spec [[snapshot]] #2: dpi: "),
        (GOOD_TABLE + _table({"output": '"b.png"', "bbox": "[-30, -40, -20, -30]"}), "#2: --bbox/--fit/--center: "),
        (GOOD_TABLE + _table({"output": '"b.svg"', "layers": "[]"}), "--spec [[snapshot]] #2: --layers: "),
        (GOOD_TABLE + GOOD_TABLE, "--spec [[snapshot]] #2: --output: "),
        ("a = " + "[" * 100_000 + "]" * 100_000 + "\n", "--spec: "),
        ("a = " + "{b = " * 5_000 + "1" + "}" * 5_000 + "\n", "--spec: "),
        ("not toml at all = = =\n", "--spec: "),
        ("[[snapshot]]\noutput = 'a.png'\noutput = 'b.png'\n", "--spec: "),
    ],
)
def test_deck__a_bad_file_is_one_line_and_writes_nothing(tmp_path, capsys, text, field):
    spec = tmp_path / "deck.toml"
    spec.write_text(text, encoding="utf-8")
    code, out, err = _run(["snapshot", "--spec", str(spec)], capsys)
    _assert_refused(code, err, field, tmp_path, ["deck.toml"])
    assert out == ""


def test_deck__a_file_that_is_not_utf8(tmp_path, capsys):
    spec = tmp_path / "deck.toml"
    spec.write_bytes(b'[[snapshot]]\noutput = "caf\xe9.png"\n')
    code, _, err = _run(["snapshot", "--spec", str(spec)], capsys)
    _assert_refused(code, err, "--spec: ", tmp_path, ["deck.toml"])
    assert "UTF-8" in err


def test_deck__a_folder_instead_of_a_file(tmp_path, capsys):
    (tmp_path / "deck.toml").mkdir()
    code, _, err = _run(["snapshot", "--spec", str(tmp_path / "deck.toml")], capsys)
    _assert_refused(code, err, "--spec: ", tmp_path, ["deck.toml"])
    assert "folder" in err


def test_deck__a_missing_file(tmp_path, capsys):
    code, _, err = _run(["snapshot", "--spec", str(tmp_path / "deck.toml")], capsys)
    _assert_refused(code, err, "--spec: ", tmp_path, [])


# --- command-line values ------------------------------------------------------------------------------------------

CITIES = ["--layers", "cities", "--bbox", "60,40,70,45"]
CENTRE = ["--layers", "cities", "--center", "44,77"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ([*CITIES, "--size", "0x0"], "--size: width 0 px"),
        ([*CITIES, "--size", "5"], "--size: expected WIDTHxHEIGHT"),
        ([*CITIES, "--size", "-400x300"], "--size: "),
        ([*CITIES, "--dpi", "-3"], "--dpi: expected a whole number from 50 to 600, got '-3'"),
        ([*CITIES, "--dpi", "high"], "--dpi: "),
        ([*CITIES, "--dpi", "1.5"], "--dpi: "),
        (["--layers", "cities", "--bbox", "1,2,3"], "--bbox: expected WEST,SOUTH,EAST,NORTH"),
        (["--layers", "cities", "--bbox", "60,40,70,nan"], "--bbox: "),
        (["--layers", "cities", "--bbox", "60,40,70,1e999"], "--bbox: "),
        ([*CENTRE, "--zoom", "nan"], "--zoom: expected a finite number"),
        ([*CENTRE, "--zoom", "inf"], "--zoom: "),
        ([*CENTRE, "--zoom", "25"], "--zoom: "),
        (["--layers", "cities", "--center", "91,0", "--zoom", "5"], "--center: "),
        (["--layers", "cities", "--center", "44", "--zoom", "5"], "--center: expected LAT,LON"),
        ([*CITIES, "--format", "gif"], "--format: 'gif' is not one of"),
        ([*CITIES, "--tiles", "nowhere"], "--tiles: unknown tile source"),
        ([*CITIES, "--layers", ",,"], "--layers: name at least one layer"),
        ([*CITIES, "--titel", "x"], "--titel"),
        ([*CITIES, "--dpi"], "--dpi"),
    ],
)
def test_cli__a_bad_value_is_one_line_naming_the_option(tmp_path, capsys, args, field):
    code, _, err = _run(["snapshot", *args, "--output", str(tmp_path / "map.png")], capsys)
    _assert_refused(code, err, field, tmp_path, [])


@pytest.mark.parametrize(
    ("output", "field"),
    [
        ("", "--output: give the file to write"),
        ("a" * 250 + ".png", "--output: "),
        ("map", "--format: the file name ends in nothing"),
    ],
)
def test_cli__a_bad_output_name(tmp_path, capsys, output, field):
    code, _, err = _run(["snapshot", *CITIES, "--output", str(tmp_path / output) if output else ""], capsys)
    _assert_refused(code, err, field, tmp_path, [])


def test_cli__options_beside_a_deck_are_refused(tmp_path, capsys):
    spec = tmp_path / "deck.toml"
    spec.write_text(GOOD_TABLE, encoding="utf-8")
    code, _, err = _run(["snapshot", "--spec", str(spec), "--dpi", "100"], capsys)
    field = "--spec: put every option in the deck file, not beside --spec (got --dpi)"
    _assert_refused(code, err, field, tmp_path, ["deck.toml"])


# --- what still works ---------------------------------------------------------------------------------------------


def test_deck__every_form_that_worked_still_reads(tmp_path):
    spec = tmp_path / "deck.toml"
    spec.write_text(
        """
[defaults]
layers = "cities, oil_pipelines"
fit = ["cities"]
dpi = "120"

[[snapshot]]
output = "maps/a.svg"
format = "SVG"
bbox = "60, 36, 90, 52"
fit = []
date = 2024-01-01
title = ""

[[snapshot]]
output = "b.png"
center = ["44.2", 80]
fit = []
zoom = "9"
dpi = 150.0
date = 2024-05-01T10:00:00
tiles = ""

[[snapshot]]
output = "c.html"
size = " 800 X 450 "
""",
        encoding="utf-8",
    )
    a, b, c = (job.request for job in read_deck(spec))
    assert a.layers == ("cities", "oil_pipelines") and a.fit == () and a.bbox == (60.0, 36.0, 90.0, 52.0)
    assert (a.format, a.dpi, a.date, a.title) == ("svg", 120, "2024-01-01", "")
    assert (b.center, b.zoom, b.dpi, b.date, b.tiles) == (
        (44.2, 80.0),
        9.0,
        150,
        str(dt.datetime(2024, 5, 1, 10)),
        None,
    )
    assert (c.format, c.fit, c.width_px, c.height_px) == ("html", ("cities",), 800, 450)
    assert [job.output for job in read_deck(spec)] == [tmp_path / "maps/a.svg", tmp_path / "b.png", tmp_path / "c.html"]


def test_deck__a_byte_order_mark_and_windows_line_ends_are_fine(tmp_path):
    spec = tmp_path / "deck.toml"
    spec.write_bytes(b"\xef\xbb\xbf" + GOOD_TABLE.replace("\n", "\r\n").encode("utf-8"))
    (job,) = read_deck(spec)
    assert (job.output, job.request.layers, job.request.width_px) == (tmp_path / "a.png", ("cities",), 400)


def test_deck__a_small_valid_deck_writes_its_map(tmp_path, capsys):
    code, out, _ = _run(["layers"], capsys)
    assert code == 0
    ids = [line.split("\t")[0] for line in out.splitlines()]
    assert ids
    spec = tmp_path / "deck.toml"
    spec.write_text(
        "[defaults]\n"
        'size = "400x300"\n'
        f"layers = {ids!r}\n"
        "dpi = 100\n"
        "date = 2024-01-01\n\n"
        "[[snapshot]]\n"
        'output = "deck map #1.png"\n'
        "bbox = [48, 30, 122, 54]\n"
        'title = "Overview"\n',
        encoding="utf-8",
    )
    code, out, err = _run(["snapshot", "--spec", str(spec)], capsys)
    assert (code, err) == (0, "")
    assert (tmp_path / "deck map #1.png").read_bytes().startswith(b"\x89PNG")
    assert out.splitlines() == [str(tmp_path / "deck map #1.png"), str(tmp_path / "deck map #1.txt")]
