"""Deck files: TOML with a ``[defaults]`` table and one ``[[snapshot]]`` table per scene, read and written.

The command line reads them (``corridor-atlas snapshot --spec``, ``corridor-atlas deck``) and the
app writes and reads the same format, so a deck made on screen renders the same from the command line.
Every value is checked on reading; an error names the table (``--spec [[snapshot]] #2``) and the key.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import os
import reprlib
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from geo.schema import STATUSES
from layers.snapshot import ALL_FORMATS, SnapshotRequest
from layers.tiles import TILE_PROVIDERS, provider
from layers.view import MAX_DPI, MAX_SIZE_PX, MIN_DPI, MIN_SIZE_PX, SnapshotError

__all__ = [
    "OPTIONS",
    "SCENE_KEYS",
    "Job",
    "deck_from_text",
    "deck_toml",
    "flag",
    "job",
    "one_line",
    "options",
    "read_deck",
    "within",
]

MAX_NAME_BYTES = 200  # an output name plus the temporary and caption names made from it stay under NAME_MAX
_DECK_TABLES = ("defaults", "snapshot")

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 40


@dataclass(frozen=True)
class Job:
    """One scene to render: ``output`` is its own file (``None`` in a deck rendered whole), ``where`` its table."""

    request: SnapshotRequest
    output: Path | None
    where: str = ""


def _shown(value: object) -> str:
    """A short one-line repr of a value for an error message."""
    return _REPR.repr(value)


def one_line(text: str) -> str:
    """Text on one line, its line breaks shown as a backslash and n (an error is one line)."""
    return "\\n".join(text.splitlines())


def flag(key: str) -> str:
    """The command-line name of an option."""
    return f"--{key}"


# --- one parser per option: (value from argv or TOML, field name for errors) -> checked value ------------------


def _number(value: object) -> float | None:
    """A finite float from a TOML number or from text, else None."""
    if isinstance(value, str):
        with suppress(ValueError):
            value = float(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _numbers(form: str) -> Callable[[object, str], tuple[float, ...] | None]:
    count = form.count(",") + 1

    def parse(value: object, field: str) -> tuple[float, ...] | None:
        if isinstance(value, str | list) and not value:
            return None
        items = value.split(",") if isinstance(value, str) else value
        numbers = [_number(item) for item in items] if isinstance(items, list) else []
        if len(numbers) != count or any(number is None for number in numbers):
            raise SnapshotError(field, f"expected {form}: {count} finite numbers in degrees, got {_shown(value)}")
        return tuple(numbers)

    return parse


def _zoom(value: object, field: str) -> float:
    number = _number(value)
    if number is None:
        raise SnapshotError(field, f"expected a finite number (the interactive map's zoom), got {_shown(value)}")
    return number


def _size(value: object, field: str) -> tuple[int, int]:
    problem = SnapshotError(field, f"expected WIDTHxHEIGHT in pixels, e.g. '1920x1080', got {_shown(value)}")
    if not isinstance(value, str):
        raise problem
    try:
        width, height = (int(part) for part in value.lower().split("x"))
    except ValueError:
        raise problem from None
    for name, pixels in (("width", width), ("height", height)):
        if not MIN_SIZE_PX <= pixels <= MAX_SIZE_PX:
            raise SnapshotError(field, f"{name} {_shown(pixels)} px is outside {MIN_SIZE_PX}–{MAX_SIZE_PX} px")
    return width, height


def _dpi(value: object, field: str) -> int:
    dpi = None
    if isinstance(value, int) and not isinstance(value, bool):
        dpi = value
    elif isinstance(value, float) and value.is_integer():
        dpi = int(value)
    elif isinstance(value, str):
        with suppress(ValueError):
            dpi = int(value.strip())
    if dpi is None or not MIN_DPI <= dpi <= MAX_DPI:
        raise SnapshotError(field, f"expected a whole number from {MIN_DPI} to {MAX_DPI}, got {_shown(value)}")
    return dpi


def _ids(value: object, field: str) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise SnapshotError(field, f"expected layer ids, as a list of strings or text with commas; got {_shown(value)}")
    return tuple(item.strip() for item in items if item.strip())


def _text(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise SnapshotError(field, f"expected text in quotes, got {_shown(value)}")
    return value


def _date(value: object, field: str) -> str | None:
    if isinstance(value, dt.date):  # a TOML date or date-time, written as it reads
        return str(value)
    if not isinstance(value, str):
        raise SnapshotError(field, f"expected a date such as 2024-01-01 (or text), got {_shown(value)}")
    return value or None


def _format(value: object, field: str) -> str | None:
    fmt = _text(value, field).strip().lower()
    if fmt and fmt not in ALL_FORMATS:
        raise SnapshotError(field, f"{_shown(value)} is not one of {', '.join(ALL_FORMATS)}")
    return fmt or None


def _tiles(value: object, field: str) -> str | None:
    name = _text(value, field).strip()
    if not name:
        return None
    try:
        provider(name)
    except SnapshotError:
        choices = ", ".join(TILE_PROVIDERS)
        raise SnapshotError(field, f"unknown tile source {_shown(value)}; use one of {choices}") from None
    return name


def _statuses(value: object, field: str) -> tuple[str, ...] | None:
    items = _ids(value, field)
    unknown = [item for item in items if item not in STATUSES]
    if unknown:
        raise SnapshotError(field, f"{_shown(unknown[0])} is not a status; use {', '.join(STATUSES)}")
    return items or None


def _year(value: object, field: str) -> int | None:
    number = _number(value)
    if number is None or not number.is_integer() or not 1800 <= number <= 2200:
        raise SnapshotError(field, f"expected a year such as 2015, got {_shown(value)}")
    return int(number)


def _route(value: object, field: str) -> tuple[str, str] | None:
    ends = _ids(value, field)
    if not ends:
        return None
    if len(ends) != 2 or ends[0] == ends[1]:
        raise SnapshotError(field, f"expected two different place ids [ORIGIN, DESTINATION], got {_shown(value)}")
    return ends[0], ends[1]


def _corridor_km(value: object, field: str) -> float:
    number = _number(value)
    if number is None or not 0 < number <= 500:
        raise SnapshotError(field, f"expected a buffer width in km, more than 0 and at most 500, got {_shown(value)}")
    return number


def _optional_text(value: object, field: str) -> str | None:
    return _text(value, field).strip() or None


def _output(value: object, field: str) -> str:
    name = _text(value, field)
    if "\0" in name:
        raise SnapshotError(field, f"{_shown(value)} contains a NUL character")
    if len(os.fsencode(Path(name).name)) > MAX_NAME_BYTES:
        raise SnapshotError(field, f"the file name {_shown(Path(name).name)} is longer than {MAX_NAME_BYTES} bytes")
    return name


OPTIONS: dict[str, Callable[[object, str], Any]] = {
    "layers": _ids,
    "bbox": _numbers("WEST,SOUTH,EAST,NORTH"),
    "fit": _ids,
    "center": _numbers("LAT,LON"),
    "zoom": _zoom,
    "size": _size,
    "dpi": _dpi,
    "format": _format,
    "title": _text,
    "subtitle": _text,
    "date": _date,
    "tiles": _tiles,
    "output": _output,
    "notes": _text,
    "statuses": _statuses,
    "year": _year,
    "select": _optional_text,
    "route": _route,
    "corridor": _optional_text,
    "corridor_km": _corridor_km,
    "drawings": _text,
}
#: The options that say what a scene shows besides its extent (not given on the ``snapshot`` command line).
SCENE_KEYS = ("notes", "statuses", "year", "select", "route", "corridor", "corridor_km", "drawings")


# --- from options to jobs ----------------------------------------------------------------------------------------


@contextmanager
def within(where: str) -> Iterator[None]:
    """Prefix errors raised inside with the deck table they concern (nothing on the command line)."""
    if not where:
        yield
        return
    try:
        yield
    except SnapshotError as err:
        raise SnapshotError(where, str(err)) from err


def options(table: Mapping[str, object], *, flag: Callable[[str], str]) -> dict[str, Any]:
    """Check each option's type and range; ``flag`` turns a key into the name errors use."""
    options = {}
    for key, value in table.items():
        if key not in OPTIONS:
            name = key if key.isidentifier() else _shown(key)
            close = difflib.get_close_matches(key, OPTIONS, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(OPTIONS)}"
            raise SnapshotError(flag(name), f"unknown option; {hint}")
        options[key] = OPTIONS[key](value, flag(key))
    return options


