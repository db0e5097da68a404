"""Session and URL state: the one accessor, the tabs, and what the map reports back."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import streamlit as st

from app.catalog import current_catalog
from geo.schema import NAME_LANGUAGES, STATUSES
from layers.catalog import GROUPS
from layers.viewpoint import MapView

# --- session and URL state: the one accessor ----------------------------------------------------


class _Session:
    """The one way into Streamlit's session state: every module of the app reads and writes it through here."""

    def get(self, key: str, default: Any = None) -> Any:
        return st.session_state.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return st.session_state[key]

    def __setitem__(self, key: str, value: Any) -> None:
        st.session_state[key] = value

    def __contains__(self, key: str) -> bool:
        return key in st.session_state

    def setdefault(self, key: str, default: Any) -> Any:
        return st.session_state.setdefault(key, default)

    def pop(self, key: str, default: Any = None) -> Any:
        return st.session_state.pop(key, default)


#: This session's state (a widget's value is read here by the widget's key).
session = _Session()
#: Where a session keeps the results made from its own layers (see :mod:`app.results`).
_RESULTS = "upload_analyses"


def session_results() -> dict[Any, Any]:
    """The results this session made from its own layers, oldest first."""
    return session.setdefault(_RESULTS, {})


def forget_session_results() -> None:
    """Drop them (the session's layers changed: the old results only hold memory)."""
    session.pop(_RESULTS, None)


