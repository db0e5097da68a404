"""Snapshots for presenters: one request → a PNG, SVG, PDF or self-contained HTML file plus its caption."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import shapely

from geo.columns import is_missing
from layers.catalog import Basemap, LayerSpec
from layers.detail import drawn_frame
from layers.drawings import DRAWN_GROUP
from layers.furniture import FORMATS, MapText
from layers.layer import LayerSet
from layers.payload import PageJSON
from layers.render import basemap_payloads
from layers.scene import ANALYSIS_GROUP, Analyses, SceneParts, scene_layers
from layers.style import Style
from layers.view import SnapshotError, View, view_from_bbox, view_from_center, view_from_layers

if TYPE_CHECKING:  # matplotlib loads when a snapshot is drawn, not when the app starts
    from layers.static import StaticMap, TileImage

__all__ = [
    "ALL_FORMATS",
    "Snapshot",
    "SnapshotData",
    "SnapshotRequest",
    "atomic_write",
    "caption_text",
    "check_output",
    "checked_view",
    "credited_publishers",
    "draw_scene",
    "footnote",
    "make_folders",
    "make_snapshot",
    "place_caption",
    "resolve_view",
    "scene_text",
    "write_snapshot",
]

ALL_FORMATS: tuple[str, ...] = (*FORMATS, "html")
#: Groups of layers made in the app (analyses, drawings): no data source to credit.
MADE_HERE = frozenset({ANALYSIS_GROUP, DRAWN_GROUP})
BASE_ATTRIBUTION = "Basemap: Natural Earth. Borders and routes partly © OpenStreetMap contributors (ODbL)."


@dataclass(frozen=True)
class SnapshotRequest(SceneParts):
    """Everything a snapshot (a scene of a deck) depends on; the same request always gives the same bytes.

    Exactly one extent is given: ``bbox`` (west, south, east, north), ``fit`` (layer ids whose
    features the view is fitted to) or ``center`` (lat, lon) with ``zoom``. Besides its layers a
    request may filter them by status and by the timeline's year, select a feature, and show a
    route, a corridor buffer and drawings (see :mod:`layers.scene`); ``notes`` are speaker notes.
    """

    format: str = "png"
    bbox: tuple[float, float, float, float] | None = None
    fit: tuple[str, ...] = ()
    center: tuple[float, float] | None = None
    zoom: float | None = None
    width_px: int = 1920
    height_px: int = 1080
    dpi: int = 150
    title: str = ""
    subtitle: str = ""
    date: str | None = None
    tiles: str | None = None
    notes: str = ""

    @property
    def stamp(self) -> str:
        """The timeline's year as the map shows it, when the request filters by year."""
        return f"As of {self.year}" if self.year is not None else ""


@dataclass(frozen=True)
class SnapshotData:
    """The layers a snapshot draws from (each drawn from its display copy, as on screen) and the basemap."""

    layers: LayerSet
    basemap: Basemap
    basemap_frames: Mapping[str, gpd.GeoDataFrame]
    analysis_styles: Mapping[str, tuple[str, Style]] = field(default_factory=dict)

    @cached_property
    def analyses(self) -> Analyses:
        """Routes and corridor buffers of these layers (the rail network built once)."""
        return Analyses(self.layers, self.analysis_styles)

    def shown(self, request: SnapshotRequest) -> LayerSet:
        """What a request draws, bottom to top (see :func:`layers.scene.scene_layers`)."""
        return scene_layers(request, self.layers, self.analyses)

    @cached_property
    def basemap_page_data(self) -> dict[str, PageJSON]:
        """The basemap parts as page data."""
        return basemap_payloads(self.basemap, self.basemap_frames)

    def drawn(self, layer_id: str) -> gpd.GeoDataFrame:
        """What the snapshot draws of a layer: its display copy."""
        return self.layers.get(layer_id).display


@dataclass(frozen=True)
class Snapshot:
    """A rendered snapshot: the file's bytes, its MIME type, a caption for alt text, an embed snippet."""

    content: bytes
    mime: str
    caption: str
    view: View
    legend: list[str] = field(default_factory=list)


def _specs(request: SnapshotRequest, data: SnapshotData) -> list[LayerSpec]:
    if not request.layers:
        raise SnapshotError("--layers", "name at least one layer")
    specs = []
    for layer_id in request.layers:
        try:
            specs.append(data.layers.get(layer_id).spec)
        except KeyError as err:
            raise SnapshotError("--layers", str(err.args[0])) from err
    return specs


def resolve_view(request: SnapshotRequest, data: SnapshotData) -> View:
    """Turn the request's extent into a view, or say which argument is wrong."""
    if request.format not in ALL_FORMATS:
        raise SnapshotError("--format", f"{request.format!r} is not one of {', '.join(ALL_FORMATS)}")
    given = [
        name
        for name, value in (("--bbox", request.bbox), ("--fit", request.fit), ("--center", request.center))
        if value
    ]
    if len(given) != 1:
        raise SnapshotError(
            "--bbox/--fit/--center", "give exactly one extent" + (f" (got {', '.join(given)})" if given else "")
        )
    size = {"width_px": request.width_px, "height_px": request.height_px, "dpi": request.dpi}
    if request.bbox:
        return view_from_bbox(request.bbox, **size)
    if request.fit:
        for layer_id in request.fit:
            if layer_id not in data.layers:
                known = ", ".join(data.layers.ids)
                raise SnapshotError("--fit", f"unknown layer id {layer_id!r}; known layers: {known}")
        return view_from_layers([data.drawn(i) for i in request.fit], **size)
    if request.zoom is None:
        raise SnapshotError("--zoom", "--center needs --zoom")
    lat, lon = request.center
    return view_from_center(lat, lon, request.zoom, **size)


