"""Roles instead of layer ids: the catalog says which layers are routable and which count as facilities."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.results import network_lines, rail_network
from geo.network import shortest_route
from layers.catalog import CatalogError, load_catalog
from layers.load import catalog_layers
from tests.conftest import feature, line, point

LAYER = """
[[layer]]
id = "{id}"
title = "{id}"
group = "Logistics"
file = "{id}.geojson"
geometry = "{geometry}"
legend = "{id}"
roles = {roles}
style = {{ colour = "#000000" }}
"""


def _catalog(tmp_path: Path, *layers: tuple[str, str, str]) -> Path:
    path = tmp_path / "catalog.toml"
    path.write_text("".join(LAYER.format(id=i, geometry=g, roles=r) for i, g, r in layers), encoding="utf-8")
    return path


def test_a_second_rail_layer_with_the_network_role_is_routable(tmp_path, write_layer):
    write_layer([feature("west", line((0, 0), (1, 0)), kind="rail line")], name="old.geojson")
    write_layer([feature("east", line((1, 0), (2, 0)), kind="rail line")], name="new.geojson")
    write_layer([feature("road", line((0, 0), (2, 0)), kind="road")], name="road.geojson")
    cat = _catalog(tmp_path, ("old", "line", '["network"]'), ("new", "line", '["network"]'), ("road", "line", "[]"))
    layers = catalog_layers(load_catalog(cat, data_dir=tmp_path))
    network = rail_network(layers)
    route = shortest_route(network, ("A", 0.0, 0.0), ("B", 2.0, 0.0))
    assert route.line_ids == ("west", "east")  # the new layer routes; the road, without the role, does not
    assert set(network_lines(layers).index) == {"west", "east"}


@pytest.mark.parametrize(
    ("geometry", "roles", "message"),
    [
        ("point", '["network"]', "only a line layer"),
        ("line", '["rail"]', "roles must be a list of"),
        ("line", '"network"', "roles must be a list of"),
    ],
)
def test_bad_roles_are_refused_naming_the_layer(tmp_path, geometry, roles, message):
    with pytest.raises(CatalogError, match="layer #1") as err:
        load_catalog(_catalog(tmp_path, ("x", geometry, roles)), data_dir=tmp_path)
    assert message in str(err.value)


def test_project_catalog__facility_layers_are_point_layers_and_rail_is_the_network():
    from layers.catalog import default_catalog

    cat = default_catalog()
    assert [spec.id for spec in cat.with_role("network")] == ["rail_corridors"]
    assert [spec.id for spec in cat.with_role("pipeline")] == ["oil_pipelines", "gas_pipelines"]
    assert [part.id for part in cat.basemap.parts if part.geometry == "polygon"] == [
        "world",
        "sea",
        "countries",
        "lakes",
    ]
    assert cat.basemap.with_role("countries").id == "countries"
    facilities = cat.with_role("facility")
    assert {"khorgos", "lianyungang", "almaty_plant", "crossings", "ports", "projects"} <= {s.id for s in facilities}
    assert all(spec.geometry == "point" for spec in facilities)


def test_no_network_layer_is_a_clear_error(tmp_path, write_layer):
    from geo.errors import CorridorAtlasError

    write_layer([feature("p", point(0, 0))], name="pts.geojson")
    cat = _catalog(tmp_path, ("pts", "point", '["facility"]'))
    with pytest.raises(CorridorAtlasError, match="no layer has the network role"):
        network_lines(catalog_layers(load_catalog(cat, data_dir=tmp_path)))
