"""What users draw on the map: kept in the session, named, measured, listed, downloadable, and layers like any other."""

from __future__ import annotations

import json

import geopandas as gpd
import streamlit as st

from app.catalog import current_catalog
from app.state import forget_session_results, keep_view, session
from app.text import plain
from geo.kinds import kind_of
from layers.drawings import DRAWN_KINDS, Drawing, drawing_from_geojson, drawings_geojson, drawn_frame, drawn_layers
from layers.layer import LayerSet

#: Session state: the drawings ``{id: Drawing}``, the geometries already taken from the map, a counter, and
#: the drawings as measured features and layers (made again only when the drawings change).
_DRAWINGS, _SEEN, _COUNT, _MADE = "drawings", "_drawings_seen", "_drawings_count", "_drawings_made"


def drawings() -> dict[str, Drawing]:
    """The drawings of the session, oldest first."""
    return session.setdefault(_DRAWINGS, {})


def _made() -> tuple[gpd.GeoDataFrame, LayerSet]:
    """The drawings measured (one frame) and as layers (one per kind), kept until the drawings change."""
    drawn = tuple(drawings().values())
    made = session.get(_MADE)
    if made is None or made[0] != drawn:
        frame = drawn_frame(drawn)
        made = session[_MADE] = (drawn, frame, LayerSet(tuple(drawn_layers(frame, current_catalog().colours))))
    return made[1], made[2]


def replace_drawings(made: list[Drawing]) -> None:
    """Make these the session's drawings (a saved workspace opened)."""
    session[_DRAWINGS] = {drawing.id: drawing for drawing in made}
    numbers = [int(d.id.split("-")[-1]) for d in made if d.id.split("-")[-1].isdigit()]
    session[_COUNT] = max([int(session.get(_COUNT) or 0), *numbers])
    forget_session_results()
    keep_view()


def drawings_frame() -> gpd.GeoDataFrame:
    """The session's drawings measured, one feature each (see :func:`layers.drawings.drawn_frame`)."""
    return _made()[0]


def drawing_layers() -> LayerSet:
    """The drawings as layers (one per kind), in colours no catalog layer uses."""
    return _made()[1] if drawings() else LayerSet(())


def take_drawings() -> None:
    """Keep what was newly drawn on the map (the map sends every drawing it holds); a new one rebuilds the page.

    A drawing is taken once, by its geometry: the map rebuilt with it as a layer sends an empty list,
    which removes nothing (drawings are removed in the sidebar).
    """
    seen: set[str] = session.setdefault(_SEEN, set())
    added = False
    for feature in session.get("_map_drawings") or []:
        geometry = drawing_from_geojson(feature)
        if geometry is None:
            continue
        key = json.dumps(feature.get("geometry"), sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        count = session[_COUNT] = int(session.get(_COUNT) or 0) + 1
        drawing_id = f"drawn-{count}"
        drawings()[drawing_id] = Drawing(drawing_id, f"{DRAWN_KINDS[kind_of(geometry)][2]} {count}", geometry)
        added = True
    if added:
        forget_session_results()
        keep_view()
        st.rerun()


def _rename(drawing_id: str) -> None:
    name = str(session.get(f"drawn_name_{drawing_id}") or "").strip()
    old = drawings().get(drawing_id)
    if old is not None and name:
        drawings()[drawing_id] = old._replace(name=name[:120])
        forget_session_results()
        keep_view()


def _remove(drawing_id: str) -> None:
    drawings().pop(drawing_id, None)
    if session.get("corridor") == drawing_id:
        session["corridor"] = None
    forget_session_results()
    keep_view()


def drawings_section() -> None:
    """Each drawing with its name (editable), its geodesic length or area, and ✕; all of them as GeoJSON."""
    st.subheader("Your drawings")
    if not drawings():
        st.caption(
            "Draw a line, an area or a point with the tools on the map's left. A line is a proposed "
            "alignment: pick it in the Corridor tab for its report."
        )
        return
    frame, _ = _made()
    for drawing_id, drawing in list(drawings().items()):
        name, remove = st.columns([5, 1], vertical_alignment="bottom")
        session.setdefault(f"drawn_name_{drawing_id}", drawing.name)
        name.text_input("Name", key=f"drawn_name_{drawing_id}", on_change=_rename, args=(drawing_id,))
        remove.button("✕", key=f"drawn_remove_{drawing_id}", on_click=_remove, args=(drawing_id,), help="Remove")
        row = frame.loc[drawing_id]
        if drawing.kind == "line":
            st.caption(plain(f"{row['measured_km']:,.1f} km along the line (geodesic, WGS84)"))
        elif drawing.kind == "polygon":
            st.caption(plain(f"{row['area_km2']:,.1f} km² (geodesic, WGS84)"))
        else:
            st.caption(plain(f"{drawing.geometry.y:.5f}° N, {drawing.geometry.x:.5f}° E"))
    st.download_button(
        "Download drawings (GeoJSON)",
        drawings_geojson(frame),
        file_name="corridor-atlas-drawings.geojson",
        mime="application/geo+json",
        on_click="ignore",
    )