def checked_view(request: SnapshotRequest, data: SnapshotData) -> View:
    """The request's view, once it is known to show at least one feature of what the request draws.

    Raises
    ------
    SnapshotError
        The extent is wrong, a route, corridor or drawing cannot be made, or nothing lies in the extent.
    """
    view = resolve_view(request, data)
    _specs(request, data)
    if not _in_view(data.shown(request), view):
        raise SnapshotError("--bbox/--fit/--center", "no feature of the chosen layers lies in this extent")
    return view


def _in_view(shown: LayerSet, view: View) -> dict[str, gpd.GeoDataFrame]:
    """The features of each layer that lie in the view, by layer id (layers with none left out)."""
    box = shapely.box(*view.lonlat_bounds)
    inside = {}
    for layer in shown:
        frame = layer.display
        hits = frame[frame.geometry.intersects(box)] if len(frame) else frame
        if len(hits):
            inside[layer.id] = hits
    return inside


def _where(view: View) -> str:
    west, south, east, north = view.lonlat_bounds
    if west >= 0 and south >= 0:
        return f"from {west:.1f}°E to {east:.1f}°E and {south:.1f}°N to {north:.1f}°N"
    return f"lon {west:.1f} to {east:.1f}, lat {south:.1f} to {north:.1f}"


def caption_text(specs: Sequence[LayerSpec], view: View, places: Sequence[str]) -> str:
    """Alt text for a snapshot: which layers it shows and where."""
    names = [spec.title for spec in specs]
    shown = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    text = f"Map of {shown}, {_where(view)}"
    if places:
        text += f", around {', '.join(places[:5])}"
    return text + "."


def place_caption(view: View, places: Sequence[str]) -> str:
    """A short caption for under a map whose legend names its layers: where it is."""
    text = _where(view)
    return text[0].upper() + text[1:] + (f", around {', '.join(places[:5])}" if places else "") + "."


def credited_publishers(frames: Sequence[gpd.GeoDataFrame]) -> list[str]:
    """The publishers the features cite, the most cited original publishers first.

    A source read through a copy or a mirror (``retrieved_via``) still credits its original
    publisher; a publisher cited only through copies comes after every one cited directly.
    """
    direct: dict[str, int] = {}
    copied: dict[str, int] = {}
    for frame in frames:
        if "sources" not in frame.columns:
            continue
        for sources in frame["sources"]:
            for source in sources if isinstance(sources, list | tuple) else ():
                name = str(source.get("publisher") or "").strip() if isinstance(source, Mapping) else ""
                if not name:
                    continue
                counts = copied if str(source.get("retrieved_via") or "").strip() else direct
                counts[name] = counts.get(name, 0) + 1
    first = sorted(direct, key=lambda name: (-direct[name], name))
    later = sorted((name for name in copied if name not in direct), key=lambda name: (-copied[name], name))
    return first + later


def footnote(shown: LayerSet, inside: Mapping[str, gpd.GeoDataFrame], date: str | None) -> str:
    """The sources line: publishers of the features in view (originals first), and the user's own layers."""
    frames = [inside[layer.id] for layer in shown if layer.id in inside]
    publishers = credited_publishers(frames)
    own = [
        layer.title
        for layer in shown
        if layer.id in inside and "sources" not in inside[layer.id].columns and layer.spec.group not in MADE_HERE
    ]
    short = [name if len(name) <= 40 else name[:39].rsplit(" ", 1)[0] + "…" for name in publishers[:3]]
    named = "; ".join(short) + (f" and {len(publishers) - 3} more" if len(publishers) > 3 else "")
    parts = [named] if named else []
    if own:
        parts.append(", ".join(own) + " (your data)")
    note = f"Sources: {'; '.join(parts)}. Full citations in each feature." if parts else "Sources: see each feature."
    return note + (f" Data as of {date}." if date else "")


def _places(shown: LayerSet, inside: Mapping[str, gpd.GeoDataFrame]) -> list[str]:
    ranked: list[tuple[float, str]] = []
    for layer in shown:
        spec = layer.spec
        if not spec.label or layer.id not in inside:
            continue
        for _, row in inside[layer.id].iterrows():
            rank = row.get(spec.label_rank) if spec.label_rank else 0
            ranked.append((0.0 if is_missing(rank) else float(rank), str(row[spec.label])))
    return [name for _, name in sorted(ranked, key=lambda item: (-item[0], item[1]))]


