"""The map component: a prepared map page shown with its layers switched on or off in the page.

Light on purpose: it imports no geodata or mapping library, so a session's first run can show a map
page kept on disk (:mod:`app.opening`) before the server has loaded them. The page itself is made
in :mod:`app.mappage`.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Collection
from pathlib import Path
from typing import Any, NamedTuple

import streamlit as st
import streamlit.components.v1 as components

from geo.errors import CorridorAtlasError

MAP_KEY = "map"

#: The map frame's height before the page's stylesheet makes it fill the window (see app/css/app.css).
MAP_HEIGHT = 640
#: What the map sends back: its state (selection, year, label language: see :class:`MapAsk`), what was
#: drawn, and the view (the URL holds them). Nothing else reruns the script.
MAP_RETURNS = ("last_active_drawing", "all_drawings", "center", "zoom", "bounds")


class MapAsk(NamedTuple):
    """What the app asks of the map's page besides which layers show (``CorridorAtlas.apply``).

    ``seq`` changes only when the app chose the feature (search, a table row) or a scene: the map then
    goes to the feature, or to ``bounds`` (west, south, east, north) when given (a presented scene).
    """

    feature: str | None
    seq: int
    year: int | None
    lang: str
    theme: str
    bounds: tuple[float, float, float, float] | None = None


class MapPage(NamedTuple):
    """The map component's arguments for one :class:`MapState`, made once and shared by every session.

    ``groups`` names, for each layer id, the variable that holds its Leaflet layer group in ``script``.
    """

    script: str
    header: str
    html: str
    key: str
    css_links: tuple[str, ...]
    js_links: tuple[str, ...]
    defaults: dict[str, Any]
    groups: dict[str, str]


def page_theme() -> str:
    """The browser's theme, as the map's page takes it: ``light`` or ``dark``."""
    theme = st.context.theme.type
    return theme if theme in ("light", "dark") else "light"


# --- the component: the st_folium front end, declared here and fed one prepared page ---------------
# The map is drawn by streamlit-folium's front end (its packaged build), declared as this app's own
# component: it runs ``script`` (which defines the map as ``map_div``) in its frame, after loading
# ``js_links`` and ``css_links``, and evaluates ``layer_control`` whenever that changes.


def _front_end() -> Path:
    """streamlit-folium's packaged front end, found without importing the package (which imports folium.plugins)."""
    spec = importlib.util.find_spec("streamlit_folium")
    if spec is None or not spec.submodule_search_locations:
        raise CorridorAtlasError("streamlit-folium is not installed: the map's front end is missing")
    return Path(next(iter(spec.submodule_search_locations))) / "frontend" / "build"


_FRONT_END = _front_end()


@functools.cache
def _map_component() -> Any:
    """The map component, declared on first use.

    Streamlit registers a component with the server only when it is declared in a session's run, and
    this module may be imported first by the warm start (:mod:`app.server`).
    """
    return components.declare_component("corridor_atlas_map", path=str(_FRONT_END))


def show_map(page: MapPage, visible: Collection[str], ask: MapAsk, detail: str, analysis: str) -> dict[str, Any] | None:
    """Show a prepared map page with the ``visible`` layers on; return what the map sent back.

    A layer toggle changes only the small visibility call (the page script's ``showOnly``), so the
    map is not rebuilt: it keeps its view, and the server sends the page it already made.
    ``detail`` (see :func:`view_detail`) draws large layers in full detail for the view;
    ``analysis`` (see :func:`analysis_call`) shows the corridor buffer and route asked for (by default
    none: earlier ones are taken off).
    """
    shown = [name for lid, name in page.groups.items() if lid in visible]
    hidden = [name for lid, name in page.groups.items() if lid not in visible]
    asked = json.dumps(ask._asdict())
    control = f"CorridorAtlas.showOnly(window.map, {json.dumps(shown)}, {json.dumps(hidden)});"

    # Tuples, text, numbers and None only: for a list or dict argument Streamlit imports pandas to ask whether
    # it is a table (0.4 s in a server's first run). Until the map reports, its value is its opening bounds.
    value = _map_component()(
        script=page.script,
        header=page.header,
        html=page.html,
        key=page.key,
        height=MAP_HEIGHT,
        width=None,
        returned_objects=MAP_RETURNS,
        default=None,
        zoom=None,
        center=None,
        feature_group=None,
        return_on_hover=False,
        layer_control=f"{control} CorridorAtlas.apply(window.map, {asked}); {detail} {analysis}",
        pixelated=False,
        css_links=page.css_links,
        js_links=page.js_links,
        on_change=None,  # the value comes back as the result; a change reruns the map's fragment
        wrap_longitude=False,
    )
    return dict(page.defaults) if value is None else value
