"""The basemap's borders are OpenStreetMap's: places on the Kazakhstan–China frontier lie on their real side."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geo.crs import GEOD
from geo.io import read_basemap_layer
from geo.measure import geodesic_length_km, length_by_country_km
from geo.summary import km_by_country
from layers.catalog import default_catalog
from layers.load import load_layer

CATALOG = default_catalog()


def _part(part_id: str) -> gpd.GeoDataFrame:
    return read_basemap_layer(next(p for p in CATALOG.basemap.parts if p.id == part_id).path)


@pytest.fixture(scope="module")
def countries() -> gpd.GeoDataFrame:
    return _part("countries")


@pytest.fixture(scope="module")
def kz_cn_line() -> gpd.GeoDataFrame:
    boundaries = _part("boundaries")
    pair = boundaries[["adm0_a3_l", "adm0_a3_r"]].apply(frozenset, axis=1) == frozenset({"KAZ", "CHN"})
    return boundaries[pair]


def _country_at(countries: gpd.GeoDataFrame, lon: float, lat: float) -> list[str]:
    return countries.loc[countries.contains(shapely.Point(lon, lat)), "sovereign"].to_list()


def _km_to_line(point: shapely.Point, line: shapely.Geometry) -> float:
    nearest = shapely.ops.nearest_points(point, line)[1]
    return GEOD.inv(point.x, point.y, nearest.x, nearest.y)[2] / 1000


def test_countries__same_columns_one_row_per_country_no_overlap(countries):
    assert {"name", "iso_a3", "sovereign"} <= set(countries.columns)
    assert countries["iso_a3"].is_unique and countries.geometry.is_valid.all()
    kz, cn = (countries.loc[countries["iso_a3"] == iso].geometry.iloc[0] for iso in ("KAZ", "CHN"))
    assert shapely.intersection(kz, cn).area < 1e-6


@pytest.mark.parametrize(
    ("place", "lon", "lat", "country"),
    [
        ("Alashankou", 82.57, 45.17, "China"),
        ("Dostyk", 82.49, 45.25, "Kazakhstan"),
        ("Khorgos Gateway dry port", 80.303, 44.165, "Kazakhstan"),
        ("Khorgos city", 80.42, 44.21, "China"),
        ("Bakhty", 82.73, 46.75, "Kazakhstan"),
        ("Maikapchagai", 85.60, 47.46, "Kazakhstan"),
    ],
)
def test_border_places__lie_on_their_real_side(countries, place, lon, lat, country):
    assert _country_at(countries, lon, lat) == [country], place


@pytest.mark.parametrize(
    ("lon", "lat"), [(51.0, 42.0), (49.5, 45.5), (121.5, 35.0)], ids=["caspian", "north-caspian", "yellow-sea"]
)
def test_seas__stay_water(countries, lon, lat):
    assert _country_at(countries, lon, lat) == []


CITY_COUNTRY = {
    "Kazakhstan": [
        "city-almaty",
        "city-astana",
        "city-shymkent",
        "city-taraz",
        "city-atyrau",
        "city-aktobe",
        "city-kyzylorda",
        "city-karaganda",
        "city-balkhash",
        "city-zharkent",
        "city-taldykorgan",
        "city-dostyk",
    ],
    "China": [
        "city-urumqi",
        "city-yining",
        "city-korgas-cn",
        "city-alashankou",
        "city-lanzhou",
        "city-xian",
        "city-zhengzhou",
        "city-lianyungang",
        "city-beijing",
    ],
    "Kyrgyzstan": ["city-bishkek"],
    "Uzbekistan": ["city-tashkent"],
}


def test_cities__every_city_in_its_country(countries):
    cities = load_layer(CATALOG.get("cities"))
    expected = {fid: country for country, ids in CITY_COUNTRY.items() for fid in ids}
    assert set(expected) == set(cities.index), "a city was added or renamed: say which country it is in"
    wrong = {
        fid: found
        for fid, geom in cities.geometry.items()
        if (found := _country_at(countries, geom.x, geom.y)) != [expected[fid]]
    }
    assert not wrong


@pytest.mark.parametrize(
    ("feature_id", "country"),
    [("khorgos-gateway", "Kazakhstan"), ("khorgos-fez", "Kazakhstan"), ("khorgos-icbc", "Kazakhstan")],
)
def test_khorgos_facilities__on_the_kazakh_side(countries, feature_id, country):
    geom = load_layer(CATALOG.get("khorgos")).loc[feature_id].geometry
    assert _country_at(countries, geom.x, geom.y) == [country]


@pytest.mark.parametrize("feature_id", ["khorgos-rail-crossing", "khorgos-road-crossing", "khorgos-icbc"])
def test_khorgos_crossings__on_the_border_line(kz_cn_line, feature_id):
    layer = "khorgos" if feature_id == "khorgos-icbc" else "crossings"
    geom = load_layer(CATALOG.get(layer)).loc[feature_id].geometry
    assert _km_to_line(geom, kz_cn_line.union_all()) < 1.0


def test_kazakhstan_china_border__length_in_the_measured_range(kz_cn_line):
    # The sources README measured 1,805–1,824 km on full-resolution OpenStreetMap lines; the
    # shipped line is simplified (within 0.4 km), which straightens small wiggles.
    assert 1_650 < geodesic_length_km(kz_cn_line).sum() < 1_900


def test_pipelines__alashankou_dushanzi_all_in_china_gas_lines_all_in_kazakhstan(countries):
    oil = load_layer(CATALOG.get("oil_pipelines"))
    gas = load_layer(CATALOG.get("gas_pipelines"))
    split = length_by_country_km(oil.loc[["oil-alashankou-dushanzi"]], countries, country_field="sovereign")
    assert set(split["country"]) == {"China"}
    table = km_by_country({"oil": oil, "gas": gas}, countries, country_field="sovereign")
    assert table.loc["China", "oil length_km"] >= split["length_km"].sum()
    cagp = gas.loc[["gas-cagp-line-a", "gas-cagp-line-b", "gas-cagp-line-c"]]
    assert "China" not in set(length_by_country_km(cagp, countries, country_field="sovereign")["country"])


@pytest.mark.parametrize(
    ("layer_id", "feature_id", "country"),
    [
        ("crossings", "rail-station-dostyk", "Kazakhstan"),
        ("crossings", "rail-station-altynkol", "Kazakhstan"),
        ("crossings", "rail-station-alashankou", "China"),
        ("crossings", "rail-station-khorgos", "China"),
        ("ports", "caspian-port-aktau", "Kazakhstan"),
        ("ports", "caspian-port-kuryk", "Kazakhstan"),
        ("ports", "caspian-port-baku-alat", "Azerbaijan"),
        ("energy_sites", "energy-refinery-shymkent", "Kazakhstan"),
        ("energy_sites", "energy-refinery-pavlodar", "Kazakhstan"),
        ("energy_sites", "energy-refinery-atyrau", "Kazakhstan"),
    ],
)
def test_stations_ports_and_plants__on_their_real_side(countries, layer_id, feature_id, country):
    geom = load_layer(CATALOG.get(layer_id)).loc[feature_id].geometry
    assert _country_at(countries, geom.x, geom.y) == [country]


def test_kashagan__lies_offshore_in_the_caspian(countries):
    geom = load_layer(CATALOG.get("energy_sites")).loc["energy-oilfield-kashagan"].geometry
    assert _country_at(countries, geom.x, geom.y) == []


def test_joint_projects__all_in_kazakhstan(countries):
    projects = load_layer(CATALOG.get("projects"))
    outside = [fid for fid, g in projects.geometry.items() if _country_at(countries, g.x, g.y) != ["Kazakhstan"]]
    assert not outside


def test_road_crossings__at_the_kazakhstan_china_border(kz_cn_line):
    crossings = load_layer(CATALOG.get("crossings"))
    road = crossings[crossings["kind"] == "road border crossing"]
    assert len(road) >= 3
    for fid, geom in road.geometry.items():
        # a crossing placed at its village (city-level) may sit a few km inland
        limit = 15.0 if road.loc[fid, "location_precision"] == "city-level" else 3.0
        assert _km_to_line(geom, kz_cn_line.union_all()) < limit, fid


def test_ferry_lines__cross_the_caspian_at_sea(countries):
    land = countries.union_all()
    for fid, geom in load_layer(CATALOG.get("sea_routes")).geometry.items():
        # the ends sit on the port towns (city-level), so only a few km may touch land
        assert geodesic_length_km(gpd.GeoDataFrame(geometry=[geom.intersection(land)], crs=4326)).iloc[0] < 10, fid