def scene_text(
    request: SnapshotRequest, shown: LayerSet, view: View, *, attribution: str = BASE_ATTRIBUTION
) -> MapText:
    """The words of a scene's map: title, subtitle, attribution, the sources in view and the timeline's year."""
    return MapText(
        title=request.title,
        subtitle=request.subtitle,
        attribution=attribution,
        footnote=footnote(shown, _in_view(shown, view), request.date),
        stamp=request.stamp,
    )


def draw_scene(
    request: SnapshotRequest, data: SnapshotData, view: View, text: MapText, *, tiles: TileImage | None = None
) -> StaticMap:
    """A request's scene drawn as a static map (see :func:`layers.static.draw_map`) with these words."""
    from layers.static import draw_map

    return draw_map(
        view,
        [(layer.spec, drawn_frame(layer, view.lonlat_bounds, view.zoom)) for layer in data.shown(request)],
        basemap=data.basemap,
        basemap_frames=data.basemap_frames,
        text=text,
        tiles=tiles,
        selected=request.select,
    )


def make_snapshot(request: SnapshotRequest, data: SnapshotData) -> Snapshot:
    """Render a snapshot in memory, with everything the request shows (see :mod:`layers.scene`).

    Raises
    ------
    SnapshotError
        An argument is wrong (unknown layer, bad extent or size, an extent with no feature of the
        chosen layers, a route or corridor that cannot be made, tiles that cannot be fetched); the
        message names the argument.
    """
    view = checked_view(request, data)
    shown = data.shown(request)
    attribution = BASE_ATTRIBUTION
    tiles = None
    if request.tiles:
        from layers.tiles import fetch_tiles, provider

        source = provider(request.tiles)
        tiles = fetch_tiles(view, source)
        attribution = f"{BASE_ATTRIBUTION} Tiles: {tiles.attribution}"
    text = scene_text(request, shown, view, attribution=attribution)
    if request.format == "html":
        from layers.standalone import standalone_html

        layers = [(layer.spec, layer.page_data) for layer in shown]
        parts = data.basemap_page_data
        html = standalone_html(
            view, layers, basemap=data.basemap, basemap_parts=parts, text=text, selected=request.select
        )
        inside = _in_view(shown, view)
        caption = caption_text([layer.spec for layer in shown if layer.id in inside], view, _places(shown, inside))
        return Snapshot(html.encode("utf-8"), "text/html", caption, view, [layer.spec.legend for layer in shown])
    from layers.static import figure_bytes

    drawn = draw_scene(request, data, view, text, tiles=tiles)
    content = figure_bytes(drawn, request.format)
    caption = caption_text([layer.spec for layer in shown if layer.id in drawn.layers], view, drawn.labels)
    return Snapshot(content, FORMATS[request.format], caption, view, drawn.legend)


def check_output(request: SnapshotRequest, output: Path) -> None:
    """Refuse an output path that cannot be written or whose extension contradicts the format.

    A missing folder is fine (it is made when the file is written) unless a file stands in its way.
    """
    path = Path(output)
    folder = path.parent
    blocker = _file_in_the_way(folder)
    if blocker is not None:
        raise SnapshotError("--output", f"{str(blocker)!r} is a file, so folder {str(folder)!r} cannot be made")
    if path.is_dir():
        raise SnapshotError("--output", f"{str(path)!r} is a folder, not a file name")
    existing = _first_existing(folder)  # a missing folder is made in it
    if not os.access(existing, os.W_OK):
        raise SnapshotError("--output", f"folder {str(existing)!r} is not writable")
    if path.suffix.lower().lstrip(".") != request.format:
        raise SnapshotError(
            "--output", f"file name ends in {path.suffix or 'nothing'}, but the format is {request.format}"
        )


def _first_existing(folder: Path) -> Path:
    """The nearest folder above ``folder`` that exists (where a missing folder would be made)."""
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    return folder


def _file_in_the_way(folder: Path) -> Path | None:
    """The file in the way of making ``folder`` (a path part that exists but is not a folder), if any."""
    for part in (folder, *folder.parents):
        if part.exists():
            return None if part.is_dir() else part
    return None


def make_folders(path: Path) -> None:
    """Make the folder a checked output goes in, with its parents (the README's ``maps/…`` included)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)


def atomic_write(path: Path, content: bytes) -> None:
    """Write a file so that it appears only complete: a temporary file beside it, then a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_snapshot(request: SnapshotRequest, data: SnapshotData, output: Path) -> list[Path]:
    """Render and write a snapshot and its caption (``<name>.txt``); HTML also gets ``<name>.embed.html``.

    Files appear only complete: each is written to a temporary file beside it and renamed.
    """
    output = Path(output)
    check_output(request, output)
    snapshot = make_snapshot(request, data)
    make_folders(output)
    written = [output, output.with_suffix(".txt")]
    atomic_write(output, snapshot.content)
    atomic_write(written[1], (snapshot.caption + "\n").encode("utf-8"))
    if request.format == "html":
        from layers.standalone import embed_snippet

        snippet = embed_snippet(
            output.name, title=request.title, width_px=request.width_px, height_px=request.height_px
        )
        written.append(output.with_suffix(".embed.html"))
        atomic_write(written[2], (snippet + "\n").encode("utf-8"))
    return written
