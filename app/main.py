"""The page: lays out the map, the sidebar and the tabs, and wires widgets to them."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app.analyses import corridor_panel, route_panel
from app.catalog import load_current_catalog, source
from app.data import basemap_page_data
from app.drawings import take_drawings
from app.failsafe import part
from app.frame import configure_page, page_frame, search_place
from app.mappage import DEFAULT_CORRIDOR_KM, Analyses, analysis_call, chosen_analyses, map_page, map_state, view_detail
from app.mapview import MapAsk, MapPage, page_theme, show_map
from app.opening import OPENED, Opening
from app.panels import filters_of, metrics, metrics_section, status_line, status_message, visible_table
from app.present import present, presenting
from app.reports import charts_panel
from app.scenes import keep_restored
from app.sidebar import (
    feature_counts,
    layer_toggles,
    search_bar,
    settle_year,
    sidebar_tools,
    year_span,
)
from app.state import (
    TAB_KEY,
    TABS,
    AppState,
    UrlState,
    keep_tab_widgets,
    read_map_events,
    session,
    timeline_year,
)
from app.text import plain
from app.uploads import current_layers
from app.workspaces import autosave, open_linked_workspace
from geo.filters import Filters
from layers.catalog import GROUPS, CatalogError
from layers.layer import LayerSet


def main() -> None:
    """Lay out the page and wire widgets to the map and tables; the map goes out first."""
    configure_page()
    try:
        load_current_catalog()
    except CatalogError as err:
        st.error(plain(f"The layer catalog cannot be used: {err}"))
        return
    UrlState.seed()
    keep_tab_widgets()
    keep_restored()
    with part("workspace"):
        open_linked_workspace()
    every = current_layers()
    settle_year(every)
    if presenting():
        with part("present"):
            present(every)
        return
    state = UrlState.current()
    layers = drawable(every, filters_of(state))
    for message in layers.errors.values():
        st.error(plain(message))
    _, base_problems = basemap_page_data(source())
    for message in base_problems:
        st.warning(plain(message))

    page_frame()
    toggles = st.sidebar.container()
    search = search_place()
    page = None
    with part("map"):
        page = map_page(map_state(layers, state.statuses, session.get("opening_view")), source(), layers)
    session[_FULL_RUN] = True
    try:
        map_area(MapArea(page, layers), toggles)
    finally:
        session[_FULL_RUN] = False
    with search, part("search"):
        search_bar(layers)
    if map_first(page):
        UrlState.write()
        return
    status = sidebar_tools(layers)
    state = UrlState.current()
    visible = layers.only(session.get(_DRAWN, ()))

    panels: tuple[Callable[[], None], ...] = (
        lambda: metrics_section(covered(layers, state), state),
        lambda: visible_table(layers, visible.ids, state),
        lambda: corridor_panel(layers),
        lambda: route_panel(layers),
        lambda: charts_panel(visible, state),
        lambda: export_tab(layers, visible.ids),
    )
    tabs = st.tabs(TABS, key=TAB_KEY, on_change="rerun")
    for name, tab, panel in zip(TABS, tabs, panels, strict=True):
        if tab.open:
            with tab, part(name):
                panel()
    with part("workspace"):
        autosave(status)
    UrlState.write()


def map_first(page: MapPage | None) -> bool:
    """Whether this run draws the map area alone, leaving the sidebar's tools and the tabs to the next run.

    So it is on a browser's first run of a session: the browser then makes the map's frame before
    the widgets and tabs around it, which it would load and lay out first (the map shows ~0.5 s
    sooner on this machine). The map reports its view once it is drawn, and that report reruns
    the app (:func:`map_area`), so the rest follows at once; any other action brings it too.
    Without a browser (AppTest) or without a map to report, the page is whole from the first run.
    """
    first = not session.get(OPENED)
    session[OPENED] = True
    session[_REST_LEFT] = first and page is not None and bool(session.get(_MAP_UP)) and bool(st.context.headers)
    return bool(session[_REST_LEFT])


def prepare_opening(every: LayerSet) -> Opening | None:
    """Make what the first run of a session opened by a plain link takes from the caches (the warm start's part).

    The map page, each layer's page data, the sidebar's counts and the Metrics tab of the opening
    state: what :func:`main` asks for then, with the same arguments, so the run finds them made.
    Returns what that run's map area shows, to be kept on disk (:mod:`app.opening`); None when it
    shows more than a map (a layer or basemap part that cannot be read, a layer drawn in full detail).
    """
    span = year_span(every)
    state = UrlState.opening(None if span is None else span[1])
    for layer in every:
        _ = layer.through(filters_of(state)).page_data
    src = source()
    page = map_page(map_state(every, state.statuses, state.view), src, every)
    feature_counts(every)
    metrics(covered(every, state), src)
    visible = tuple(layer.id for layer in in_sectors(every, state) if layer.id in state.visible)
    if every.errors or basemap_page_data(src)[1] or any(layer.detail is not None for layer in every.only(visible)):
        return None
    return Opening(
        page=page,
        visible=visible,
        ask=MapAsk(feature=state.feature or None, seq=0, year=None, lang="en", theme=""),  # the latest year: today
        analysis=analysis_call(every, Analyses(corridor=None, corridor_km=DEFAULT_CORRIDOR_KM, route=None), src),
        status=status_message(every, visible, state, None),
    )


def export_tab(layers: LayerSet, visible: tuple[str, ...]) -> None:
    """The export studio (the view on screen as a file) and the deck of scenes under it."""
    from app.deckpanel import deck_panel
    from app.studio import studio

    scene = studio(layers, visible)
    st.divider()
    deck_panel(layers, scene)


def drawable(layers: LayerSet, filters: Filters) -> LayerSet:
    """The layers whose page data (as the filters show them: what the map draws) can be made.

    Each one that cannot is named in an error instead: it leaves the map and the tabs, but an
    upload stays listed in the sidebar where it can be removed.
    """
    kept = []
    for layer in layers:
        with part(f"{'The' if layer.shared else 'Your'} layer {layer.title}"):
            _ = layer.through(filters).page_data
            kept.append(layer)
    return LayerSet(tuple(kept), layers.errors)


#: Session state: whether a full run is on (else a fragment rerun), and the layers the map last drew.
_FULL_RUN, _DRAWN = "_full_run", "_drawn_layers"
#: Session state: whether the map was shown in the last run, whether the last full run left the page's rest
#: for the next (see :func:`map_first`; whether the session has had a run: app.opening.OPENED).
_MAP_UP, _REST_LEFT = "_map_up", "_rest_left"
#: Tabs that show something of the visible layers only: a toggle while one is open reruns the page.
VISIBILITY_TABS = frozenset({"Visible features", "Charts", "Export"})


class MapArea(NamedTuple):
    """What the map area is drawn from, as the last full run made it."""

    page: MapPage | None  # None when the map could not be made (its error is shown in its place)
    layers: LayerSet


def in_sectors(layers: LayerSet, state: AppState) -> LayerSet:
    """The layers of the sectors the filter keeps (a user's layers belong to none, so they always stay)."""
    sectors = set(state.sectors)
    return layers.only(layer.id for layer in layers if layer.spec.group in sectors or layer.spec.group not in GROUPS)


def visible_layers(layers: LayerSet, state: AppState) -> tuple[str, ...]:
    """The layers switched on, but those of a sector the filter leaves out."""
    return tuple(layer.id for layer in in_sectors(layers, state) if session.get(layer.spec.widget_key))


def covered(layers: LayerSet, state: AppState) -> LayerSet:
    """What Metrics count: the layers of the sectors kept, as the status filter and the timeline show them."""
    return in_sectors(layers, state).through(filters_of(state))


def map_ask() -> MapAsk:
    """What the page is asked to show besides the layers: selection, year, label language, theme."""
    state = UrlState.current()
    return MapAsk(
        feature=state.feature or None,
        seq=int(session.get("select_seq") or 0),
        year=timeline_year(state),
        lang=session.get("lang") or "en",
        theme=page_theme(),
    )


@st.fragment
def map_area(area: MapArea, toggles: DeltaGenerator) -> None:
    """The layer toggles and the map: what a toggle, a pan, a click or the timeline changes.

    A fragment: a toggle or a map event reruns only this, with the arguments of the last full run
    (the map page does not depend on which layers are on, see :func:`show_map`). The toggles are
    drawn into the sidebar. When the open tab lists what is visible, a toggle reruns the page.
    """
    with toggles, part("toggles"):
        layer_toggles(area.layers.errors, UrlState.current().sectors)
    visible = visible_layers(area.layers, UrlState.current())
    status_line(area.layers, visible, UrlState.current())
    session[_MAP_UP] = False
    if area.page is not None:
        with part("map"):
            detail = view_detail(area.page, area.layers, visible, filters_of(UrlState.current()))
            analysis = analysis_call(area.layers, chosen_analyses(), source())
            result = show_map(area.page, visible, map_ask(), detail, analysis)
            read_map_events(result)
            take_drawings()
            session[_MAP_UP] = True
    if not session.get(_FULL_RUN) and session.get(_REST_LEFT):
        session[_REST_LEFT] = False
        st.rerun()  # the map has reported (or the user acted): the page's rest, which the first run left out
    changed = visible != session.get(_DRAWN)
    session[_DRAWN] = visible
    if not session.get(_FULL_RUN):
        UrlState.write()
        if changed and session.get(TAB_KEY) in VISIBILITY_TABS:
            st.rerun()
