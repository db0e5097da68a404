"""The ``corridor-atlas`` command: reproducible snapshots of any view, one at a time or a deck from TOML."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from geo.errors import CorridorAtlasError
from geo.schema import STATUSES
from layers.catalog import Catalog, CatalogError, default_catalog
from layers.deckfile import OPTIONS, Job, flag, job, one_line, options, read_deck, within
from layers.layer import LayerSet
from layers.load import catalog_layer, load_basemap_part
from layers.slides import SLIDE_SIZES_IN
from layers.snapshot import (
    ALL_FORMATS,
    SnapshotData,
    SnapshotRequest,
    atomic_write,
    check_output,
    checked_view,
    make_folders,
    write_snapshot,
)
from layers.view import MAX_DPI, MAX_SIZE_PX, MIN_DPI, MIN_SIZE_PX, SnapshotError

#: What an output path of the deck command is checked as (its folder and name; the scenes are in the file).
DECK_REQUEST = SnapshotRequest(layers=())

__all__ = ["build_parser", "main"]

PROG = "corridor-atlas"
#: The deck command's outputs: option, file extension.
DECK_OUTPUTS = (("pptx", ".pptx"), ("pdf", ".pdf"), ("html", ".html"))


def _jobs(args: argparse.Namespace) -> list[Job]:
    given = {key: value for key in OPTIONS if (value := getattr(args, key, None)) is not None}
    if args.spec is None:
        return [job(options(given, flag=flag), flag=flag)]
    if given:
        others = ", ".join(f"--{key}" for key in given)
        raise SnapshotError("--spec", f"put every option in the deck file, not beside --spec (got {others})")
    return read_deck(args.spec)


# --- checking every job, then writing -----------------------------------------------------------------------------


def _check_layer_ids(jobs: Sequence[Job], catalog: Catalog) -> None:
    for item in jobs:
        with within(item.where):
            if not item.request.layers:
                raise SnapshotError("--layers", "name at least one layer")
            for argument, ids in (("--layers", item.request.layers), ("--fit", item.request.fit)):
                for layer_id in ids:
                    try:
                        catalog.get(layer_id)
                    except CatalogError as err:
                        raise SnapshotError(argument, str(err)) from err


def _load(jobs: Sequence[Job], catalog: Catalog) -> SnapshotData:
    """The layers the jobs name (every layer when one routes or draws a corridor: any may take part)."""
    needed = {lid for job in jobs for lid in (*job.request.layers, *job.request.fit)}
    if any(job.request.route or job.request.corridor or job.request.select for job in jobs):
        needed = {spec.id for spec in catalog.layers}
    layers = []
    for layer_id in [spec.id for spec in catalog.layers if spec.id in needed]:
        try:
            layers.append(catalog_layer(catalog.get(layer_id)))
        except CorridorAtlasError as err:
            argument = "--layers" if any(layer_id in job.request.layers for job in jobs) else "--fit"
            raise SnapshotError(argument, str(err).splitlines()[0]) from err
    basemap_frames = {part.id: load_basemap_part(part) for part in catalog.basemap.parts}
    return SnapshotData(LayerSet(tuple(layers)), catalog.basemap, basemap_frames, catalog.analysis)


def _check(jobs: Sequence[Job], data: SnapshotData) -> None:
    """Raise the first problem of any job, so that nothing is written unless every job can be."""
    writers: dict[Path, str] = {}
    for item in jobs:
        with within(item.where):
            checked_view(item.request, data)
            if item.output is None:
                continue
            check_output(item.request, item.output)
            target = Path(os.path.abspath(item.output))
            if target in writers:
                raise SnapshotError("--output", f"{str(item.output)!r} is also written by {writers[target]}")
            writers[target] = item.where


def _snapshot(args: argparse.Namespace) -> int:
    jobs = _jobs(args)
    catalog = default_catalog()
    _check_layer_ids(jobs, catalog)
    data = _load(jobs, catalog)
    _check(jobs, data)
    for item in jobs:
        assert item.output is not None  # read_deck and the command line require one
        try:
            written = write_snapshot(item.request, data, item.output)
        except OSError as err:
            print(
                f"{PROG}: error: could not write {one_line(str(item.output))}: {err.strerror or err}", file=sys.stderr
            )
            return 1
        for path in written:
            print(path)
    return 0


def _deck_outputs(args: argparse.Namespace) -> list[tuple[str, Path]]:
    outputs = [(fmt, Path(value)) for fmt, _ in DECK_OUTPUTS if (value := getattr(args, fmt)) is not None]
    if not outputs:
        raise SnapshotError("--pptx/--pdf/--html", "name at least one file to write")
    for fmt, path in outputs:
        suffix = dict(DECK_OUTPUTS)[fmt]
        if path.suffix.lower() != suffix:
            raise SnapshotError(f"--{fmt}", f"file name ends in {path.suffix or 'nothing'}, not {suffix}")
        check_output(replace(DECK_REQUEST, format=fmt), path.with_suffix(f".{fmt}"))
    return outputs


def _deck(args: argparse.Namespace) -> int:
    from layers.deck import check_deck, deck_html, deck_pdf, deck_pptx
    from layers.standalone import embed_snippet

    outputs = _deck_outputs(args)
    jobs = read_deck(args.deck, outputs=False)
    catalog = default_catalog()
    _check_layer_ids(jobs, catalog)
    data = _load(jobs, catalog)
    requests = [item.request for item in jobs]
    check_deck(requests, data)
    makers = {
        "pptx": lambda: deck_pptx(requests, data, aspect=args.aspect),
        "pdf": lambda: deck_pdf(requests, data),
        "html": lambda: deck_html(requests, data).encode("utf-8"),
    }
    for fmt, path in outputs:
        make_folders(path)
        written = [path]
        atomic_write(path, makers[fmt]())
        if fmt == "html":
            first = requests[0]
            snippet = embed_snippet(path.name, title=first.title, width_px=first.width_px, height_px=first.height_px)
            written.append(path.with_suffix(".embed.html"))
            atomic_write(written[-1], (snippet + "\n").encode("utf-8"))
        for item in written:
            print(item)
    return 0


def _place(text: str) -> tuple[float, float]:
    """LON, LAT of ``LAT,LON`` or of a point feature of the catalog, by id."""
    parts = text.split(",")
    if len(parts) == 2:
        try:
            lat, lon = (float(part) for part in parts)
        except ValueError:
            lat = lon = float("nan")
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            return lon, lat
        raise SnapshotError("--near", f"{text!r} is not LAT,LON in degrees")
    from geo.places import combine_points

    catalog = default_catalog()
    layers = LayerSet(tuple(catalog_layer(spec) for spec in catalog.layers))
    places = combine_points(layers.frames(), layers.ids)
    if text not in places.index:
        raise SnapshotError("--near", f"{text!r} is not the id of a point feature (a city, station, port, facility)")
    point = places.geometry.loc[text]
    return float(point.x), float(point.y)


def _workspaces(args: argparse.Namespace) -> int:
    from layers.workspace_store import configured_store

    try:
        km = float(args.km)
    except ValueError:
        km = float("nan")
    if not 0 < km <= 20_000:
        raise SnapshotError("--km", f"{args.km!r} is not a distance in km between 0 and 20,000")
    lon, lat = _place(args.near)
    for workspace_id, name, distance_km in configured_store().nearby(lon, lat, km):
        print(f"{workspace_id}\t{name}\t{distance_km:,.1f} km")
    return 0


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, like every other error of the command."""

    def error(self, message: str) -> NoReturn:
        """Print the problem on one line and exit with status 2."""
        self.exit(2, f"{PROG}: error: {one_line(message)}\n")


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
    scene = snap.add_argument_group("what the view shows besides its layers")
    scene.add_argument("--statuses", help="comma-separated statuses to keep: " + ", ".join(STATUSES))
    scene.add_argument("--year", help="the timeline's year: features opened later are left out ('As of YEAR')")
    scene.add_argument("--select", help="id of a feature to show selected (halo, labelled first)")
    scene.add_argument("--route", help="ORIGIN,DESTINATION place ids: the shortest rail route between them")
    scene.add_argument("--corridor", help="a line feature id, or layer:LAYER_ID: show a buffer around it")
    scene.add_argument("--corridor-km", dest="corridor_km", help="the corridor buffer's width in km (default 50)")
    deck = commands.add_parser(
        "deck",
        help="render a deck file's scenes as a PowerPoint file, a multi-page PDF and an HTML page",
        description="Render a deck of scenes: the same deck file gives byte-identical PPTX, PDF and HTML.",
        epilog="Example: corridor-atlas deck deck.toml --pptx briefing.pptx --pdf briefing.pdf",
    )
    deck.add_argument("deck", type=Path, help="TOML file with [[snapshot]] tables, one per scene (output optional)")
    deck.add_argument("--pptx", help="PowerPoint file to write: one slide per scene, with notes")
    deck.add_argument("--pdf", help="PDF file to write: one page per scene")
    deck.add_argument("--html", help="HTML page to write: the scenes one after another, offline (← →)")
    deck.add_argument("--aspect", default="16:9", choices=tuple(SLIDE_SIZES_IN), help="slide size (default 16:9)")
    commands.add_parser("layers", help="list the layer ids")
    spaces = commands.add_parser(
        "workspaces",
        help="list saved workspaces with features near a place (id, name, km; never their links)",
        description="Search the workspace database this process is configured for (CORRIDOR_ATLAS_DATABASE_URL "
        "for PostGIS, else CORRIDOR_ATLAS_WORKSPACES or var/workspaces.db) by geodesic distance.",
        epilog="Example: corridor-atlas workspaces --near khorgos-gateway --km 25",
    )
    spaces.add_argument("--near", required=True, help="a point feature's id (e.g. a city or a dry port) or LAT,LON")
    spaces.add_argument("--km", default="25", help="how far from the place, in km (default 25)")
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
        if args.command == "deck":
            return _deck(args)
        if args.command == "workspaces":
            return _workspaces(args)
        return _snapshot(args)
    except SnapshotError as err:
        print(f"{PROG}: error: {one_line(str(err))}", file=sys.stderr)
        return 2
    except CorridorAtlasError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
