"""The Export tab's studio: the frame and words of an export, a preview of exactly that, and the file.

What is exported is the view on screen as a scene (see :func:`app.scenes.view_scene`): the layers
on, the status filter, the timeline's year, the selection, the corridor buffer or route, and the
drawings, over the map's extent. The settings are kept in the session while other tabs are open.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from app.results import result
from app.scenes import scene_data, view_scene
from app.state import session
from app.text import plain
from geo.errors import CorridorAtlasError
from layers.layer import LayerSet
from layers.snapshot import ALL_FORMATS, Snapshot, SnapshotRequest
from layers.view import MIN_DPI

__all__ = ["FRAMES", "export_words", "studio"]

#: Frames a presenter picks from: label → pixel size (``None``: custom).
FRAMES: dict[str, tuple[int, int] | None] = {
    "16:9 · 1920×1080 (slides, screens)": (1920, 1080),
    "16:9 · 3840×2160 (4K)": (3840, 2160),
    "16:9 · 1280×720": (1280, 720),
    "4:3 · 1600×1200": (1600, 1200),
    "A4 landscape · 2339×1654 (200 dpi)": (2339, 1654),
    "A4 portrait · 1654×2339 (200 dpi)": (1654, 2339),
    "1:1 · 1080×1080 (social)": (1080, 1080),
    "Custom size": None,
}
BACKGROUNDS = {
    "offline": "Offline basemap",
    "osm": "OpenStreetMap (online)",
    "imagery": "Esri imagery (online)",
}
EXPORT_TITLE = "Kazakhstan–China infrastructure corridors"
#: The preview's largest size on screen (pixels): big enough to read, small enough to make in well under a second.
PREVIEW_BOX = (880, 620)


def _frame() -> tuple[int, int]:
    size = FRAMES.get(session.get("export_frame") or "")
    if size is not None:
        return size
    return int(session.get("export_width") or 1920), int(session.get("export_height") or 1080)


def export_words() -> dict[str, Any]:
    """The export's settings but the scene itself: words, size, resolution, format and background."""
    width, height = _frame()
    tiles = session.get("export_tiles") or "offline"
    return {
        "title": session.get("export_title") or "",
        "subtitle": session.get("export_subtitle") or "",
        "notes": session.get("export_notes") or "",
        "width_px": width,
        "height_px": height,
        "dpi": int(session.get("export_dpi") or 150),
        "format": session.get("export_format") or "png",
        "tiles": None if tiles == "offline" else tiles,
    }


def _settings() -> None:
    session.setdefault("export_title", EXPORT_TITLE)
    left, right = st.columns(2)
    left.text_input("Title", key="export_title")
    right.text_input("Subtitle", key="export_subtitle")
    frame, dpi, background = st.columns([2, 1, 1])
    frame.selectbox("Frame", tuple(FRAMES), key="export_frame", help="The exported file's aspect and size.")
    dpi.selectbox("DPI (text and line size)", (150, 96, 200, 300), key="export_dpi")
    background.selectbox(
        "Background",
        tuple(BACKGROUNDS),
        format_func=BACKGROUNDS.__getitem__,
        key="export_tiles",
        help="Online backgrounds need the internet; PNG, SVG and PDF only.",
    )
    if FRAMES.get(session.get("export_frame") or "") is None and session.get("export_frame"):
        width, height = st.columns(2)
        width.number_input("Width (pixels)", 200, 8000, 1920, step=10, key="export_width")
        height.number_input("Height (pixels)", 200, 8000, 1080, step=10, key="export_height")
    st.text_area("Speaker notes (for the deck)", key="export_notes", height=68)


def _preview_request(request: SnapshotRequest) -> SnapshotRequest:
    """The same scene, frame and look at preview size: a smaller image with text and lines scaled alike."""
    scale = min(PREVIEW_BOX[0] / request.width_px, PREVIEW_BOX[1] / request.height_px, 1.0)
    return replace(
        request,
        format="png",
        width_px=max(200, round(request.width_px * scale)),
        height_px=max(200, round(request.height_px * scale)),
        dpi=max(MIN_DPI, round(request.dpi * scale)),
        tiles=None,
    )


def _render(request: SnapshotRequest, layers: LayerSet, *, keep: bool = False) -> Snapshot:
    """The snapshot of a request; ``keep``: made once per request and layers (the preview, small)."""
    from layers.snapshot import make_snapshot  # matplotlib: only when exporting

    data = scene_data(layers)
    if not keep:
        return make_snapshot(request, data)
    return result("preview", (request,), data.layers, lambda: make_snapshot(request, data))


def _what_it_holds(request: SnapshotRequest) -> str:
    parts = [f"{len(request.layers)} layers"]
    if request.year is not None:
        parts.append(f"as of {request.year}")
    if request.statuses is not None:
        parts.append("status: " + ", ".join(request.statuses))
    if request.select:
        parts.append(f"selected: {request.select}")
    if request.route:
        parts.append("route " + " → ".join(request.route))
    if request.corridor:
        parts.append(f"corridor buffer {request.corridor_km:g} km")
    if request.drawings:
        parts.append("your drawings")
    return " · ".join(parts)


def studio(layers: LayerSet, visible: tuple[str, ...]) -> SnapshotRequest | None:
    """The export settings, the preview and the single-file export; the scene on screen (``None`` if none)."""
    from layers.standalone import embed_snippet

    st.markdown("**Export the view on screen**: what the map shows, in the frame below.")
    _settings()
    if not visible:
        st.info("Switch on at least one layer to export the map.")
        return None
    scene = view_scene(layers, visible, export_words())
    try:
        preview = _render(_preview_request(scene), layers, keep=True)
    except CorridorAtlasError as err:
        st.error(plain(f"This view cannot be exported: {err}"))
        preview = None
    else:
        caption = f"Preview, {scene.width_px}×{scene.height_px}: {_what_it_holds(scene)}"
        st.image(preview.content, caption=plain(caption))
    fmt_col, go_col = st.columns([1, 2], vertical_alignment="bottom")
    fmt = fmt_col.selectbox("Format", ALL_FORMATS, format_func=str.upper, key="export_format")
    if go_col.button(f"Prepare {fmt.upper()}", key="export_go"):
        request = replace(scene, format=fmt, tiles=scene.tiles if fmt != "html" else None)
        try:
            snapshot = _render(request, layers)
        except CorridorAtlasError as err:
            session.pop("export", None)
            st.error(plain(str(err)))
        else:
            name = f"corridor-atlas.{fmt}"
            embed = (
                embed_snippet(name, title=scene.title, width_px=scene.width_px, height_px=scene.height_px)
                if fmt == "html"
                else ""
            )
            session["export"] = (name, snapshot.content, snapshot.mime, snapshot.caption, embed)
    if "export" in session:
        name, content, mime, caption, embed = session["export"]
        st.download_button(
            f"Download {name}", content, file_name=name, mime=mime, key="export_download", on_click="ignore"
        )
        st.markdown("Alt text (caption):")
        st.code(caption, language=None, wrap_lines=True)
        if embed:
            st.markdown("Embed snippet for web pages and slide tools:")
            st.code(embed, language="html")
    return scene if preview is not None else None
