"""One kind of layer: a catalog layer and an upload go through the same functions, consumer by consumer."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.catalog import source
from app.panels import features_shown, metrics
from app.results import find_feature, points, rail_network, route_analysis
from geo.filters import Filters
from geo.ingest import ingest
from geo.network import shortest_route
from layers.catalog import load_catalog
from layers.layer import Layer, LayerSet
from layers.load import catalog_layers
from layers.render import build_map
from layers.snapshot import SnapshotData, SnapshotRequest, make_snapshot
from layers.uploads import UPLOAD_COLOURS, upload_layer
from tests.conftest import feature, line, point
from tests.test_upload_budget import FakeUpload, _session_script

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
ORIGINS = ("catalog", "upload")

DEPOTS = [
    feature("depot-a", point(80.0, 44.0), name="Depot A", kind="depot"),
    feature("depot-b", point(80.5, 44.2), name="Depot B", kind="depot", status="planned", year=2030),
]
SPUR = [feature("spur-1", line((80.0, 44.0), (80.5, 44.2), (81.0, 44.3)), name="Spur", kind="rail line")]

CATALOG_ENTRY = """
[[layer]]
id = "{id}"
title = "{title}"
group = "Logistics"
file = "{file}"
geometry = "{geometry}"
legend = "{title}"
tooltip = ["name"]
popup = ["name", "status"]
roles = {roles}
style = {{ colour = "#000000", radius = 5 }}
"""


def make_layer(origin: str, tmp_path: Path, features: list[dict], geometry: str, roles: tuple[str, ...] = ()) -> Layer:
    """The same features as a catalog layer or as an upload (ingested as the app takes a file)."""
    name = f"{features[0]['properties']['id']}.geojson"
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    if origin == "catalog":
        toml = tmp_path / f"{name}.toml"
        layer_id = f"own_{path.stem}"
        entry = CATALOG_ENTRY.format(
            id=layer_id, title=name, file=name, geometry=geometry, roles=json.dumps(list(roles))
        )
        toml.write_text(entry, encoding="utf-8")
        return catalog_layers(load_catalog(toml, data_dir=tmp_path)).get(layer_id)
    return upload_layer(f"up_{path.stem}", name, ingest(name, path.read_bytes()), 0).declared(roles=roles)


@pytest.fixture(params=ORIGINS)
def depots(request, tmp_path) -> Layer:
    return make_layer(request.param, tmp_path, DEPOTS, "point", roles=("facility",))


def test_page_data__names_each_feature_whatever_the_origin(depots):
    data = json.loads(depots.page_data)
    assert data["ids"] == ["depot-a", "depot-b"]
    tip = data["tooltip"][0]
    assert data["values"][tip] == ["Depot A", "Depot B"]


def test_map__draws_the_layer_in_its_own_group_with_a_legend_entry(depots):
    built = build_map([(depots.spec, depots.page_data)], basemap=_no_basemap(), basemap_parts={})
    assert set(built.groups) == {depots.id}
    html = built.map.get_root().render()
    assert built.groups[depots.id] in html and json.dumps(depots.spec.legend) in html


def test_filters__hide_what_the_status_and_year_leave_out(depots):
    assert list(depots.through(Filters(statuses=("operating",))).frame.index) == ["depot-a"]
    assert list(depots.through(Filters(year=2026)).frame.index) == ["depot-a"]
    assert depots.through(Filters()) is depots  # nothing filtered: the same layer, its page data reused


def test_details__find_the_feature_and_its_layer(depots):
    found = find_feature(LayerSet((depots,)), "depot-b")
    assert found is not None and found[0] is depots and found[1]["name"] == "Depot B"


def test_tables__list_each_feature_under_the_layer_title(depots):
    table = features_shown(LayerSet((depots,)))
    assert list(table["name"]) == ["Depot A", "Depot B"] and set(table["layer"]) == {depots.title}


def test_metrics__count_a_layer_with_the_facility_role(depots):
    assert metrics(LayerSet((depots,)), source()).facilities == 2
    assert metrics(LayerSet((depots.declared(roles=()),)), source()).facilities == 0


def test_analyses__take_its_points_as_places(depots):
    places = points(LayerSet((depots,)))
    assert list(places.index) == ["depot-a", "depot-b"] and set(places["layer"]) == {depots.id}


@pytest.mark.parametrize("origin", ORIGINS)
def test_a_line_layer_with_the_network_role_is_routable(origin, tmp_path, depots):
    spur = make_layer(origin, tmp_path, SPUR, "line")
    with pytest.raises(Exception, match="network role"):
        rail_network(LayerSet((spur, depots)))  # not marked: nothing to route on
    layers = LayerSet((spur.declared(roles=("network",)), depots))
    route = shortest_route(rail_network(layers), ("A", 80.0, 44.0), ("B", 81.0, 44.3))
    assert route.line_ids == ("spur-1",) and 60 < route.length_km < 120  # two legs of about 45 km
    routed, _, _ = route_analysis(layers, "depot-a", "depot-b", source())
    assert routed.line_ids == ("spur-1",)


@pytest.mark.parametrize("fmt", ["png", "html"])
def test_export__draws_the_layer_with_its_legend(depots, fmt):
    data = SnapshotData(LayerSet((depots,)), _no_basemap(), {})
    snapshot = make_snapshot(SnapshotRequest(layers=(depots.id,), format=fmt, fit=(depots.id,)), data)
    assert depots.spec.legend in snapshot.legend
    if fmt == "html":
        assert b"Depot B" in snapshot.content


def _no_basemap():
    from layers.catalog import Basemap

    return Basemap(title="Offline basemap", background="#DDDDDD", attribution="", parts=())


# --- uploads in the app: colours kept, marked as rail -----------------------------------------------


def _depot_file(n: int) -> bytes:
    features = [feature(f"yard-{n}", point(78.0 + n * 0.3, 44.0), name=f"Yard {n}")]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def test_removing_an_upload_never_restyles_another():
    at = AppTest.from_function(_session_script, default_timeout=60)
    at.session_state["view"] = None
    at.session_state["uploader"] = [FakeUpload(f"f{n}", f"yards{n}.geojson", _depot_file(n)) for n in range(3)]
    at.run()
    before = {uid: layer.spec.style for uid, layer in at.session_state["uploads"].items()}
    assert [style.fill_colour for style in before.values()] == list(UPLOAD_COLOURS[:3])
    first = next(iter(before))
    at.session_state["remove"] = first
    at.run()
    after = {uid: layer.spec.style for uid, layer in at.session_state["uploads"].items()}
    assert first not in after and after == {uid: style for uid, style in before.items() if uid != first}
    at.session_state["uploader"] = [FakeUpload("f9", "yards9.geojson", _depot_file(9))]
    at.run()
    newest = list(at.session_state["uploads"].values())[-1]
    assert newest.spec.style.fill_colour == UPLOAD_COLOURS[3]  # a new colour, not the removed layer's again


def test_app__an_uploaded_line_marked_as_rail_joins_the_route_network():
    spur = [feature("spur-x", line((76.9, 43.3), (77.5, 43.6), (78.2, 44.0)), name="Private spur", kind="rail")]
    layer = ingest("spur.geojson", json.dumps({"type": "FeatureCollection", "features": spur}).encode())
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["tab"] = "Route"
    at.session_state["uploads"] = {"up_spur": upload_layer("up_spur", "spur.geojson", layer, 0)}
    at.session_state["layer_up_spur"] = True
    at.run()
    assert not at.exception

    def nodes() -> int:
        caption = next(c.value for c in at.caption if c.value.startswith("Rail network:"))
        return int(re.search(r"([\d,]+) nodes", caption).group(1).replace(",", ""))

    before = nodes()
    at.checkbox(key="rail_up_spur").check().run()
    assert not at.exception
    assert at.session_state["uploads"]["up_spur"].spec.roles == ("network",)
    assert nodes() > before  # the spur's stations are in the network now
    at.checkbox(key="rail_up_spur").uncheck().run()
    assert nodes() == before
