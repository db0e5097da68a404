"""The ``corridor-atlas`` command: reproducible snapshots of any view, one at a time or a deck from TOML."""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import math
import os
import reprlib
import sys
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from geo.errors import CorridorAtlasError
from layers.catalog import Catalog, CatalogError, default_catalog
from layers.layer import LayerSet
from layers.load import catalog_layer, load_basemap_part
from layers.snapshot import ALL_FORMATS, SnapshotData, SnapshotRequest, check_output, checked_view, write_snapshot
from layers.tiles import TILE_PROVIDERS, provider
from layers.view import MAX_DPI, MAX_SIZE_PX, MIN_DPI, MIN_SIZE_PX, SnapshotError

__all__ = ["Job", "build_parser", "main", "read_deck"]

PROG = "corridor-atlas"
MAX_NAME_BYTES = 200  # an output name plus the temporary and caption names made from it stay under NAME_MAX
_DECK_TABLES = ("defaults", "snapshot")

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 40


@dataclass(frozen=True)
class Job:
    """One snapshot to write; ``where`` names its deck table (empty on the command line)."""

    request: SnapshotRequest
    output: Path
    where: str = ""


def _shown(value: object) -> str:
    """A short one-line repr of a value for an error message."""
    return _REPR.repr(value)


def _one_line(text: str) -> str:
    return "\\n".join(text.splitlines())


def _flag(key: str) -> str:
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


def _output(value: object, field: str) -> str:
    name = _text(value, field)
    if "\0" in name:
        raise SnapshotError(field, f"{_shown(value)} contains a NUL character")
    if len(os.fsencode(Path(name).name)) > MAX_NAME_BYTES:
        raise SnapshotError(field, f"the file name {_shown(Path(name).name)} is longer than {MAX_NAME_BYTES} bytes")
    return name


_PARSERS: dict[str, Callable[[object, str], Any]] = {
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
}


# --- from options to jobs ----------------------------------------------------------------------------------------


@contextmanager
def _within(where: str) -> Iterator[None]:
    """Prefix errors raised inside with the deck table they concern (nothing on the command line)."""
    if not where:
        yield
        return
    try:
        yield
    except SnapshotError as err:
        raise SnapshotError(where, str(err)) from err


def _options(table: Mapping[str, object], *, flag: Callable[[str], str]) -> dict[str, Any]:
    """Check each option's type and range; ``flag`` turns a key into the name errors use."""
    options = {}
    for key, value in table.items():
        if key not in _PARSERS:
            name = key if key.isidentifier() else _shown(key)
            close = difflib.get_close_matches(key, _PARSERS, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(_PARSERS)}"
            raise SnapshotError(flag(name), f"unknown option; {hint}")
        options[key] = _PARSERS[key](value, flag(key))
    return options


def _job(options: Mapping[str, Any], *, flag: Callable[[str], str], folder: Path | None = None, where: str = "") -> Job:
    """Build a job from checked options: an output file, a format, and defaults for the rest."""
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
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SnapshotError("--spec", f"{path} is not valid TOML ({err})") from err
    except RecursionError:
        raise SnapshotError("--spec", f"{path} nests arrays or tables too deeply") from None


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


def read_deck(path: Path) -> list[Job]:
    """The jobs of a deck file, each option checked; output paths are relative to the file's folder.

    Parameters
    ----------
    path
        A TOML file with an optional ``[defaults]`` table and one ``[[snapshot]]`` table per map.

    Raises
    ------
    SnapshotError
        The file cannot be read, is not TOML, or a table has an unknown key or a value of the wrong
        type or range; the message names the table (``--spec [[snapshot]] #2``) and the key.
    """
    defaults, tables = _deck_tables(_read_toml(path))
    with _within("--spec [defaults]"):
        shared = _options(defaults, flag=str)
    jobs = []
    for number, table in enumerate(tables, start=1):
        where = f"--spec [[snapshot]] #{number}"
        if not isinstance(table, dict):
            raise SnapshotError(where, f"expected a table, got {_shown(table)}")
        with _within(where):
            options = {**shared, **_options(table, flag=str)}
            jobs.append(_job(options, flag=str, folder=path.parent, where=where))
    return jobs


def _jobs(args: argparse.Namespace) -> list[Job]:
    given = {key: value for key in _PARSERS if (value := getattr(args, key)) is not None}
    if args.spec is None:
        return [_job(_options(given, flag=_flag), flag=_flag)]
    if given:
        others = ", ".join(f"--{key}" for key in given)
        raise SnapshotError("--spec", f"put every option in the deck file, not beside --spec (got {others})")
    return read_deck(args.spec)


# --- checking every job, then writing -----------------------------------------------------------------------------