def job(
    options: Mapping[str, Any],
    *,
    flag: Callable[[str], str],
    folder: Path | None = None,
    where: str = "",
    outputs: bool = True,
) -> Job:
    """Build a job from checked options: an output file (when ``outputs``), a format, and defaults for the rest."""
    output = None
    fmt = options.get("format") or "png"
    if outputs or options.get("output"):
        if not options.get("output"):
            raise SnapshotError(flag("output"), "give the file to write")
        output = Path(options["output"]) if folder is None else folder / options["output"]
        fmt = options.get("format") or output.suffix.lower().lstrip(".")
        if fmt not in ALL_FORMATS:
            suffixes = ", ".join(f".{name}" for name in ALL_FORMATS)
            ending = _shown(output.suffix) if output.suffix else "nothing"
            raise SnapshotError(
                flag("format"), f"the file name ends in {ending}, not {suffixes}; rename it or give the format"
            )
    width, height = options.get("size", (1920, 1080))
    request = SnapshotRequest(
        layers=options.get("layers", ()),
        format=fmt,
        bbox=options.get("bbox"),
        fit=options.get("fit", ()),
        center=options.get("center"),
        zoom=options.get("zoom"),
        width_px=width,
        height_px=height,
        dpi=options.get("dpi", 150),
        title=options.get("title", ""),
        subtitle=options.get("subtitle", ""),
        date=options.get("date"),
        tiles=options.get("tiles"),
        notes=options.get("notes", ""),
        statuses=options.get("statuses"),
        year=options.get("year"),
        select=options.get("select"),
        route=options.get("route"),
        corridor=options.get("corridor"),
        corridor_km=options.get("corridor_km", 50.0),
        drawings=options.get("drawings", ""),
    )
    return Job(request=request, output=output, where=where)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark, as some editors write, is fine
    except FileNotFoundError:
        raise SnapshotError("--spec", f"{path} not found") from None
    except IsADirectoryError:
        raise SnapshotError("--spec", f"{path} is a folder, not a TOML file") from None
    except UnicodeDecodeError as err:
        raise SnapshotError("--spec", f"{path} is not UTF-8 text (byte {err.start} cannot be read)") from None
    except OSError as err:
        raise SnapshotError("--spec", f"cannot read {path}: {err.strerror or err}") from None
    return _parse_toml(text, str(path))


