"""Rendered map HTML: layers, styles, legend, offline assets, and data that is never a template."""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from layers.catalog import Basemap, LayerSpec, default_catalog
from layers.payload import page_json
from layers.render import build_map, layer_payload
from layers.style import Style
from tests.conftest import feature, line

HOSTILE = [
    "<script>alert('x')</script>",
    "{{ 7*7 }}",
    "{{ cycler.__init__.__globals__.os.getcwd() }}",
    "{% if true %}evaluated{% endif %}",
    "{# hidden #}",
    "</script><img src=x onerror=alert(1)>",
    "a\u2028b\u2029c & \"quotes\" 'single'",
]
EMPTY_BASEMAP = Basemap(title="Offline basemap", background="#ddd", attribution="", parts=())


def _spec(title: str = "Test pipelines", **style: object) -> LayerSpec:
    return LayerSpec(
        id="test",
        title=title,
        group="Energy",
        file="test.geojson",
        geometry="line",
        legend=f"{title} legend",
        style=Style(**style) if style else Style(colour="#0072B2", weight=3, dash="12 6"),
        tooltip=("name", "status"),
        popup=("name", "operator", "description"),
    )


@pytest.fixture
def hostile_layer() -> gpd.GeoDataFrame:
    """Hostile strings everywhere, built directly (validation would refuse the javascript: URL;
    rendering must be safe even without it)."""
    features = [
        feature(
            f"h{i}",
            line((70 + i, 45), (71 + i, 45)),
            name=text,
            operator=text,
            description=text,
            sources=[
                {"title": text, "url": "javascript:alert(1)"},
                {"title": "ok", "url": "https://example.org/?q=<b>"},
                {"title": "fine", "url": "https://example.org/page"},
            ],
        )
        for i, text in enumerate(HOSTILE)
    ]
    gdf = gpd.GeoDataFrame.from_features(features, crs=4326)
    return gdf.set_index(pd.Index(gdf["id"], name="feature_id"))


def _render(layers, **kwargs) -> str:
    """The page's HTML with the (base64) data URIs of the bundled Leaflet cut out."""
    html = build_map(layers, basemap=EMPTY_BASEMAP, basemap_parts={}, **kwargs).map.get_root().render()
    return re.sub(r'"data:[^"]+"', '"data:…"', html)


def _payloads(html: str) -> list[dict]:
    """The layer data embedded in the page, decoded as the browser would."""
    found = re.findall(r"CorridorAtlas\.layer\((\{.*?\}), \{\n", html, flags=re.DOTALL)
    return [json.loads(text) for text in found]


def test_page_json__round_trips_and_contains_no_template_or_script_delimiters():
    for text in HOSTILE:
        value = {"k" + text: [text, {"nested": text}]}
        encoded = page_json(value)
        assert json.loads(encoded) == value
        for bad in ("{{", "{%", "{#", "</", "<script", "\u2028"):
            assert bad not in encoded


def test_map__hostile_properties_arrive_verbatim_and_nothing_is_evaluated(hostile_layer):
    spec = _spec(title="{{ 7*7 }} <b>title</b>")
    html = _render([(spec, layer_payload(spec, hostile_layer))])
    assert str(Path.cwd()) not in html
    assert "<script>alert" not in html
    assert "<img" not in html
    data = _payloads(html)[0]
    assert "\\u007b\\u007b 7*7 \\u007d\\u007d" in html
    for field in ("name", "operator", "description"):
        assert data["values"][field] == HOSTILE  # verbatim: the page escapes them as it builds HTML
    assert data["ids"] == [f"h{i}" for i in range(len(HOSTILE))]
    assert "javascript:" not in html
    assert 'href=\\"https://example.org/page\\"' in html
    assert 'href="https://example.org/page"' in data["sources"][0]
    assert "example.org/?q=<b>" not in data["sources"][0]  # an address with markup gets no link
    assert escape(HOSTILE[0]) in data["sources"][0]


def test_map__layer_titles_are_escaped_in_the_layer_control(hostile_layer):
    spec = _spec(title="<img src=x onerror=alert(1)>{{ 7*7 }}")
    html = _render([(spec, layer_payload(spec, hostile_layer))])
    control = re.search(r"base_layers : \{(.*?)\};\s*let", html, flags=re.DOTALL).group(1)
    assert "onerror" in control and "<img" not in control
    assert json.loads(re.search(r'overlays : \{\s*("[^"]*")', html).group(1)) == (
        "&lt;img src=x onerror=alert(1)&gt;{{ 7*7 }}"
    )


