"""Present mode: the deck full-screen, scene by scene, on the live map (← and → step, Esc ends).

Each scene is opened on the workspace's own map: its layers, filters, year, selection, corridor
and route are set as if chosen by hand, its drawings are shown as layers, and the map goes to its
extent without being rebuilt (see :class:`app.mapview.MapAsk`). Ending the presentation puts the
workspace back as it was.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.catalog import source
from app.mappage import Analyses, MapState, analysis_call, map_page, map_state
from app.mapview import MapAsk, show_map
from app.scenes import deck, open_scene, restore_workspace, save_workspace
from app.state import keep_tab_widgets, page_widget_keys, read_map_events, session
from app.text import plain
from geo.errors import CorridorAtlasError
from geo.schema import STATUSES
from layers.drawings import DRAWN_GROUP
from layers.layer import LayerSet
from layers.scene import drawing_layers
from layers.snapshot import SnapshotRequest

__all__ = ["present", "presenting"]

_CSS = Path(__file__).with_name("css") / "present.css"


def presenting() -> bool:
    """Whether the session is presenting its deck."""
    return session.get("presenting") is not None and bool(deck())


def _step(by: int) -> None:
    count = len(deck())
    session["presenting"] = max(0, min(count - 1, int(session.get("presenting") or 0) + by))


def _stop() -> None:
    session["presenting"] = None
    session.pop("_presented", None)
    session.pop("_prepared", None)
    restore_workspace()


def _scene_layers(layers: LayerSet, scene: SnapshotRequest) -> LayerSet:
    """The workspace's layers with the scene's drawings in place of the session's."""
    own = layers.only(layer.id for layer in layers if layer.spec.group != DRAWN_GROUP)
    return own + drawing_layers(scene.drawings, own)


def _controls(index: int, count: int, scene: SnapshotRequest) -> None:
    prev, middle, following, end = st.columns([1, 10, 1, 1], vertical_alignment="center")
    prev.button("←", key="present_prev", on_click=_step, args=(-1,), shortcut="Left", disabled=index == 0,
                help="Previous scene")  # fmt: skip
    title = scene.title or f"Scene {index + 1}"
    middle.progress((index + 1) / count, text=plain(f"Scene {index + 1} of {count} · {title}"))
    following.button("→", key="present_next", on_click=_step, args=(1,), shortcut="Right",
                     disabled=index == count - 1, help="Next scene")  # fmt: skip
    end.button("End", key="present_end", on_click=_stop, shortcut="Esc", help="End the presentation")


def _scene_state(layers: LayerSet, scene: SnapshotRequest) -> MapState:
    """The map state a scene opens: its statuses (all when it names none), in the view the map opened at."""
    return map_state(layers, scene.statuses or STATUSES, session.get("opening_view"))


def _prepare(layers: LayerSet, scenes: list[tuple[int, SnapshotRequest]]) -> None:
    """Make every scene's map page and analyses before the first is shown: a scene switch then only sends them."""
    if session.get("_prepared") == [uid for uid, _ in scenes]:
        return
    with st.spinner(f"Preparing {len(scenes)} scenes…"):
        for _, scene in scenes:
            shown = _scene_layers(layers, scene)
            try:
                map_page(_scene_state(shown, scene), source(), shown)
            except CorridorAtlasError:
                continue  # the scene says why when it is shown
            analysis_call(shown, _scene_analyses(scene), source())  # its corridor and route, made now too
    session["_prepared"] = [uid for uid, _ in scenes]


def _scene_analyses(scene: SnapshotRequest) -> Analyses:
    return Analyses(scene.corridor, int(scene.corridor_km), scene.route)


def present(layers: LayerSet) -> None:
    """Show the current scene of the deck full-screen with its controls and speaker notes."""
    keep_tab_widgets(page_widget_keys())  # the sidebar and tabs are not drawn: keep what their widgets hold
    scenes = deck()
    index = max(0, min(len(scenes) - 1, int(session.get("presenting") or 0)))
    uid, scene = scenes[index]
    toggles = {layer.id: layer.spec.widget_key for layer in layers}
    if session.get("_presented") != uid:
        save_workspace(page_widget_keys())  # every widget's value: a widget drawn again shows what it held
        open_scene(scene, toggles)
        session["_presented"] = uid
    st.html(_CSS)
    _prepare(layers, scenes)
    _controls(index, len(scenes), scene)
    shown = _scene_layers(layers, scene)
    page = map_page(_scene_state(shown, scene), source(), shown)
    visible = [i for i in shown.ids if i in scene.layers or shown.get(i).spec.group == DRAWN_GROUP]
    ask = MapAsk(
        feature=scene.select,
        seq=int(session.get("select_seq") or 0),
        year=scene.year,
        lang=session.get("lang") or "en",
        theme="light",
        bounds=scene.bbox,
    )
    analysis = analysis_call(shown, _scene_analyses(scene), source())
    read_map_events(show_map(page, visible, ask, "", analysis))  # no layer drawn in full detail in a scene
    if scene.notes:
        with st.expander("Speaker notes"):
            st.markdown(plain(scene.notes))
