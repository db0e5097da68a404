"""Decks: an ordered list of scenes as one PowerPoint file, one multi-page PDF, or one offline HTML page.

Every scene is drawn by the snapshot renderer with everything it shows (filters, year, selection,
route, corridor buffer, drawings, labels), so a slide is the map the scene saved. The same scenes
give the same bytes in any process: no dates, no random ids, fixed zip timestamps.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import replace
from html import escape

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages

from layers.catalog import LayerSpec
from layers.elements import PageCall
from layers.furniture import RC, MapText
from layers.payload import PageJSON
from layers.render import build_map, stable_names
from layers.slides import Slide, picture_width_in, pptx_bytes
from layers.snapshot import (
    SnapshotData,
    SnapshotRequest,
    caption_text,
    checked_view,
    draw_scene,
    place_caption,
    scene_text,
)
from layers.static import StaticMap, figure_bytes
from layers.view import MAX_DPI, MIN_DPI, SnapshotError, View

__all__ = ["DECK_TITLE", "check_deck", "deck_html", "deck_pdf", "deck_pptx", "deck_title"]

DECK_TITLE = "Corridor Atlas briefing"
#: A deck has at least one scene and at most this many (each is a full map).
MAX_SCENES = 60


def deck_title(requests: Sequence[SnapshotRequest]) -> str:
    """The deck's title: its first scene's, or a default."""
    return next((r.title for r in requests if r.title.strip()), DECK_TITLE)


def check_deck(requests: Sequence[SnapshotRequest], data: SnapshotData) -> list[View]:
    """Each scene's view, once every scene is known to render; an error names the scene (``scene #2``)."""
    if not requests:
        raise SnapshotError("deck", "the deck has no scenes")
    if len(requests) > MAX_SCENES:
        raise SnapshotError("deck", f"{len(requests)} scenes; a deck has at most {MAX_SCENES}")
    views = []
    for number, request in enumerate(requests, start=1):
        try:
            views.append(checked_view(request, data))
        except SnapshotError as err:
            raise SnapshotError(f"scene #{number}", str(err)) from err
    return views


def _scene_map(request: SnapshotRequest, data: SnapshotData, view: View, *, words: bool) -> tuple[StaticMap, str]:
    """A scene drawn as an image, and its sources line; ``words=False`` leaves title and sources to the slide."""
    shown = data.shown(request)
    text = scene_text(request, shown, view)
    drawn_text = text if words else MapText(attribution=text.attribution, stamp=text.stamp)
    return draw_scene(request, data, view, drawn_text), text.footnote


def deck_pdf(requests: Sequence[SnapshotRequest], data: SnapshotData) -> bytes:
    """One PDF page per scene (vector), each with its title, legend, scale bar and sources."""
    views = check_deck(requests, data)
    buffer = io.BytesIO()
    metadata = {"Title": deck_title(requests), "Creator": None, "Producer": None, "CreationDate": None}
    with matplotlib.rc_context(RC), PdfPages(buffer, metadata=metadata) as pdf:
        for request, view in zip(requests, views, strict=True):
            drawn, _ = _scene_map(request, data, view, words=True)
            pdf.savefig(drawn.figure, dpi=view.dpi)
    return buffer.getvalue()


def deck_slides(requests: Sequence[SnapshotRequest], data: SnapshotData, *, aspect: str = "16:9") -> list[Slide]:
    """Each scene as a slide: its map as a PNG made at the size it is placed (true type sizes), words and notes."""
    views = check_deck(requests, data)
    slides = []
    for number, (request, view) in enumerate(zip(requests, views, strict=True), start=1):
        placed_in = picture_width_in(view.width_px, view.height_px, aspect=aspect, subtitle=bool(request.subtitle))
        dpi = min(MAX_DPI, max(MIN_DPI, round(view.width_px / placed_in)))
        view = replace(view, dpi=dpi)
        drawn, sources = _scene_map(request, data, view, words=False)
        shown = [layer.spec for layer in data.shown(request) if layer.id in drawn.layers]
        slides.append(
            Slide(
                title=request.title or f"Scene {number}",
                subtitle=request.subtitle,
                picture=figure_bytes(drawn, "png"),
                width_px=view.width_px,
                height_px=view.height_px,
                caption=place_caption(view, drawn.labels),
                alt_text=caption_text(shown, view, drawn.labels),
                sources=sources,
                notes=request.notes,
            )
        )
    return slides


def deck_pptx(requests: Sequence[SnapshotRequest], data: SnapshotData, *, aspect: str = "16:9") -> bytes:
    """A PowerPoint deck, one slide per scene (see :mod:`layers.slides`)."""
    return pptx_bytes(deck_slides(requests, data, aspect=aspect), title=deck_title(requests), aspect=aspect)


def _page_layers(
    requests: Sequence[SnapshotRequest], data: SnapshotData
) -> tuple[list[tuple[LayerSpec, PageJSON]], list[list[str]]]:
    """The layers the page holds (each variant once: a layer through two filters is two) and each scene's."""
    held: dict[str, LayerSpec] = {}
    payloads: list[tuple[LayerSpec, PageJSON]] = []
    per_scene: list[list[str]] = []
    for request in requests:
        ids = []
        for layer in data.shown(request):
            if layer.key not in held:
                spec = replace(layer.spec, id=f"{layer.id}~{len(held)}")
                held[layer.key] = spec
                payloads.append((spec, layer.page_data))
            ids.append(held[layer.key].id)
        per_scene.append(ids)
    return payloads, per_scene


def deck_html(requests: Sequence[SnapshotRequest], data: SnapshotData) -> str:
    """One offline HTML page that steps through the scenes (arrow keys, buttons; ``#3`` opens the third)."""
    views = check_deck(requests, data)
    payloads, per_scene = _page_layers(requests, data)
    first = views[0].lonlat_bounds
    built = build_map(
        payloads,
        basemap=data.basemap,
        basemap_parts=data.basemap_page_data,
        visible=set(per_scene[0]),
        view=None,
        fit=first,
        attribution=scene_text(requests[0], data.shown(requests[0]), views[0]).attribution,
    )
    fmap = built.map
    fmap.options["zoomSnap"] = 0
    scenes = []
    for request, view, ids in zip(requests, views, per_scene, strict=True):
        west, south, east, north = view.lonlat_bounds
        scenes.append(
            {
                "title": request.title,
                "subtitle": request.subtitle,
                "stamp": request.stamp,
                "notes": request.notes,
                "bounds": [[south, west], [north, east]],
                "groups": [built.groups[i] for i in ids],
                "feature": request.select,
            }
        )
    PageCall("deck", scenes).add_to(fmap)
    root = fmap.get_root()
    root.title = escape(deck_title(requests))
    return stable_names(root.render())
