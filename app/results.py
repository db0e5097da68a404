"""Results made from a run's layers (corridor, route, the rail network, metrics), cached by what they are made of.

A result's key is its name, its arguments and the layers' :attr:`~layers.layer.LayerSet.key` (each
layer's content key and roles), so results never mix two users' files and a layer marked as rail
gets a new network. Results from layers shared by every session are kept for the server; results
that take a session's own layer are kept in the session, so they go when the layer is removed or
the session ends instead of staying referenced from a server-wide cache.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

import geopandas as gpd
import pandas as pd
import streamlit as st

from app.catalog import Source
from app.data import countries
from app.state import session_results
from geo.errors import CorridorAtlasError
from geo.kinds import spot
from layers.layer import Layer, LayerSet

if TYPE_CHECKING:  # imported where used: analyses (networkx) only when asked for
    from geo.corridor import CorridorReport, LineFacts
    from geo.network import Network, Route

_T = TypeVar("_T")
#: How many of a session's newest results it keeps.
SESSION_RESULTS_KEPT = 16


@st.cache_resource(show_spinner=False, max_entries=256)
def _server_result(key: Hashable, _make: Callable[[], Any]) -> Any:
    return _make()


def result(name: str, args: tuple[Hashable, ...], layers: LayerSet, make: Callable[[], _T]) -> _T:
    """``make()``, once per name, arguments and layers: kept server-wide or in the session (see the module)."""
    key = (name, args, layers.key)
    if layers.shared:
        return _server_result(key, make)
    kept = session_results()
    if key in kept:
        kept[key] = kept.pop(key)  # the newest last
        return kept[key]
    value = make()
    kept[key] = value
    while len(kept) > SESSION_RESULTS_KEPT:
        del kept[next(iter(kept))]
    return value


# --- inputs shared by the analyses ---------------------------------------------------------------


def points(layers: LayerSet) -> gpd.GeoDataFrame:
    """Every point feature of the layers in one frame, with ``layer``, ``name`` and ``kind`` columns."""
    from geo.places import combine_points

    return result("points", (), layers, lambda: combine_points(layers.frames(), layers.ids))


def network_lines(layers: LayerSet) -> gpd.GeoDataFrame:
    """The features of the layers with the ``network`` role, in one frame (read-only once made)."""
    network = layers.with_role("network")

    def make() -> gpd.GeoDataFrame:
        frames = [layer.frame for layer in network]
        if not frames:
            raise CorridorAtlasError("no layer has the network role, so there is nothing to route on")
        return gpd.GeoDataFrame(pd.concat(frames), crs=frames[0].crs)

    return result("network_lines", (), network, make)


def rail_network(layers: LayerSet) -> Network:
    """The routable rail network: every layer with the ``network`` role (built once per such layers; read-only)."""
    from geo.network import build_network  # networkx: only for routes

    network = layers.with_role("network")
    return result("rail_network", (), network, lambda: build_network(network_lines(network)))


def corridor_lines(corridor: str, layers: LayerSet) -> gpd.GeoDataFrame:
    """The lines a corridor choice stands for: a whole line layer (``layer:<id>``) or one feature."""
    from layers.scene import corridor_lines as lines_of

    return lines_of(corridor, layers)[0]


def corridor_name(corridor: str, layers: LayerSet) -> str:
    """What a corridor choice is called: the layer's title or the feature's name."""
    from layers.scene import corridor_lines as lines_of

    return lines_of(corridor, layers)[1]


# --- analyses ------------------------------------------------------------------------------------


def corridor_analysis(layers: LayerSet, corridor: str, km: int, src: Source) -> CorridorReport:
    """Buffer, facilities inside, km per country and border crossings of a corridor (read-only).

    The km per country and the crossings are made once per corridor: another width reuses them.
    """
    from geo.corridor import corridor_report, line_facts
    from geo.places import crossing_places

    def facts() -> LineFacts:
        places = crossing_places(points(layers))
        return line_facts(corridor_lines(corridor, layers), countries(src), places=places)

    def make() -> CorridorReport:
        lines, inside = corridor_lines(corridor, layers), points(layers)
        made = result("corridor_facts", (corridor, src), layers, facts)
        return corridor_report(lines, inside, countries(src), float(km), facts=made)

    return result("corridor", (corridor, km, src), layers, make)


def route_analysis(
    layers: LayerSet, origin: str, destination: str, src: Source
) -> tuple[Route, pd.DataFrame, pd.DataFrame]:
    """Shortest rail route between two places, the borders it crosses and the places it passes (read-only)."""
    from geo.network import shortest_route  # networkx: only for routes
    from geo.places import route_summary

    def make() -> tuple[Route, pd.DataFrame, pd.DataFrame]:
        places = points(layers)
        ends = []
        for place_id in (origin, destination):
            row = places.loc[place_id]
            where = spot(row.geometry)
            ends.append((str(row["name"]), where.x, where.y))
        route = shortest_route(rail_network(layers), ends[0], ends[1])
        crossings, via = route_summary(route, places, countries(src))
        return route, crossings, via

    return result("route", (origin, destination, src), layers, make)


def find_feature(layers: LayerSet, feature_id: str) -> tuple[Layer, pd.Series] | None:
    """The layer and row of a feature id, if any layer has it."""
    for layer in layers:
        if feature_id in layer.frame.index:
            return layer, layer.frame.loc[feature_id]
    return None
