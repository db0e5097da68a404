"""Search across layers by name and alias, and the status/year filters of the timeline."""

from __future__ import annotations

import pytest

from geo.filters import feature_mask, year_range
from geo.search import normalise, search_features
from layers.catalog import default_catalog
from layers.load import load_layer

CATALOG = default_catalog()


@pytest.fixture(scope="module")
def frames():
    return {spec.id: load_layer(spec) for spec in CATALOG.layers}


def test_normalise__folds_case_accents_and_dashes():
    assert normalise("Zhetygen–Altynkol") == "zhetygen altynkol"
    assert normalise("  ÜRÜMQI ") == "urumqi"
    assert normalise("霍尔果斯") == "霍尔果斯"


@pytest.mark.parametrize("query", ["Khorgos", "Qorgas", "Horgos", "Khorgas", "霍尔果斯", "khorgos"])
def test_search__every_spelling_of_khorgos_finds_it(frames, query):
    hits = search_features(frames, query)
    assert {"city-korgas-cn", "khorgos-rail-crossing"} <= set(hits["feature_id"])


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("Dostyk", "city-dostyk"),
        ("Druzhba", "city-dostyk"),
        ("Alashankou", "city-alashankou"),
        ("Alataw Pass", "city-alashankou"),
        ("Urumqi", "city-urumqi"),
        ("Lianyungang", "city-lianyungang"),
    ],
)
def test_search__common_spellings_put_the_place_first(frames, query, first):
    assert search_features(frames, query)["feature_id"].iloc[0] == first


def test_search__finds_across_layers_and_says_what_matched(frames):
    hits = search_features(frames, "land bridge")
    assert set(hits["layer"]) == {"rail_corridors"}
    assert all("Land Bridge" in m for m in hits["matched"])
    assert search_features(frames, "   ").empty
    assert search_features(frames, "no such place").empty


def test_feature_mask__shows_the_network_as_it_stood(frames):
    gas = frames["gas_pipelines"]
    in_2010 = feature_mask(gas, year=2010)
    assert in_2010.index.equals(gas.index)
    assert set(gas.index[in_2010]) == {"gas-cagp-line-a", "gas-cagp-line-b"}
    assert feature_mask(frames["cities"], year=1900).all()  # cities carry no year: always shown
    assert not feature_mask(gas, statuses=["planned"]).any()


def test_year_range__spans_the_data(frames):
    first, last = year_range(frames.values())
    assert first <= 1930 and last >= 2018
