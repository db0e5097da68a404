"""Snapshots for presenters: one request → a PNG, SVG, PDF or self-contained HTML file plus its caption."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import shapely

from geo.columns import is_missing
from geo.crs import WEB_MERCATOR
from layers.catalog import Basemap, LayerSpec
from layers.layer import LayerSet
from layers.payload import PageJSON
from layers.render import basemap_payloads
from layers.standalone import embed_snippet, standalone_html
from layers.static import FORMATS, MapText, draw_map, figure_bytes
from layers.view import SnapshotError, View, view_from_bbox, view_from_center, view_from_layers

__all__ = [
    "ALL_FORMATS",
    "Snapshot",
    "SnapshotData",
    "SnapshotRequest",
    "caption_text",
    "check_output",
    "checked_view",
    "make_snapshot",
    "resolve_view",
    "write_snapshot",
]

ALL_FORMATS: tuple[str, ...] = (*FORMATS, "html")
BASE_ATTRIBUTION = "Basemap: Natural Earth. Borders and routes partly © OpenStreetMap contributors (ODbL)."


@dataclass(frozen=True)
class SnapshotRequest:
    """Everything a snapshot depends on; the same request always gives the same SVG and HTML bytes.

    Exactly one extent is given: ``bbox`` (west, south, east, north), ``fit`` (layer ids whose
    features the view is fitted to) or ``center`` (lat, lon) with ``zoom``.
    """

    layers: tuple[str, ...]
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


@dataclass(frozen=True)
class SnapshotData:
    """The layers a snapshot draws from (each drawn from its display copy, as on screen) and the basemap."""

    layers: LayerSet
    basemap: Basemap
    basemap_frames: Mapping[str, gpd.GeoDataFrame]

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
    """The request's view, once it is known to show at least one feature of the chosen layers.

    Raises
    ------
    SnapshotError
        The extent is wrong, or no feature of the chosen layers lies in it.
    """
    view = resolve_view(request, data)
    if _features_in_view(_specs(request, data), data, view) == 0:
        raise SnapshotError("--bbox/--fit/--center", "no feature of the chosen layers lies in this extent")
    return view


def _features_in_view(specs: Sequence[LayerSpec], data: SnapshotData, view: View) -> int:
    box = shapely.box(view.x0, view.y0, view.x1, view.y1)
    count = 0
    for spec in specs:
        geoms = data.drawn(spec.id).geometry.to_crs(WEB_MERCATOR)
        count += int(geoms.intersects(box).sum())
    return count


def caption_text(specs: Sequence[LayerSpec], view: View, places: Sequence[str]) -> str:
    """Alt text for a snapshot: which layers it shows and where."""
    west, south, east, north = view.lonlat_bounds
    names = [spec.title for spec in specs]
    shown = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    text = (
        f"Map of {shown}, from {west:.1f}°E to {east:.1f}°E and {south:.1f}°N to {north:.1f}°N"
        if west >= 0 and south >= 0
        else f"Map of {shown}, lon {west:.1f} to {east:.1f}, lat {south:.1f} to {north:.1f}"
    )
    if places:
        text += f", around {', '.join(places[:5])}"
    return text + "."


def _footnote(specs: Sequence[LayerSpec], data: SnapshotData, date: str | None) -> str:
    publishers: list[str] = []
    for spec in specs:
        frame = data.drawn(spec.id)
        if "sources" not in frame.columns:
            publishers.append(f"{spec.title} (your data)")
            continue
        for sources in frame["sources"]:
            for source in sources:
                name = str(source.get("publisher") or "").strip()
                if name and name not in publishers:
                    publishers.append(name)
    short = [name if len(name) <= 40 else name[:39].rsplit(" ", 1)[0] + "…" for name in publishers[:3]]
    shown = "; ".join(short) + (f" and {len(publishers) - 3} more" if len(publishers) > 3 else "")
    note = f"Sources: {shown}. Full citations in each feature." if shown else "Sources: see each feature."
    return note + (f" Data as of {date}." if date else "")


def _places(specs: Sequence[LayerSpec], data: SnapshotData, view: View) -> list[str]:
    box = shapely.box(view.x0, view.y0, view.x1, view.y1)
    ranked: list[tuple[float, str]] = []
    for spec in specs:
        if not spec.label:
            continue
        gdf = data.drawn(spec.id)
        inside = gdf[gdf.geometry.to_crs(WEB_MERCATOR).intersects(box)]
        for _, row in inside.iterrows():
            rank = row.get(spec.label_rank) if spec.label_rank else 0
            ranked.append((0.0 if is_missing(rank) else float(rank), str(row[spec.label])))
    return [name for _, name in sorted(ranked, key=lambda item: (-item[0], item[1]))]


def make_snapshot(request: SnapshotRequest, data: SnapshotData) -> Snapshot:
    """Render a snapshot in memory.

    Raises
    ------
    SnapshotError
        An argument is wrong (unknown layer, bad extent or size, an extent with no feature of the
        chosen layers, tiles that cannot be fetched); the message names the argument.
    """
    specs = _specs(request, data)
    view = checked_view(request, data)
    attribution = BASE_ATTRIBUTION
    tiles = None
    if request.tiles:
        from layers.tiles import fetch_tiles, provider

        source = provider(request.tiles)
        tiles = fetch_tiles(view, source)
        attribution = f"{BASE_ATTRIBUTION} Tiles: {tiles.attribution}"
    text = MapText(
        title=request.title,
        subtitle=request.subtitle,
        attribution=attribution,
        footnote=_footnote(specs, data, request.date),
    )
    if request.format == "html":
        layers = [(spec, data.layers.get(spec.id).page_data) for spec in specs]
        parts = data.basemap_page_data
        html = standalone_html(view, layers, basemap=data.basemap, basemap_parts=parts, text=text)
        caption = caption_text(specs, view, _places(specs, data, view))
        return Snapshot(html.encode("utf-8"), "text/html", caption, view, [s.legend for s in specs])
    drawn = draw_map(
        view,
        [(spec, data.drawn(spec.id)) for spec in specs],
        basemap=data.basemap,
        basemap_frames=data.basemap_frames,
        text=text,
        tiles=tiles,
    )
    content = figure_bytes(drawn, request.format)
    shown = [spec for spec in specs if spec.id in drawn.layers]
    caption = caption_text(shown, view, drawn.labels)
    return Snapshot(content, FORMATS[request.format], caption, view, drawn.legend)


def check_output(request: SnapshotRequest, output: Path) -> None:
    """Refuse an output path that cannot be written or whose extension contradicts the format."""
    path = Path(output)
    folder = path.parent
    if not folder.is_dir():
        raise SnapshotError("--output", f"folder {str(folder)!r} does not exist")
    if path.is_dir():
        raise SnapshotError("--output", f"{str(path)!r} is a folder, not a file name")
    if not os.access(folder, os.W_OK):
        raise SnapshotError("--output", f"folder {str(folder)!r} is not writable")
    if path.suffix.lower().lstrip(".") != request.format:
        raise SnapshotError(
            "--output", f"file name ends in {path.suffix or 'nothing'}, but the format is {request.format}"
        )


def _atomic_write(path: Path, content: bytes) -> None:
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
    written = [output, output.with_suffix(".txt")]
    _atomic_write(output, snapshot.content)
    _atomic_write(written[1], (snapshot.caption + "\n").encode("utf-8"))
    if request.format == "html":
        snippet = embed_snippet(
            output.name, title=request.title, width_px=request.width_px, height_px=request.height_px
        )
        written.append(output.with_suffix(".embed.html"))
        _atomic_write(written[2], (snippet + "\n").encode("utf-8"))
    return written