def _check_layer_ids(jobs: Sequence[Job], catalog: Catalog) -> None:
    for job in jobs:
        with _within(job.where):
            if not job.request.layers:
                raise SnapshotError("--layers", "name at least one layer")
            for argument, ids in (("--layers", job.request.layers), ("--fit", job.request.fit)):
                for layer_id in ids:
                    try:
                        catalog.get(layer_id)
                    except CatalogError as err:
                        raise SnapshotError(argument, str(err)) from err


def _load(jobs: Sequence[Job], catalog: Catalog) -> SnapshotData:
    needed = {lid for job in jobs for lid in (*job.request.layers, *job.request.fit)}
    layers = []
    for layer_id in sorted(needed):
        try:
            layers.append(catalog_layer(catalog.get(layer_id)))
        except CorridorAtlasError as err:
            argument = "--layers" if any(layer_id in job.request.layers for job in jobs) else "--fit"
            raise SnapshotError(argument, str(err).splitlines()[0]) from err
    basemap_frames = {part.id: load_basemap_part(part) for part in catalog.basemap.parts}
    return SnapshotData(LayerSet(tuple(layers)), catalog.basemap, basemap_frames)


def _check(jobs: Sequence[Job], data: SnapshotData) -> None:
    """Raise the first problem of any job, so that nothing is written unless every job can be."""
    writers: dict[Path, str] = {}
    for job in jobs:
        with _within(job.where):
            checked_view(job.request, data)
            check_output(job.request, job.output)
            target = Path(os.path.abspath(job.output))
            if target in writers:
                raise SnapshotError("--output", f"{str(job.output)!r} is also written by {writers[target]}")
            writers[target] = job.where


def _snapshot(args: argparse.Namespace) -> int:
    jobs = _jobs(args)
    catalog = default_catalog()
    _check_layer_ids(jobs, catalog)
    data = _load(jobs, catalog)
    _check(jobs, data)
    for job in jobs:
        try:
            written = write_snapshot(job.request, data, job.output)
        except OSError as err:
            print(
                f"{PROG}: error: could not write {_one_line(str(job.output))}: {err.strerror or err}", file=sys.stderr
            )
            return 1
        for path in written:
            print(path)
    return 0


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, like every other error of the command."""

    def error(self, message: str) -> NoReturn:
        """Print the problem on one line and exit with status 2."""
        self.exit(2, f"{PROG}: error: {_one_line(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = _Parser(prog=PROG, description="Corridor Atlas: maps of the Kazakhstan–China corridors.")
    commands = parser.add_subparsers(dest="command", required=True)
    snap = commands.add_parser(
        "snapshot",
        help="render a view to PNG, SVG, PDF or self-contained HTML",
        description="Render a view reproducibly: the same arguments give byte-identical SVG and HTML.",
        epilog="Example: corridor-atlas snapshot --layers oil_pipelines,gas_pipelines,cities "
        "--fit oil_pipelines --size 1920x1080 --title 'Pipelines' --output pipelines.png",
    )
    snap.add_argument("--layers", help="comma-separated layer ids to show (see: corridor-atlas layers)")
    extent = snap.add_argument_group("extent (exactly one)")
    extent.add_argument("--bbox", help="WEST,SOUTH,EAST,NORTH in degrees")
    extent.add_argument("--fit", help="comma-separated layer ids to fit the view to")
    extent.add_argument("--center", help="LAT,LON of the centre (with --zoom)")
    extent.add_argument("--zoom", help="zoom level as on the interactive map (with --center)")
    snap.add_argument("--size", help=f"WIDTHxHEIGHT in pixels, {MIN_SIZE_PX}–{MAX_SIZE_PX} (default 1920x1080)")
    snap.add_argument("--dpi", help=f"resolution, {MIN_DPI}–{MAX_DPI}: scales text and lines (default 150)")
    snap.add_argument("--format", help=f"{', '.join(ALL_FORMATS)} (default: from the output file's extension)")
    snap.add_argument("--title", help="title printed on the map")
    snap.add_argument("--subtitle", help="subtitle under the title")
    snap.add_argument("--date", help="'data as of' date for the footnote (omitted by default, for reproducibility)")
    snap.add_argument("--tiles", help="online background instead of the offline basemap: osm or imagery")
    snap.add_argument("--output", "-o", help="file to write; a caption for alt text is written beside it (.txt)")
    snap.add_argument("--spec", type=Path, help="TOML file with [[snapshot]] tables: render a whole deck in one run")
    commands.add_parser("layers", help="list the layer ids")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; a bad argument or deck value prints one line naming it and exits with status 2.

    Other errors the project raises on purpose (a data file that cannot be read) print their
    message and exit with status 1; anything else is a bug and keeps its traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "layers":
            for spec in default_catalog().layers:
                print(f"{spec.id}\t{spec.group}\t{spec.title}")
            return 0
        return _snapshot(args)
    except SnapshotError as err:
        print(f"{PROG}: error: {_one_line(str(err))}", file=sys.stderr)
        return 2
    except CorridorAtlasError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