def _csv(allowed: Sequence[str]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        values = [v for v in text.split(",") if v in allowed]
        if not values:
            raise ValueError(text)
        return values

    return parse


def _whole(low: int, high: int) -> Callable[[str], int]:
    """A parser of a whole number from ``low`` to ``high`` (the same bounds as its widget)."""

    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ValueError(text)
        return value

    return parse


def _one_of(allowed: Sequence[str]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in allowed:
            raise ValueError(text)
        return text

    return parse


#: The tabs under the map. Only the open tab's panel runs (``st.tabs`` tracks the open tab).
TABS = ("Metrics", "Visible features", "Corridor", "Route", "Charts", "Export")
TAB_KEY = "tab"
#: Languages the map's labels can be shown in.
LANGUAGES = ("en", *NAME_LANGUAGES)


def _token(text: str) -> str:
    """A workspace id or link token as the store makes them (URL-safe base64), else refused."""
    if not 8 <= len(text) <= 64 or not all(c.isascii() and (c.isalnum() or c in "-_") for c in text):
        raise ValueError(text)
    return text


def _parse_view(text: str) -> MapView:
    lat, lon, zoom = (float(v) for v in text.split(","))
    if not all(math.isfinite(v) for v in (lat, lon, zoom)):
        raise ValueError(text)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 1 <= zoom <= 18):
        raise ValueError(text)
    return MapView(lat=lat, lon=lon, zoom=zoom)


#: The corridor distance a user may choose, in km (the widget's bounds; a URL outside them is ignored).
CORRIDOR_KM = (1, 500)
#: Years a URL may ask the timeline for (it is then kept within the data's years).
URL_YEARS = (1800, 2200)


class Param(NamedTuple):
    """One piece of state kept in both session state (``key``) and the URL (``url``)."""

    url: str
    key: str
    default: Any
    parse: Callable[[str], Any]
    dump: Callable[[Any], str]


PARAMS: tuple[Param, ...] = (
    Param("view", "view", None, _parse_view, lambda v: f"{v.lat:.4f},{v.lon:.4f},{v.zoom:g}"),
    Param("feature", "feature", None, str, str),
    Param("status", "f_status", list(STATUSES), _csv(STATUSES), ",".join),
    Param("sector", "f_sector", list(GROUPS), _csv(GROUPS), ",".join),
    Param("year", "f_year", None, _whole(*URL_YEARS), str),
    Param("corridor", "corridor", None, str, str),
    Param("km", "corridor_km", 50, _whole(*CORRIDOR_KM), str),
    Param("from", "route_from", None, str, str),
    Param("to", "route_to", None, str, str),
    Param("tab", "tab", "Metrics", _one_of(TABS), str),
    Param("lang", "lang", "en", _one_of(LANGUAGES), str),
    Param("ws", "ws_id", None, _token, str),
    Param("key", "ws_key", None, _token, str),
)


class AppState(NamedTuple):
    """What the URL holds: visible layers, map view, selection, filters, corridor and route."""

    visible: tuple[str, ...]
    view: MapView | None
    feature: str | None
    statuses: tuple[str, ...]
    sectors: tuple[str, ...]
    year: int | None


class UrlState:
    """Reads the URL once per session into session state, and writes session state back to the URL."""

    LAYERS = "layers"

    @staticmethod
    def seed() -> None:
        """On a session's first run, set every widget's state from the URL (or the defaults)."""
        if st.session_state.get("_seeded"):
            return
        params = st.query_params
        requested = params.get(UrlState.LAYERS)
        wanted = set(requested.split(",")) if requested is not None else None
        for spec in current_catalog().layers:
            st.session_state[spec.widget_key] = spec.visible if wanted is None else spec.id in wanted
        for param in PARAMS:
            if param.url not in params and param.key in st.session_state:
                continue  # set before the first run (a test, a link handler): the URL does not name it
            value = param.default
            if param.url in params:
                try:
                    value = param.parse(params[param.url])
                except ValueError:
                    value = param.default  # a mangled parameter is ignored, not fatal
            st.session_state[param.key] = value
        st.session_state["opening_view"] = st.session_state["view"]
        st.session_state["_seeded"] = True

    @staticmethod
    def current() -> AppState:
        """The state as the widgets and the map last left it."""
        ss = st.session_state
        visible = tuple(spec.id for spec in current_catalog().layers if ss.get(spec.widget_key))
        return AppState(
            visible=visible,
            view=ss["view"],
            feature=ss.get("feature"),
            statuses=tuple(ss["f_status"]),
            sectors=tuple(ss["f_sector"]),
            year=ss.get("f_year"),
        )

    @staticmethod
    def opening(year: int | None) -> AppState:
        """The state of a session whose URL names nothing, on its first run (no session needed: the warm start)."""
        defaults = {param.key: param.default for param in PARAMS}
        return AppState(
            visible=tuple(spec.id for spec in current_catalog().layers if spec.visible),
            view=defaults["view"],
            feature=defaults["feature"],
            statuses=tuple(defaults["f_status"]),
            sectors=tuple(defaults["f_sector"]),
            year=year,
        )

    @staticmethod
    def wanted() -> dict[str, str]:
        """The URL's parameters for session state, leaving out values equal to their defaults."""
        ss = st.session_state
        layers = ",".join(spec.id for spec in current_catalog().layers if ss.get(spec.widget_key))
        wanted = {UrlState.LAYERS: layers}
        for param in PARAMS:
            value = ss.get(param.key)
            if param.key == "f_year" and value == ss.get("_year_max"):
                continue  # the latest year is no filter at all
            if value is not None and value != param.default:
                wanted[param.url] = param.dump(value)
        return wanted

    @staticmethod
    def write() -> None:
        """Mirror session state into the URL (see :meth:`wanted`)."""
        wanted = UrlState.wanted()
        for key in [k for k in st.query_params if k not in wanted]:
            del st.query_params[key]
        for key, value in wanted.items():
            if st.query_params.get(key) != value:
                st.query_params[key] = value


def keep_view() -> None:
    """A change that rebuilds the map (filters, uploads, drawings): reopen it where the user was looking.

    Layer toggles, corridors and routes do not rebuild the map (see :func:`show_map`), so they leave
    the opening view alone.
    """
    st.session_state["opening_view"] = st.session_state["view"]


#: Widgets inside tabs whose values must outlive their tab being closed: Streamlit forgets the
#: state of a widget that a run does not draw, and the corridor and route also drive the map and URL.
TAB_WIDGETS = (
    "corridor",
    "corridor_km",
    "route_from",
    "route_to",
    "export_title",
    "export_subtitle",
    "export_notes",
    "export_format",
    "export_frame",
    "export_width",
    "export_height",
    "export_dpi",
    "export_tiles",
    "deck_aspect",
)


def keep_tab_widgets(more: Sequence[str] = ()) -> None:
    """Keep the values of widgets in closed tabs (re-setting a widget's key makes it plain session state).

    ``more``: other widgets this run will not draw (present mode draws neither sidebar nor tabs).
    """
    for key in (*TAB_WIDGETS, *more):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def toggle_keys() -> list[str]:
    """The keys of the layer toggles the session has (catalog layers, uploads, drawings), sorted."""
    return sorted(key for key in st.session_state if isinstance(key, str) and key.startswith("layer_"))


def page_widget_keys() -> tuple[str, ...]:
    """The keys of the page's widgets whose values are the workspace: URL state and the layer toggles."""
    return (*(param.key for param in PARAMS), *toggle_keys())


def sent_bounds(result: dict | None) -> tuple[float, float, float, float] | None:
    """The view's extent (west, south, east, north) in what the map sent, kept inside the map's world."""
    bounds = (result or {}).get("bounds") or {}
    south_west, north_east = bounds.get("_southWest") or {}, bounds.get("_northEast") or {}
    if south_west.get("lat") is None or north_east.get("lat") is None:
        return None
    west, east = max(-180.0, float(south_west["lng"])), min(180.0, float(north_east["lng"]))
    south, north = max(-85.0, float(south_west["lat"])), min(85.0, float(north_east["lat"]))
    return (west, south, east, north) if west < east and south < north else None


def read_map_events(result: dict | None) -> None:
    """Take the view and the clicked feature from what the map returned."""
    if not result:
        return
    bounds = sent_bounds(result)
    if bounds is not None:
        st.session_state["bounds"] = bounds
    center, zoom = result.get("center"), result.get("zoom")
    if center and zoom:
        st.session_state["view"] = MapView(lat=float(center["lat"]), lon=float(center["lng"]), zoom=float(zoom))
    message = result.get("last_active_drawing") or {}
    said = message.get("properties") or {}
    if said.get("ca") == "state" and said != st.session_state.get("_map_said"):
        st.session_state["_map_said"] = said  # the map sends its last message again with every value
        feature, year, lang = said.get("feature"), said.get("year"), said.get("lang")
        st.session_state["feature"] = feature if isinstance(feature, str) else None
        if year is None or (isinstance(year, int) and URL_YEARS[0] <= year <= URL_YEARS[1]):
            st.session_state["f_year"] = year if year is not None else st.session_state.get("_year_max")
        if lang in LANGUAGES:
            st.session_state["lang"] = lang
    drawings = result.get("all_drawings")
    if isinstance(drawings, list):
        st.session_state["_map_drawings"] = drawings


def timeline_year(state: AppState) -> int | None:
    """The year the timeline shows the network as of, or ``None`` for today (the data's latest year)."""
    return None if state.year is None or state.year == st.session_state.get("_year_max") else int(state.year)


def choose_feature(feature_id: str | None) -> None:
    """Select a feature from outside the map (search, a table row): the map goes to it and opens its details."""
    st.session_state["feature"] = feature_id
    st.session_state["select_seq"] = int(st.session_state.get("select_seq") or 0) + 1