def _parse_toml(text: str, name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SnapshotError("--spec", f"{name} is not valid TOML ({err})") from err
    except RecursionError:
        raise SnapshotError("--spec", f"{name} nests arrays or tables too deeply") from None


def _deck_tables(spec: Mapping[str, Any]) -> tuple[Mapping[str, object], list[object]]:
    """The deck's [defaults] table and its [[snapshot]] tables, or an error naming what is wrong."""
    for key in spec:
        if key not in _DECK_TABLES:
            close = difflib.get_close_matches(key, _DECK_TABLES, n=1)
            hint = f"did you mean [{close[0]}]?" if close else "a deck has [defaults] and [[snapshot]] tables only"
            raise SnapshotError(f"--spec: {key if key.isidentifier() else _shown(key)}", f"unknown table; {hint}")
    defaults = spec.get("defaults", {})
    if not isinstance(defaults, dict):
        raise SnapshotError("--spec: defaults", f"expected a [defaults] table, got {_shown(defaults)}")
    tables = spec.get("snapshot", [])
    if isinstance(tables, dict):
        raise SnapshotError("--spec: snapshot", "expected [[snapshot]] tables (double brackets), got a single table")
    if not isinstance(tables, list):
        raise SnapshotError("--spec: snapshot", f"expected [[snapshot]] tables, got {_shown(tables)}")
    if not tables:
        raise SnapshotError("--spec: snapshot", "the deck has no [[snapshot]] tables")
    return defaults, tables


def _jobs_of(spec: Mapping[str, Any], folder: Path | None, *, outputs: bool) -> list[Job]:
    defaults, tables = _deck_tables(spec)
    with within("--spec [defaults]"):
        shared = options(defaults, flag=str)
    jobs = []
    for number, table in enumerate(tables, start=1):
        where = f"--spec [[snapshot]] #{number}"
        if not isinstance(table, dict):
            raise SnapshotError(where, f"expected a table, got {_shown(table)}")
        with within(where):
            merged = {**shared, **options(table, flag=str)}
            jobs.append(job(merged, flag=str, folder=folder, where=where, outputs=outputs))
    return jobs


def read_deck(path: Path, *, outputs: bool = True) -> list[Job]:
    """The jobs of a deck file, each option checked; output paths are relative to the file's folder.

    Parameters
    ----------
    path
        A TOML file with an optional ``[defaults]`` table and one ``[[snapshot]]`` table per scene.
    outputs
        Whether every table must name its own output file (``snapshot --spec``); a deck rendered
        whole (``deck``, the app) needs none.

    Raises
    ------
    SnapshotError
        The file cannot be read, is not TOML, or a table has an unknown key or a value of the wrong
        type or range; the message names the table (``--spec [[snapshot]] #2``) and the key.
    """
    return _jobs_of(_read_toml(path), path.parent, outputs=outputs)


def deck_from_text(text: str, name: str) -> list[SnapshotRequest]:
    """The scenes of a deck file's text (an upload named ``name``), each option checked as on the command line."""
    return [item.request for item in _jobs_of(_parse_toml(text, name), None, outputs=False)]


def _table(request: SnapshotRequest) -> dict[str, Any]:
    """One scene as a ``[[snapshot]]`` table: only what differs from the defaults, in a fixed order."""
    table: dict[str, Any] = {"title": request.title}
    if request.subtitle:
        table["subtitle"] = request.subtitle
    table["layers"] = list(request.layers)
    if request.bbox:
        table["bbox"] = [round(v, 6) for v in request.bbox]
    elif request.fit:
        table["fit"] = list(request.fit)
    elif request.center is not None and request.zoom is not None:
        table["center"] = [round(v, 6) for v in request.center]
        table["zoom"] = request.zoom
    table["size"] = f"{request.width_px}x{request.height_px}"
    if request.dpi != 150:
        table["dpi"] = request.dpi
    optional: dict[str, Any] = {
        "statuses": list(request.statuses) if request.statuses is not None else None,
        "year": request.year,
        "select": request.select,
        "route": list(request.route) if request.route else None,
        "corridor": request.corridor,
        "corridor_km": request.corridor_km if request.corridor else None,
        "drawings": request.drawings or None,
        "tiles": request.tiles,
        "date": request.date,
        "notes": request.notes or None,
    }
    table.update({key: value for key, value in optional.items() if value is not None})
    return table


def deck_toml(requests: Sequence[SnapshotRequest], *, comment: str = "") -> str:
    """A deck file of scenes, as ``corridor-atlas deck`` and the app read it back."""
    head = "".join(f"# {line}\n" for line in comment.splitlines())
    return head + tomli_w.dumps({"snapshot": [_table(request) for request in requests]}, multiline_strings=True)
