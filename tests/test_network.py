"""Routing: a toy network with a known shortest path, snapping, failures, and the real corridor."""

from __future__ import annotations

import itertools

import geopandas as gpd
import pytest
from shapely.geometry import LineString

from geo.crs import GEOD
from geo.network import RouteError, build_network, shortest_route
from layers.catalog import default_catalog
from layers.load import load_layer


def _lines(**geoms: LineString) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=list(geoms.values()), index=list(geoms), crs=4326)


def _km(*coords: tuple[float, float]) -> float:
    return sum(GEOD.inv(a[0], a[1], b[0], b[1])[2] for a, b in itertools.pairwise(coords)) / 1000


@pytest.fixture
def toy() -> gpd.GeoDataFrame:
    """Two ways from A(0,0) to C(2,0): straight through B(1,0), or a detour north through D(1,1)."""
    return _lines(
        ab=LineString([(0, 0), (1, 0)]),
        bc=LineString([(1, 0), (2, 0)]),
        ad=LineString([(0, 0), (1, 1)]),
        dc=LineString([(1, 1), (2, 0)]),
    )


def test_shortest_route__takes_the_known_shortest_path(toy):
    network = build_network(toy)
    assert len(network.components) == 1
    route = shortest_route(network, ("A", 0.0, 0.0), ("C", 2.0, 0.0))
    assert route.line_ids == ("ab", "bc")
    assert route.network_km == pytest.approx(_km((0, 0), (1, 0), (2, 0)), rel=1e-9)
    assert route.access_km == (0.0, 0.0)
    assert list(route.geometry.coords)[1:-1] == [(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)]


def test_shortest_route__detours_when_the_direct_line_is_missing(toy):
    route = shortest_route(build_network(toy.drop(index="bc")), ("A", 0.0, 0.0), ("C", 2.0, 0.0))
    assert route.line_ids == ("ad", "dc")
    assert route.network_km == pytest.approx(_km((0, 0), (1, 1), (2, 0)), rel=1e-9)


def test_shortest_route__joins_places_off_the_network_with_an_access_leg(toy):
    route = shortest_route(build_network(toy), ("near A", 0.0, -0.1), ("C", 2.0, 0.0))
    assert route.access_km[0] == pytest.approx(11.06, abs=0.01)
    assert route.length_km == pytest.approx(route.network_km + 11.06, abs=0.01)


def test_build_network__snaps_close_line_ends_and_reports_components():
    close = _lines(a=LineString([(0, 0), (1, 0)]), b=LineString([(1.002, 0), (2, 0)]))  # ~220 m gap
    far = _lines(a=LineString([(0, 0), (1, 0)]), b=LineString([(1.05, 0), (2, 0)]))  # ~5.6 km gap
    assert len(build_network(close).components) == 1 and build_network(close).snapped == 1
    network = build_network(far)
    assert len(network.components) == 2 and network.snapped == 0
    with pytest.raises(RouteError, match="do not connect"):
        shortest_route(network, ("West", 0.0, 0.0), ("East", 2.0, 0.0))


def test_shortest_route__refuses_a_place_far_from_the_network(toy):
    with pytest.raises(RouteError, match=r"Faraway is \d+ km from the network"):
        shortest_route(build_network(toy), ("Faraway", 10.0, 10.0), ("C", 2.0, 0.0))


def test_real_network__khorgos_gateway_routes_to_lianyungang_over_the_land_bridge():
    catalog = default_catalog()
    rail = load_layer(catalog.get("rail_corridors"))
    network = build_network(rail)
    assert len(network.components[0]) > sum(len(c) for c in network.components[1:])  # the corridor is one piece
    gateway = load_layer(catalog.get("khorgos")).loc["khorgos-gateway"].geometry
    terminal = load_layer(catalog.get("lianyungang")).geometry.iloc[0]
    route = shortest_route(network, ("Khorgos Gateway", gateway.x, gateway.y), ("Lianyungang", terminal.x, terminal.y))
    assert route.line_ids[0] == "rail-altynkol-khorgos"
    assert route.line_ids[-1] == "rail-land-bridge-lanzhou-lianyungang"
    published = rail.loc[list(route.line_ids[1:]), "length_km_reported"].sum()  # Khorgos→Lianyungang lines
    assert route.network_km == pytest.approx(published, rel=0.10)
    assert max(route.access_km) < 5
