"""Traced corridor lines: lengths against published figures, provenance, rebuild from data/sources, routing."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from geo.measure import geodesic_length_km
from geo.network import build_network, shortest_route
from layers.catalog import default_catalog
from layers.load import load_layer

ROOT = Path(__file__).resolve().parent.parent
CATALOG = default_catalog()


def _build_lines():
    spec = importlib.util.spec_from_file_location("build_lines", ROOT / "scripts" / "build_lines.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_lines", module)
    spec.loader.exec_module(module)
    return module


BUILD = _build_lines()
TRACED = {t.feature_id: t.layer.removesuffix(".geojson") for t in BUILD.TRACES}


@pytest.fixture(scope="module")
def frames():
    return {layer: load_layer(CATALOG.get(layer)) for layer in set(TRACED.values())}


@pytest.mark.parametrize("feature_id", sorted(TRACED))
def test_traced_line__within_5_percent_of_its_published_length(frames, feature_id):
    gdf = frames[TRACED[feature_id]].loc[[feature_id]]
    published = gdf["length_km_reported"].iloc[0]
    if published is None or published != published:  # no published figure (Alashankou–Jinghe)
        pytest.skip(f"{feature_id} has no published length")
    assert geodesic_length_km(gdf).iloc[0] == pytest.approx(published, rel=0.05)


@pytest.mark.parametrize("feature_id", sorted(TRACED))
def test_traced_line__records_its_geometry_source_and_bridged_km(frames, feature_id):
    row = frames[TRACED[feature_id]].loc[feature_id]
    assert "data/sources/" in row["geometry_source"]
    assert (
        0
        <= float(row["bridged_km"])
        < 0.05 * float(geodesic_length_km(frames[TRACED[feature_id]].loc[[feature_id]]).iloc[0])
    )
    assert row["location_precision"] in {"approximate", "schematic"}
    publishers = " ".join(s["publisher"] or "" for s in row["sources"])
    assert "OpenStreetMap contributors" in publishers or "Global Energy Monitor" in publishers


def test_longhai__description_explains_the_gap_to_its_published_length(frames):
    description = frames["rail_corridors"].loc["rail-land-bridge-lanzhou-lianyungang", "description"]
    assert "1,700 km" in description and "chainage" in description


def test_build_lines__rebuilds_the_committed_geometries_from_data_sources(tmp_path):
    written = BUILD.build(tmp_path)
    for name, path in written.items():
        rebuilt = {f["properties"]["id"]: f for f in json.loads(path.read_text(encoding="utf-8"))["features"]}
        committed = {
            f["properties"]["id"]: f for f in json.loads((ROOT / "data" / name).read_text(encoding="utf-8"))["features"]
        }
        assert rebuilt.keys() == committed.keys()
        for fid, feature in committed.items():
            assert rebuilt[fid]["geometry"] == feature["geometry"], fid
            assert rebuilt[fid]["properties"] == feature["properties"], fid


def test_extracts__carry_their_origin_and_licence():
    for source in BUILD.SOURCES.values():
        doc = json.loads(source.extract.read_text(encoding="utf-8"))
        assert doc["source"]["commit"] and doc["source"]["licence"] and doc["features"]
        assert (source.extract.parent / "README.md").read_text(encoding="utf-8").count(source.commit) >= 1


def test_rail_network__routes_khorgos_gateway_to_lianyungang_within_5_percent_of_published():
    rail = load_layer(CATALOG.get("rail_corridors"))
    network = build_network(rail)
    # the corridor is one component; lines joining railways the atlas does not draw stand apart (schematic)
    assert len(network.components[0]) > sum(len(c) for c in network.components[1:])
    gateway = load_layer(CATALOG.get("khorgos")).loc["khorgos-gateway"].geometry
    terminal = load_layer(CATALOG.get("lianyungang")).geometry.iloc[0]
    route = shortest_route(network, ("Khorgos Gateway", gateway.x, gateway.y), ("Lianyungang", terminal.x, terminal.y))
    assert route.line_ids == (
        "rail-altynkol-khorgos",
        "rail-khorgos-jinghe",
        "rail-land-bridge-jinghe-urumqi",
        "rail-land-bridge-urumqi-lanzhou",
        "rail-land-bridge-lanzhou-lianyungang",
    )
    published = rail.loc[list(route.line_ids[1:]), "length_km_reported"].sum()  # 4,330.5 km
    assert route.network_km == pytest.approx(published, rel=0.05)
    assert max(route.access_km) < 5