def test_map__the_apps_component_page_does_not_evaluate_templates(hostile_layer):
    from app.mappage import component_page

    spec = _spec()
    built = build_map([(spec, layer_payload(spec, hostile_layer))], basemap=EMPTY_BASEMAP, basemap_parts={})
    script = component_page(built).script
    assert str(Path.cwd()) not in script
    for payload in _payloads(script):
        assert payload["values"]["name"] == HOSTILE


def test_map__styles_reach_leaflet_options(hostile_layer):
    spec = _spec()
    html = _render([(spec, layer_payload(spec, hostile_layer))])
    assert '"color":"#0072B2"' in html
    assert '"dashArray":"12 6"' in html
    assert '"weight":3' in html


def test_map__loads_nothing_from_a_cdn(hostile_layer):
    spec = _spec()
    html = _render([(spec, layer_payload(spec, hostile_layer))])
    links = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert links and all(link.startswith("data:") for link in links)
    assert "cdn.jsdelivr" not in html and "cdnjs" not in html and "bootstrap" not in html


def test_map__catalog_layers_legend_and_visibility():
    catalog = default_catalog()
    from layers.load import load_layer

    layers = [(spec, layer_payload(spec, load_layer(spec))) for spec in catalog.layers]
    fmap = build_map(layers, basemap=EMPTY_BASEMAP, basemap_parts={}, visible={"oil_pipelines"}).map
    html = fmap.get_root().render()
    for spec in catalog.layers:
        assert json.dumps(spec.title, ensure_ascii=False) in html
        assert json.dumps(spec.legend, ensure_ascii=False).strip('"') in html
    groups = {child.layer_name: child for child in fmap._children.values() if getattr(child, "overlay", False)}
    assert groups["Oil pipelines"].show is True
    assert all(not g.show for name, g in groups.items() if name != "Oil pipelines")


def test_map__base_layers_offline_first_with_attribution():
    html = _render([])
    base = re.search(r"base_layers : \{(.*?)\},", html, flags=re.DOTALL).group(1)
    names = re.findall(r'"([^"]+)" :', base)
    assert names == ["Offline basemap", "OpenStreetMap (online)", "Esri World Imagery (online)"]
    assert "tile.openstreetmap.org" in html and "World_Imagery" in html
    assert "OpenStreetMap" in html and "Esri" in html


def test_map__large_layers_are_drawn_on_canvas_small_ones_as_svg():
    import numpy as np
    from shapely.geometry import LineString

    rng = np.random.default_rng(3)
    walk = rng.normal(0, 0.005, size=(80_000, 2)).cumsum(axis=0) + np.array([75.0, 45.0])
    big = gpd.GeoDataFrame({"id": ["big"], "name": ["big"]}, geometry=[LineString(walk)], index=["big"], crs=4326)
    small = big.set_geometry([LineString(walk[:50])])
    for gdf, expected in ((big, 1), (small, 0)):
        html = _render([(_spec(), layer_payload(_spec(), gdf))])
        assert _payloads(html)[0]["canvas"] is bool(expected)


@pytest.mark.parametrize("dtype", ["str", "string[python]", "object"])
def test_column_text__trims_and_leaves_out_blank_text_in_any_string_storage(dtype):
    from layers.popup import column_text

    values = pd.Series(["  Khorgos ", "", "   ", None, "Алматы\u00a0", "a\tb"], dtype=dtype)
    assert column_text(values, "name") == ["Khorgos", None, None, None, "Алматы", "a\tb"]


def test_map__one_scale_bar_in_kilometres():
    html = _render([])
    assert html.count("L.control.scale(") == 1
    assert 'L.control.scale({imperial: false, position: "bottomleft"})' in html


def test_map__a_rebuilt_map_is_the_same_page_with_every_element_named_by_its_number(hostile_layer):
    from app.mappage import component_page

    spec = _spec()

    def page():
        return component_page(
            build_map([(spec, layer_payload(spec, hostile_layer))], basemap=EMPTY_BASEMAP, basemap_parts={})
        )

    first, again = page(), page()
    assert (first.script, first.header, first.key, first.groups) == (
        again.script,
        again.header,
        again.key,
        again.groups,
    )
    random_ids = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
    assert not random_ids.search(first.script + first.header + first.html)  # no folium id left unnumbered
    assert all(re.fullmatch(r"feature_group_[0-9a-f]{8}", name) for name in first.groups.values())
