"""Routing on the corridor network: a graph built from line layers, shortest paths between places."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from shapely.geometry import LineString

from geo.crs import GEOD, require_wgs84
from geo.errors import CorridorAtlasError

__all__ = ["Network", "Route", "RouteError", "build_network", "shortest_route"]


class RouteError(CorridorAtlasError):
    """No route can be found between the two places asked for."""


@dataclass(frozen=True)
class Network:
    """A routable graph: nodes carry ``lon``/``lat``, edges ``length_m`` and the ``line_id`` they follow."""

    graph: nx.Graph
    components: tuple[frozenset[int], ...]
    snapped: int

    @property
    def node_lonlat(self) -> np.ndarray:
        """Node coordinates as an (n, 2) array, rows in node-id order."""
        return np.array([(d["lon"], d["lat"]) for _, d in sorted(self.graph.nodes(data=True))])


@dataclass(frozen=True)
class Route:
    """A shortest path between two places along the network."""

    origin: str
    destination: str
    network_km: float
    access_km: tuple[float, float]
    line_ids: tuple[str, ...]
    geometry: LineString

    @property
    def length_km(self) -> float:
        """Total length: along the network plus the legs from each place to it."""
        return self.network_km + sum(self.access_km)


def _add_node(graph: nx.Graph, lon: float, lat: float) -> int:
    node = graph.number_of_nodes()
    graph.add_node(node, lon=float(lon), lat=float(lat))
    return node


def build_network(lines: gpd.GeoDataFrame, *, snap_m: float = 500.0) -> Network:
    """Build a graph from line features: every vertex a node, every segment an edge.

    Line ends within ``snap_m`` of another line's vertex are joined to it, so lines drawn to
    meet at a station connect even if their coordinates differ slightly.

    Parameters
    ----------
    lines
        Line features in WGS84, indexed by id.
    snap_m
        Largest gap, in metres, closed between a line's end and another line.

    Returns
    -------
    Network
        The graph, its connected components (largest first) and how many line ends were snapped.
    """
    require_wgs84(lines, "lines")
    graph = nx.Graph()
    by_coord: dict[tuple[float, float], int] = {}
    ends: list[int] = []
    for line_id, geom in lines.geometry.items():
        for part in shapely.get_parts(geom):
            coords = np.round(np.asarray(part.coords), 6)
            previous = None
            for k, (lon, lat) in enumerate(coords):
                key = (float(lon), float(lat))
                node = by_coord.get(key)
                if node is None:
                    node = by_coord[key] = _add_node(graph, lon, lat)
                if k in (0, len(coords) - 1):
                    ends.append(node)
                if previous is not None and previous != node:
                    _, _, dist = GEOD.inv(graph.nodes[previous]["lon"], graph.nodes[previous]["lat"], lon, lat)
                    graph.add_edge(previous, node, length_m=float(dist), line_id=str(line_id))
                previous = node
    snapped = _snap_ends(graph, ends, snap_m)
    components = tuple(frozenset(c) for c in sorted(nx.connected_components(graph), key=len, reverse=True))
    return Network(graph=graph, components=components, snapped=snapped)


def _snap_ends(graph: nx.Graph, ends: list[int], snap_m: float) -> int:
    lonlat = np.array([(graph.nodes[n]["lon"], graph.nodes[n]["lat"]) for n in graph.nodes])
    snapped = 0
    for node in sorted(set(ends)):
        if graph.degree(node) > 1:
            continue  # already joined to another line at a shared vertex
        lon, lat = lonlat[node]
        _, _, dist = GEOD.inv(np.full(len(lonlat), lon), np.full(len(lonlat), lat), lonlat[:, 0], lonlat[:, 1])
        dist[node] = np.inf
        for neighbour in graph.neighbors(node):
            dist[neighbour] = np.inf
        best = int(np.argmin(dist))
        if dist[best] <= snap_m and not nx.has_path(graph, node, best):
            graph.add_edge(node, best, length_m=float(dist[best]), line_id="(snapped)")
            snapped += 1
    return snapped


def _nearest_node(network: Network, lon: float, lat: float) -> tuple[int, float]:
    lonlat = network.node_lonlat
    _, _, dist = GEOD.inv(np.full(len(lonlat), lon), np.full(len(lonlat), lat), lonlat[:, 0], lonlat[:, 1])
    best = int(np.argmin(dist))
    return best, float(dist[best])


def shortest_route(
    network: Network,
    origin: tuple[str, float, float],
    destination: tuple[str, float, float],
    *,
    max_access_km: float = 30.0,
) -> Route:
    """The shortest path between two places, each joined to its nearest network node.

    Parameters
    ----------
    network
        From :func:`build_network`.
    origin, destination
        ``(name, lon, lat)`` of each place.
    max_access_km
        A place farther than this from the network cannot be routed from.

    Raises
    ------
    RouteError
        A place is too far from the network, or the two lie on unconnected parts of it.
    """
    ends = []
    for name, lon, lat in (origin, destination):
        node, dist_m = _nearest_node(network, lon, lat)
        if dist_m / 1000 > max_access_km:
            raise RouteError(f"{name} is {dist_m / 1000:.0f} km from the network (limit {max_access_km:g} km)")
        ends.append((node, dist_m / 1000))
    (start, access_o), (end, access_d) = ends
    try:
        path = nx.shortest_path(network.graph, start, end, weight="length_m")
    except nx.NetworkXNoPath:
        raise RouteError(f"{origin[0]} and {destination[0]} are on parts of the network that do not connect") from None
    edges = [network.graph.edges[a, b] for a, b in itertools.pairwise(path)]
    line_ids = tuple(dict.fromkeys(e["line_id"] for e in edges if e["line_id"] != "(snapped)"))
    coords = [(network.graph.nodes[n]["lon"], network.graph.nodes[n]["lat"]) for n in path]
    coords = [(origin[1], origin[2]), *coords, (destination[1], destination[2])]
    return Route(
        origin=origin[0],
        destination=destination[0],
        network_km=sum(e["length_m"] for e in edges) / 1000,
        access_km=(access_o, access_d),
        line_ids=line_ids,
        geometry=LineString(coords),
    )
