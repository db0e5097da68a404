"""The ``corridor-atlas`` command: reproducible snapshots of any view, one at a time or a deck from TOML."""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.errors import CorridorAtlasError
from layers.catalog import default_catalog
from layers.load import load_basemap_part, load_layer
from layers.snapshot import ALL_FORMATS, SnapshotData, SnapshotRequest, check_output, resolve_view, write_snapshot
from layers.view import SnapshotError

__all__ = ["build_parser", "main"]

PROG = "corridor-atlas"


@dataclass(frozen=True)
class Job:
    """One snapshot to write."""

    request: SnapshotRequest
    output: Path


def _floats(text: str, count: int, argument: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.replace(" ", "").split(","))
    except ValueError:
        values = ()
    if len(values) != count:
        raise SnapshotError(argument, f"expected {count} comma-separated numbers, got {text!r}")
    return values


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise SnapshotError("--size", f"expected WIDTHxHEIGHT in pixels, e.g. 1920x1080; got {text!r}") from None
    return width, height


def _ids(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(item.strip() for item in items if item.strip())


def _request(options: dict[str, Any]) -> Job:
    """Build a job from options (command-line or one [[snapshot]] table), checking their forms."""
    output = options.get("output")
    if not output:
        raise SnapshotError("--output", "give the file to write")
    output = Path(output)
    fmt = options.get("format") or output.suffix.lower().lstrip(".")
    if fmt not in ALL_FORMATS:
        raise SnapshotError("--format", f"{fmt!r} is not one of {', '.join(ALL_FORMATS)}")
    width, height = _size(str(options.get("size", "1920x1080")))
    bbox = options.get("bbox")
    center = options.get("center")
    request = SnapshotRequest(
        layers=_ids(options.get("layers")),
        format=fmt,
        bbox=_floats(bbox, 4, "--bbox") if isinstance(bbox, str) else (tuple(map(float, bbox)) if bbox else None),
        fit=_ids(options.get("fit")),
        center=_floats(center, 2, "--center")
        if isinstance(center, str)
        else (tuple(map(float, center)) if center else None),
        zoom=float(options["zoom"]) if options.get("zoom") is not None else None,
        width_px=width,
        height_px=height,
        dpi=int(options.get("dpi", 150)),
        title=str(options.get("title") or ""),
        subtitle=str(options.get("subtitle") or ""),
        date=str(options["date"]) if options.get("date") else None,
        tiles=options.get("tiles") or None,
    )
    return Job(request=request, output=output)


def _jobs_from_spec(path: Path) -> list[Job]:
    try:
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError("--spec", f"{path} not found") from None
    except tomllib.TOMLDecodeError as err:
        raise SnapshotError("--spec", f"{path} is not valid TOML ({err})") from err
    defaults = spec.get("defaults", {})
    tables = spec.get("snapshot", [])
    if not tables:
        raise SnapshotError("--spec", f"{path} has no [[snapshot]] tables")
    jobs = []
    for i, table in enumerate(tables, start=1):
        options = {**defaults, **table}
        if options.get("output"):
            options["output"] = str(path.parent / options["output"])
        try:
            jobs.append(_request(options))
        except SnapshotError as err:
            raise SnapshotError(f"--spec [[snapshot]] #{i}", str(err)) from err
    return jobs


def _load(jobs: Sequence[Job]) -> SnapshotData:
    catalog = default_catalog()
    needed = {lid for job in jobs for lid in (*job.request.layers, *job.request.fit)}
    frames = {}
    for layer_id in sorted(needed):
        try:
            frames[layer_id] = load_layer(catalog.get(layer_id))
        except CorridorAtlasError as err:
            argument = "--layers" if any(layer_id in job.request.layers for job in jobs) else "--fit"
            raise SnapshotError(argument, str(err).splitlines()[0]) from err
    basemap_frames = {part.id: load_basemap_part(part) for part in catalog.basemap.parts}
    return SnapshotData(catalog=catalog, frames=frames, basemap_frames=basemap_frames)


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog=PROG, description="Corridor Atlas: maps of the Kazakhstan–China corridors.")
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
    extent.add_argument("--zoom", type=float, help="zoom level as on the interactive map (with --center)")
    snap.add_argument("--size", default="1920x1080", help="WIDTHxHEIGHT in pixels (default 1920x1080)")
    snap.add_argument("--dpi", type=int, default=150, help="resolution: scales text and lines (default 150)")
    snap.add_argument("--format", choices=ALL_FORMATS, help="default: from the output file's extension")
    snap.add_argument("--title", default="", help="title printed on the map")
    snap.add_argument("--subtitle", default="", help="subtitle under the title")
    snap.add_argument("--date", help="'data as of' date for the footnote (omitted by default, for reproducibility)")
    snap.add_argument("--tiles", help="online background instead of the offline basemap: osm or imagery")
    snap.add_argument("--output", "-o", help="file to write; a caption for alt text is written beside it (.txt)")
    snap.add_argument("--spec", type=Path, help="TOML file with [[snapshot]] tables: render a whole deck in one run")
    commands.add_parser("layers", help="list the layer ids")
    return parser


def _snapshot(args: argparse.Namespace) -> int:
    jobs = _jobs_from_spec(args.spec) if args.spec else [_request(vars(args))]
    data = _load(jobs)
    for job in jobs:  # check every job before writing anything
        resolve_view(job.request, data)
        check_output(job.request, job.output)
    for job in jobs:
        for path in write_snapshot(job.request, data, job.output):
            print(path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; errors print one line naming the argument and exit with status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "layers":
            for spec in default_catalog().layers:
                print(f"{spec.id}\t{spec.group}\t{spec.title}")
            return 0
        return _snapshot(args)
    except SnapshotError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
