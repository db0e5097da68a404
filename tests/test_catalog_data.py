"""Every catalog layer loads, validates and renders; the shipped data sits where it belongs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.crs import GEOD
from geo.filters import feature_mask, year_range
from geo.io import read_basemap_layer
from geo.measure import geodesic_length_km
from geo.schema import PRECISIONS, STATUSES
from layers.catalog import CatalogError, default_catalog, load_catalog
from layers.load import load_basemap_part, load_layer
from layers.render import basemap_payloads, build_map, layer_payload

CATALOG = default_catalog()
LAYER_IDS = CATALOG.ids


@pytest.fixture(scope="module")
def frames() -> dict[str, gpd.GeoDataFrame]:
    return {spec.id: load_layer(spec) for spec in CATALOG.layers}


@pytest.fixture(scope="module")
def countries() -> gpd.GeoDataFrame:
    return read_basemap_layer(next(p for p in CATALOG.basemap.parts if p.id == "countries").path)


@pytest.mark.parametrize("layer_id", LAYER_IDS)
def test_catalog_layer__loads_validates_and_renders(layer_id):
    spec = CATALOG.get(layer_id)
    gdf = load_layer(spec)
    assert len(gdf) > 0
    html = (
        build_map([(spec, layer_payload(spec, gdf))], basemap=CATALOG.basemap, basemap_parts={}).map.get_root().render()
    )
    assert spec.style.colour in html
    assert spec.title in html


@pytest.mark.parametrize("part", CATALOG.basemap.parts, ids=lambda p: p.id)
def test_basemap_part__loads_in_wgs84(part):
    gdf = load_basemap_part(part)
    assert len(gdf) > 0 and gdf.crs.to_epsg() == 4326
    data = json.loads(basemap_payloads(CATALOG.basemap, {part.id: gdf})[part.id])
    assert len(data["ids"]) == len(gdf) and data["geometry"]["type"] in {
        "Polygon",
        "MultiPolygon",
        "LineString",
        "MultiLineString",
        "GeoJSON",
        "Point",  # label parts: names placed by the page
    }
    if part.labels:
        assert data["label"] and all(isinstance(name, str) and name for name in data["label"])


def test_catalog__groups_and_required_layers():
    assert {
        "oil_pipelines",
        "gas_pipelines",
        "rail_corridors",
        "khorgos",
        "lianyungang",
        "almaty_plant",
        "cities",
    } <= set(LAYER_IDS)
    assert {spec.group for spec in CATALOG.layers} == {"Energy", "Logistics", "Industry", "Context"}


def test_feature_ids__unique_across_layers(frames):
    ids = [fid for gdf in frames.values() for fid in gdf.index]
    assert len(ids) == len(set(ids))


def test_catalog__refuses_paths_outside_data(tmp_path):
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        '[[layer]]\nid="x"\ntitle="X"\ngroup="Energy"\nfile="../../etc/passwd"\ngeometry="line"\nlegend="X"\nstyle={colour="#000000"}\n'
    )
    with pytest.raises(CatalogError, match="outside data"):
        load_catalog(catalog, data_dir=tmp_path / "data")


def test_catalog__names_the_bad_entry(tmp_path):
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        '[[layer]]\nid="x"\ntitle="X"\ngroup="Weather"\nfile="x.geojson"\ngeometry="line"\nlegend="X"\nstyle={}\n'
    )
    with pytest.raises(CatalogError, match=r"catalog.toml: line 1: layer #1: group 'Weather'"):
        load_catalog(catalog, data_dir=tmp_path)


def test_catalog__missing_or_unreadable_file_is_a_catalog_error(tmp_path):
    with pytest.raises(CatalogError, match=r"missing\.toml: the catalog file cannot be read \(No such file"):
        load_catalog(tmp_path / "missing.toml", data_dir=tmp_path)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CatalogError, match=r"binary\.toml: the catalog file cannot be read"):
        load_catalog(binary, data_dir=tmp_path)


# --- the data itself -----------------------------------------------------------------------------


def _max_segment_km(geom) -> float:
    worst = 0.0
    for part in getattr(geom, "geoms", [geom]):
        xy = np.asarray(part.coords)
        _, _, dist = GEOD.inv(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])
        worst = max(worst, float(np.max(dist)) / 1000)
    return worst


@pytest.mark.parametrize("layer_id", ["oil_pipelines", "gas_pipelines", "rail_corridors"])
def test_lines__follow_their_route_with_dense_vertices(frames, layer_id):
    gdf = frames[layer_id]
    for fid, geom in gdf.geometry.items():
        if _max_segment_km(geom) > 45:
            assert gdf.loc[fid, "location_precision"] == "schematic", f"{fid} has long straight segments"


def _country_of(countries: gpd.GeoDataFrame, lon: float, lat: float) -> str | None:
    hits = countries[countries.contains(shapely.Point(lon, lat))]
    return None if hits.empty else hits["sovereign"].iloc[0]


@pytest.mark.parametrize(
    ("layer_id", "feature_id", "country"),
    [
        ("cities", "city-almaty", "Kazakhstan"),
        ("cities", "city-urumqi", "China"),
        ("cities", "city-lianyungang", "China"),
        ("khorgos", "khorgos-gateway", "Kazakhstan"),
        ("almaty_plant", "almaty-pipe-plant", "Kazakhstan"),
        ("lianyungang", "lianyungang-kz-terminal", "China"),
    ],
)
def test_facilities__lie_in_the_right_country(frames, countries, layer_id, feature_id, country):
    geom = frames[layer_id].loc[feature_id].geometry
    assert _country_of(countries, geom.x, geom.y) == country


def test_khorgos_features__sit_at_the_border(frames):
    boundaries = read_basemap_layer(next(p for p in CATALOG.basemap.parts if p.id == "boundaries").path)
    kz_cn = boundaries[boundaries.intersects(shapely.box(79, 43, 82, 46))].union_all()
    for fid, geom in frames["khorgos"].geometry.items():
        nearest = shapely.ops.nearest_points(geom, kz_cn)[1]
        _, _, d = GEOD.inv(geom.x, geom.y, nearest.x, nearest.y)
        assert d < 15_000, f"{fid} is {d / 1000:.1f} km from the Kazakhstan–China border"


def test_lianyungang_terminal__is_on_the_coast(frames):
    coast = read_basemap_layer(next(p for p in CATALOG.basemap.parts if p.id == "coastline").path)
    geom = frames["lianyungang"].geometry.iloc[0]
    near = coast[coast.intersects(geom.buffer(1))].union_all()
    nearest = shapely.ops.nearest_points(geom, near)[1]
    _, _, d = GEOD.inv(geom.x, geom.y, nearest.x, nearest.y)
    assert d < 10_000


@pytest.mark.parametrize(
    ("layer_id", "feature_id", "tolerance"),
    [
        ("oil_pipelines", "oil-atasu-alashankou", 0.03),
        ("gas_pipelines", "gas-cagp-line-a", 0.03),
        ("rail_corridors", "rail-land-bridge-jinghe-urumqi", 0.05),
    ],
)
def test_traced_routes__match_published_lengths(frames, layer_id, feature_id, tolerance):
    gdf = frames[layer_id].loc[[feature_id]]
    measured = geodesic_length_km(gdf).iloc[0]
    assert measured == pytest.approx(gdf["length_km_reported"].iloc[0], rel=tolerance)


#: Lines that must form one network with the Khorgos line: the 2015 corridor and the lines built onto it since.
CORRIDOR_RAIL = {
    "rail-aktogay-dostyk",
    "rail-dostyk-alashankou",
    "rail-alashankou-jinghe",
    "rail-zhetygen-altynkol",
    "rail-altynkol-khorgos",
    "rail-khorgos-jinghe",
    "rail-land-bridge-jinghe-urumqi",
    "rail-land-bridge-urumqi-lanzhou",
    "rail-land-bridge-lanzhou-lianyungang",
    "rail-almaty-zhetygen",
    "rail-aktogay-zhetygen",
    "rail-dostyk-moyinty-second-track",
    "rail-moyinty-kyzylzhar",
}


def test_rail_network__corridor_lines_meet_end_to_end(frames):
    import networkx as nx

    graph = nx.Graph()
    for fid, geom in frames["rail_corridors"].geometry.items():
        start, end = geom.coords[0], geom.coords[-1]
        graph.add_edge(tuple(np.round(start, 5)), tuple(np.round(end, 5)), id=fid)
    khorgos = next(
        c
        for c in nx.connected_components(graph)
        if any(d["id"] == "rail-khorgos-jinghe" for _, _, d in graph.subgraph(c).edges(data=True))
    )
    joined = {d["id"] for _, _, d in graph.subgraph(khorgos).edges(data=True)}
    assert joined >= CORRIDOR_RAIL
    # Lines apart from it (Bakhty–Ayagoz, Zhezkazgan–Beineu …) join railways the atlas does not draw, and say where.
    for fid in set(frames["rail_corridors"].index) - joined:
        assert frames["rail_corridors"].loc[fid, "location_precision"] == "schematic", fid


def test_every_data_file_is_declared_in_the_catalog():
    data_dir = Path(CATALOG.layers[0].path).parent
    declared = {spec.file for spec in CATALOG.layers}
    assert {p.name for p in data_dir.glob("*.geojson")} == declared


_MIRROR_WORDS = re.compile(r"\b(copy|mirror|reposted|via|aggregator)\b", re.IGNORECASE)


def test_every_feature__has_sources_status_precision_and_original_publishers(frames):
    """Each feature is cited, dated by status and honest about precision; a mirror is never shown as publisher."""
    for layer_id, gdf in frames.items():
        for fid, row in gdf.iterrows():
            assert row["status"] in STATUSES and row["location_precision"] in PRECISIONS, (layer_id, fid)
            assert row["sources"], (layer_id, fid)
            for source in row["sources"]:
                assert source["title"], (layer_id, fid)
                publisher = source.get("publisher") or ""
                assert not _MIRROR_WORDS.search(publisher), f"{fid}: put {publisher!r}'s copy in retrieved_via"


def test_timeline__reaches_the_planned_lines_and_shows_2025_as_it_stood(frames):
    rail = frames["rail_corridors"]
    assert year_range(list(frames.values()))[1] >= 2027
    in_2025 = set(rail.index[feature_mask(rail, year=2025)])
    assert "rail-dostyk-moyinty-second-track" in in_2025  # opened 30 September 2025
    assert "rail-bakhty-ayagoz" not in in_2025  # due 2027
