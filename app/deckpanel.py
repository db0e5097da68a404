"""The deck under the export studio: scenes saved from the map, ordered, renamed, kept as a file, exported, shown."""

from __future__ import annotations

import streamlit as st

from app.scenes import (
    add_scene,
    deck,
    duplicate_scene,
    move_scene,
    remove_scene,
    rename_scene,
    replace_deck,
    scene_data,
)
from app.state import session
from app.text import plain
from geo.errors import CorridorAtlasError
from layers.layer import LayerSet
from layers.slides import SLIDE_SIZES_IN
from layers.snapshot import SnapshotRequest

__all__ = ["deck_panel", "start_presenting"]

DECK_FILE = "corridor-atlas-deck.toml"
#: The deck's exports: label, file name, MIME type.
DECK_FORMATS = {
    "pptx": (
        "PowerPoint",
        "corridor-atlas-deck.pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "pdf": ("PDF", "corridor-atlas-deck.pdf", "application/pdf"),
    "html": ("HTML page", "corridor-atlas-deck.html", "text/html"),
}


def _renamed(uid: int) -> None:
    title = str(session.get(f"scene_title_{uid}") or "").strip()
    if title:
        rename_scene(uid, title[:200])


def _summary(scene: SnapshotRequest) -> str:
    bits = [f"{len(scene.layers)} layers"]
    if scene.year is not None:
        bits.append(f"as of {scene.year}")
    if scene.route:
        bits.append("route")
    if scene.corridor:
        bits.append(f"corridor {scene.corridor_km:g} km")
    if scene.drawings:
        bits.append("drawings")
    if scene.select:
        bits.append("a selection")
    if scene.notes:
        bits.append("notes")
    west, south, east, north = scene.bbox or (0, 0, 0, 0)
    bits.append(f"{west:.1f}–{east:.1f}°E, {south:.1f}–{north:.1f}°N")
    return " · ".join(bits)


def _scene_rows() -> None:
    scenes = deck()
    for number, (uid, scene) in enumerate(scenes, start=1):
        title, up, down, copy, drop = st.columns([8, 1, 1, 1, 1], vertical_alignment="bottom")
        session.setdefault(f"scene_title_{uid}", scene.title or f"Scene {number}")
        title.text_input(f"Scene {number}", key=f"scene_title_{uid}", on_change=_renamed, args=(uid,))
        up.button("↑", key=f"scene_up_{uid}", on_click=move_scene, args=(uid, -1), disabled=number == 1, help="Move up")
        down.button(
            "↓", key=f"scene_down_{uid}", on_click=move_scene, args=(uid, 1), disabled=number == len(scenes),
            help="Move down",
        )  # fmt: skip
        copy.button("⧉", key=f"scene_copy_{uid}", on_click=duplicate_scene, args=(uid,), help="Duplicate")
        drop.button("✕", key=f"scene_drop_{uid}", on_click=remove_scene, args=(uid,), help="Remove")
        st.caption(plain(_summary(scene)))


def _load_deck_file() -> None:
    """Read a deck file the user gave: its scenes replace the deck, or the error names the table and key."""
    from layers.deckfile import deck_from_text

    upload = session.get("deck_upload")
    if upload is None or session.get("_deck_upload_id") == upload.file_id:
        return
    session["_deck_upload_id"] = upload.file_id
    try:
        text = upload.getvalue().decode("utf-8-sig")
        scenes = deck_from_text(text, upload.name)
    except UnicodeDecodeError:
        session["deck_error"] = f"{upload.name}: not UTF-8 text"
        return
    except CorridorAtlasError as err:
        session["deck_error"] = f"{upload.name}: {err}"
        return
    session.pop("deck_error", None)
    replace_deck(scenes)


def _deck_file(scenes: list[SnapshotRequest]) -> None:
    from layers.deckfile import deck_toml

    save, load = st.columns(2)
    text = deck_toml(
        scenes, comment="Corridor Atlas deck: corridor-atlas deck THIS.toml --pptx deck.pptx --pdf deck.pdf"
    )
    save.download_button("Download deck file (TOML)", text, file_name=DECK_FILE, mime="application/toml",
                         key="deck_save", on_click="ignore", disabled=not scenes)  # fmt: skip
    load.file_uploader("Open a deck file", type=["toml"], key="deck_upload", on_change=_load_deck_file)
    if session.get("deck_error"):
        st.error(plain(session["deck_error"]))


def _deck_exports(scenes: list[SnapshotRequest], layers: LayerSet) -> None:
    from layers.deck import deck_html, deck_pdf, deck_pptx

    aspect, *buttons = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
    aspect.selectbox("Slide size", tuple(SLIDE_SIZES_IN), key="deck_aspect")
    for column, (fmt, (label, name, mime)) in zip(buttons, DECK_FORMATS.items(), strict=True):
        if column.button(f"Make {label}", key=f"deck_make_{fmt}", disabled=not scenes):
            data = scene_data(layers)
            try:
                with st.spinner(f"Making the {label} of {len(scenes)} scenes…"):
                    if fmt == "pptx":
                        content = deck_pptx(scenes, data, aspect=session.get("deck_aspect") or "16:9")
                    elif fmt == "pdf":
                        content = deck_pdf(scenes, data)
                    else:
                        content = deck_html(scenes, data).encode("utf-8")
            except CorridorAtlasError as err:
                session.pop("deck_export", None)
                st.error(plain(str(err)))
            else:
                session["deck_export"] = (name, content, mime)
    if "deck_export" in session:
        name, content, mime = session["deck_export"]
        st.download_button(f"Download {name}", content, file_name=name, mime=mime, key="deck_download",
                           on_click="ignore")  # fmt: skip


def start_presenting() -> None:
    """Present the deck from its first scene (see :mod:`app.present`)."""
    session["presenting"] = 0


def deck_panel(layers: LayerSet, scene: SnapshotRequest | None) -> None:
    """The deck: add the view on screen as a scene, the scenes in order, the deck file, its exports, present."""
    st.markdown("**Deck**: scenes for a briefing, each the map as it was when you added it.")
    add, present = st.columns(2)
    if add.button("Add this view to the deck", key="deck_add", disabled=scene is None, type="primary"):
        add_scene(scene)  # type: ignore[arg-type]
        st.toast(plain(f"Added scene {len(deck())}: {scene.title if scene else ''}"))
    scenes = [s for _, s in deck()]
    present.button("Present the deck ▶", key="deck_present", on_click=start_presenting, disabled=not scenes)
    _scene_rows()
    if not scenes:
        st.caption("No scenes yet: set up the map, then add the view. Or open a deck file.")
    _deck_file(scenes)
    _deck_exports(scenes, layers)
