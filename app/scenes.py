"""Scenes and the deck: the view on screen as a scene, the session's ordered deck, and scenes opened on the map.

A scene is a :class:`layers.snapshot.SnapshotRequest`: the extent, the layers on, the status filter,
the timeline's year, the selection, the corridor or route, the drawings, and the words (title,
subtitle, speaker notes). The deck is kept in the session as ``[(uid, scene), …]``; it is written
to and read from the same TOML deck file the command line renders.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.catalog import current_catalog, source
from app.data import basemap_frames, data_bounds
from app.drawings import drawings, drawings_frame
from app.results import result
from app.state import UrlState, keep_view, session, timeline_year
from geo.schema import STATUSES
from layers.drawings import DRAWN_GROUP, drawings_geojson
from layers.layer import LayerSet
from layers.snapshot import SnapshotData, SnapshotRequest

__all__ = [
    "add_scene",
    "deck",
    "keep_restored",
    "move_scene",
    "open_scene",
    "remove_scene",
    "replace_deck",
    "restore_workspace",
    "save_workspace",
    "scene_data",
    "view_scene",
]

_DECK, _COUNT, _SAVED, _RESTORING = "deck", "_deck_count", "_present_saved", "_present_restoring"
#: How many runs after a presentation set the workspace's widget values again.
_RESTORE_RUNS = 2
#: What opening a scene on the map changes (and presenting puts back afterwards).
_OPENED = ("f_status", "f_year", "feature", "corridor", "corridor_km", "route_from", "route_to", "present_bounds")


def scene_data(layers: LayerSet) -> SnapshotData:
    """What scenes of these layers are drawn from (the drawings come with each scene), made once per layer set."""
    own = layers.only(layer.id for layer in layers if layer.spec.group != DRAWN_GROUP)
    cat = current_catalog()

    def make() -> SnapshotData:
        return SnapshotData(own, cat.basemap, basemap_frames(source()), cat.analysis)

    return result("scene_data", (), own, make)


def view_scene(layers: LayerSet, visible: tuple[str, ...], words: dict[str, Any]) -> SnapshotRequest:
    """The view on screen as a scene: extent, layers on, filters, year, selection, analyses, drawings, words.

    ``words`` gives the export's other settings: title, subtitle, notes, size, dpi, format, tiles.
    """
    state = UrlState.current()
    drawn_ids = {layer.id for layer in layers if layer.spec.group == DRAWN_GROUP}
    origin, destination = session.get("route_from"), session.get("route_to")
    bbox = session.get("bounds") or data_bounds([layer.display for layer in layers])
    shown_drawings = bool(drawn_ids & set(visible)) and bool(drawings())
    return SnapshotRequest(
        layers=tuple(i for i in visible if i not in drawn_ids),
        bbox=tuple(float(v) for v in bbox) if bbox else (48.0, 30.0, 122.0, 54.0),
        statuses=tuple(state.statuses) if set(state.statuses) != set(STATUSES) else None,
        year=timeline_year(state),
        select=state.feature or None,
        route=(origin, destination) if origin and destination and origin != destination else None,
        corridor=session.get("corridor") or None,
        corridor_km=float(session.get("corridor_km") or 50),
        drawings=drawings_geojson(drawings_frame()) if shown_drawings else "",
        **words,
    )


# --- the deck: an ordered list in the session -------------------------------------------------------------------


def deck() -> list[tuple[int, SnapshotRequest]]:
    """The session's deck, in order, each scene with an id that stays with it when the deck is reordered."""
    return session.setdefault(_DECK, [])


def add_scene(scene: SnapshotRequest, at: int | None = None) -> int:
    """Put a scene in the deck (at the end, or at ``at``); its id."""
    uid = session[_COUNT] = int(session.get(_COUNT) or 0) + 1
    scenes = deck()
    scenes.insert(len(scenes) if at is None else at, (uid, scene))
    return uid


def replace_deck(scenes: list[SnapshotRequest]) -> None:
    """Make the deck these scenes (a deck file opened)."""
    session[_DECK] = []
    for scene in scenes:
        add_scene(scene)


def move_scene(uid: int, step: int) -> None:
    """Move a scene ``step`` places up (negative) or down the deck."""
    scenes = deck()
    i = next((n for n, (u, _) in enumerate(scenes) if u == uid), None)
    if i is None or not 0 <= i + step < len(scenes):
        return
    scenes[i], scenes[i + step] = scenes[i + step], scenes[i]


def remove_scene(uid: int) -> None:
    """Take a scene out of the deck."""
    session[_DECK] = [(u, s) for u, s in deck() if u != uid]


def duplicate_scene(uid: int) -> None:
    """Put a copy of a scene right after it."""
    for n, (u, scene) in enumerate(deck()):
        if u == uid:
            add_scene(replace(scene, title=f"{scene.title} (copy)".strip()), at=n + 1)
            return


def rename_scene(uid: int, title: str) -> None:
    """Give a scene a new title."""
    session[_DECK] = [(u, replace(s, title=title) if u == uid else s) for u, s in deck()]


# --- a scene on the live map (present mode) ---------------------------------------------------------------------


def save_workspace(widget_keys: tuple[str, ...]) -> None:
    """Remember what opening scenes will change, to put it back when the presentation ends.

    Every widget of the page is put back by value, not only those the scenes change: a widget
    the presentation did not draw is drawn anew, and it shows the value set for it.
    """
    if session.get(_SAVED) is None:
        keys = (*_OPENED, *widget_keys)
        session[_SAVED] = {key: session.get(key) for key in keys}


def restore_workspace() -> None:
    """Put the workspace back as it was before the presentation (and again in the runs just after: see below)."""
    saved = session.pop(_SAVED, None) or {}
    for key, value in saved.items():
        session[key] = value
    session[_RESTORING] = (saved, _RESTORE_RUNS)
    keep_view()


def keep_restored() -> None:
    """In the first runs after a presentation, set the workspace's widget values again.

    The sidebar's widgets are drawn anew then, and a browser that has not caught up sends their
    defaults back with the next run; those must not win over what the workspace held.
    """
    saved, runs = session.get(_RESTORING) or ({}, 0)
    if not runs:
        return
    for key, value in saved.items():
        session[key] = value
    session[_RESTORING] = (saved, runs - 1) if runs > 1 else None


def open_scene(scene: SnapshotRequest, widget_keys: dict[str, str]) -> None:
    """Show a scene on the live map: its layers, filters, year, selection, corridor, route and extent.

    ``widget_keys`` maps each layer id to its toggle's key. The map goes to the scene's extent
    without being rebuilt (see :class:`app.mapview.MapAsk`).
    """
    for layer_id, key in widget_keys.items():
        session[key] = layer_id in scene.layers
    session["f_status"] = list(scene.statuses or STATUSES)
    session["f_year"] = scene.year if scene.year is not None else session.get("_year_max")
    session["feature"] = scene.select
    session["corridor"] = scene.corridor
    session["corridor_km"] = int(scene.corridor_km)
    session["route_from"], session["route_to"] = scene.route or (None, None)
    session["present_bounds"] = scene.bbox
    session["select_seq"] = int(session.get("select_seq") or 0) + 1
