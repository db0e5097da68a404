"""The Streamlit app run headless with AppTest: toggles, URL state, details, and broken input."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from layers.catalog import CATALOG_PATH, DATA_DIR, default_catalog
from layers.load import load_layer
from tests.conftest import as_upload, feature, line

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
CATALOG = default_catalog()


@pytest.fixture(autouse=True)
def fresh_caches(monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.delenv("CORRIDOR_ATLAS_CATALOG", raising=False)
    monkeypatch.delenv("CORRIDOR_ATLAS_DATA", raising=False)
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _run(query: dict[str, str] | None = None, *, tab: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if tab is not None:
        at.session_state["tab"] = tab
    return at.run()


def _open(at: AppTest, tab: str) -> AppTest:
    """Switch to a tab, as a click on it does (only the open tab's panel runs)."""
    at.session_state["tab"] = tab
    return at.run()


def _visible_count(at: AppTest) -> int:
    if not any(m.value.startswith("**Visible features**") for m in at.markdown):
        _open(at, "Visible features")
    heading = next(m.value for m in at.markdown if m.value.startswith("**Visible features**"))
    return int(heading.split("(")[1].rstrip(")"))


def test_app__starts_with_every_layer_and_no_error():
    at = _run()
    assert not at.exception
    assert not at.error
    assert [cb.key for cb in at.checkbox] == [spec.widget_key for spec in CATALOG.layers]
    assert all(cb.value == spec.visible for cb, spec in zip(at.checkbox, CATALOG.layers, strict=True))
    assert at.query_params["layers"] == ",".join(CATALOG.ids)
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["Oil pipeline, km"].replace(",", "")) > 2000
    assert float(metrics["Gas pipeline, km"].replace(",", "")) > 2000


@pytest.mark.parametrize("layer_id", CATALOG.ids)
def test_app__toggling_a_layer_updates_url_and_table(layer_id):
    at = _run()
    before = _visible_count(at)
    at.checkbox(key=f"layer_{layer_id}").uncheck().run()
    assert not at.exception
    shown = at.query_params["layers"].split(",")
    assert layer_id not in shown and len(shown) == len(CATALOG.ids) - 1
    assert _visible_count(at) < before
    at.checkbox(key=f"layer_{layer_id}").check().run()
    assert layer_id in at.query_params["layers"].split(",")
    assert _visible_count(at) == before


def test_app__url_reopens_the_same_layers_view_and_feature():
    at = _run({"layers": "gas_pipelines,khorgos", "view": "44.1000,80.3000,8", "feature": "khorgos-gateway"})
    assert not at.exception
    on = {cb.key for cb in at.checkbox if cb.value}
    assert on == {"layer_gas_pipelines", "layer_khorgos"}
    assert at.query_params["view"] == "44.1000,80.3000,8"
    assert at.query_params["feature"] == "khorgos-gateway"  # the map selects it: see test_browser_workspace
    assert any(c.value.startswith("Showing 9 of 9 features in 2 layers") for c in at.caption)


def test_app__broken_layer_file_is_reported_and_the_rest_still_works(tmp_path, monkeypatch, write_layer):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    broken = [feature("oil-x", line((70, 45), (71, 45)), status="finished", name=None)]
    write_layer(broken, name="data/oil_pipelines.geojson")
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(CATALOG_PATH.read_text())
    monkeypatch.setenv("CORRIDOR_ATLAS_CATALOG", str(catalog))
    monkeypatch.setenv("CORRIDOR_ATLAS_DATA", str(data))
    at = _run()
    assert not at.exception
    message = at.error[0].value.replace("\\", "")
    assert "oil_pipelines.geojson" in message and "'oil-x'" in message
    assert "status" in message and "name" in message
    assert at.checkbox(key="layer_oil_pipelines").disabled
    assert not at.checkbox(key="layer_gas_pipelines").disabled
    assert _visible_count(at) > 0


def test_app__missing_catalog_file_is_reported_not_raised(monkeypatch, tmp_path):
    monkeypatch.setenv("CORRIDOR_ATLAS_CATALOG", str(tmp_path / "nowhere.toml"))
    at = _run()
    assert not at.exception
    assert "nowhere.toml: the catalog file cannot be read" in at.error[0].value.replace("\\", "")


def test_app__a_toggle_reads_no_file_again(monkeypatch):
    import layers.load

    reads: list[str] = []
    original = layers.load.read_layer

    def counting(path, **kwargs):
        reads.append(str(path))
        return original(path, **kwargs)

    monkeypatch.setattr(layers.load, "read_layer", counting)
    at = _run()
    assert len(reads) == len(CATALOG.layers)
    at.checkbox(key="layer_gas_pipelines").uncheck().run()
    at.checkbox(key="layer_cities").uncheck().run()
    assert not at.exception
    assert len(reads) == len(CATALOG.layers)


def test_app__markup_in_a_layer_title_is_shown_literally(tmp_path, monkeypatch):
    catalog = tmp_path / "catalog.toml"
    hostile = "Oil [pipelines](javascript:alert(1)) <b>bold</b>"
    catalog.write_text(CATALOG_PATH.read_text().replace('title = "Oil pipelines"', f'title = "{hostile}"'))
    monkeypatch.setenv("CORRIDOR_ATLAS_CATALOG", str(catalog))
    at = _run()
    assert not at.exception
    label = at.checkbox(key="layer_oil_pipelines").label
    assert label == "Oil \\[pipelines\\]\\(javascript\\:alert\\(1\\)\\) \\<b\\>bold\\</b\\>"


@pytest.mark.parametrize("fmt", ["png", "svg", "html"])
def test_app__exports_the_view_on_screen(fmt):
    at = _run(tab="Export")
    at.checkbox(key="layer_cities").uncheck().run()
    at.session_state["bounds"] = (68.0, 39.0, 85.0, 49.0)
    at.text_input(key="export_title").input("Pipelines <b>2015</b>").run()
    at.selectbox(key="export_format").select(fmt).run()
    at.button(key="export_go").click().run()
    assert not at.exception and not at.error
    name, content, _mime, caption, embed = at.session_state["export"]
    assert name == f"corridor-atlas.{fmt}"
    magic = {"png": b"\x89PNG", "svg": b"<?xml", "html": b"<!DOCTYPE html>"}[fmt]
    assert content.startswith(magic)
    assert "Oil pipelines" in caption and "Cities" not in caption
    assert "39.0°N to 49.0°N" in caption  # the on-screen extent, widened to 16:9
    if fmt == "html":
        assert embed.startswith('<iframe src="corridor-atlas.html" title="Pipelines &lt;b&gt;2015&lt;/b&gt;"')
        assert b"Pipelines \\u003cb\\u003e2015" in content


def test_app__corridor_from_the_url_lists_facilities_and_countries():
    at = _run({"corridor": "layer:oil_pipelines", "km": "50"}, tab="Corridor")
    assert not at.exception and not at.error
    assert at.selectbox(key="corridor").value == "layer:oil_pipelines"
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Facilities and cities within"]) >= 2
    tables = [df.value for df in at.dataframe]
    by_country = next(t for t in tables if list(t.columns) == ["country", "length_km"])
    assert set(by_country["country"]) >= {"Kazakhstan", "China"}
    inside = next(t for t in tables if "nearest_line" in t.columns)
    assert "city-alashankou" in set(inside["feature_id"]) and (inside["distance_km"] <= 50).all()


def test_app__route_khorgos_gateway_to_lianyungang():
    at = _run({"from": "khorgos-gateway", "to": "lianyungang-kz-terminal"}, tab="Route")
    assert not at.exception and not at.error
    metrics = {m.label: float(m.value.replace(",", "")) for m in at.metric if "km" in m.label and "Route" in m.label}
    assert 3500 < metrics["Route length, km"] < 4600
    crossings = next(df.value for df in at.dataframe if list(df.value.columns) == ["from", "to", "near", "lon", "lat"])
    assert list(crossings[["from", "to"]].itertuples(index=False, name=None)) == [("Kazakhstan", "China")]
    assert at.query_params["from"] == "khorgos-gateway" and at.query_params["to"] == "lianyungang-kz-terminal"


def test_app__timeline_year_hides_later_features_and_is_in_the_url():
    """The timeline is on the map (test_browser_workspace); its year reaches the tabs and the URL."""
    everything = _visible_count(_run())
    at = _run({"year": "2005"})
    assert not at.exception
    assert _visible_count(at) < everything
    assert at.query_params["year"] == "2005"
    assert any("as of 2005" in c.value for c in at.caption)
    late = _run({"year": "2100"})  # beyond the data: the latest year, no filter
    assert _visible_count(late) == everything and "year" not in late.query_params


def test_app__status_and_sector_filters():
    at = _run({"sector": "Energy"})
    assert not at.exception
    energy = [spec for spec in CATALOG.layers if spec.group == "Energy"]
    assert _visible_count(at) == sum(len(load_layer(spec)) for spec in energy)
    at.multiselect(key="f_status").set_value(["planned"]).run()
    assert _visible_count(at) == 0


def test_app__search_by_alias_zooms_to_the_result():
    at = _run()
    at.text_input(key="q").input("Druzhba").run()
    assert any("Dostyk" in option for option in at.selectbox(key="q_pick").options)
    at.selectbox(key="q_pick").set_value("city-dostyk").run()
    assert not at.exception
    assert at.session_state["feature"] == "city-dostyk"
    assert at.session_state["select_seq"] == 1  # the map is asked to go to it (the page flies there)
    assert at.query_params["feature"] == "city-dostyk"


def _uploaded(at: AppTest) -> AppTest:
    from geo.ingest import ingest

    depots = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "depot-1", "name": "{{ 7*7 }} <b>Depot</b>"},
                "geometry": {"type": "Point", "coordinates": [82.5, 45.15]},
            }
        ],
    }
    layer = ingest("depots.geojson", json.dumps(depots).encode())
    at.session_state["uploads"] = {"up_test": as_upload("up_test", "depots.geojson", layer)}
    at.session_state["layer_up_test"] = True
    return at


def test_app__an_uploaded_layer_joins_the_table_and_the_corridor_analysis():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["corridor"] = "layer:oil_pipelines"
    at.session_state["tab"] = "Visible features"
    at = _uploaded(at).run()
    assert not at.exception and not at.error
    assert at.checkbox(key="layer_up_test").value is True
    tables = [df.value for df in at.dataframe if {"layer", "name", "length_km"} <= set(df.value.columns)]
    assert "{{ 7*7 }} <b>Depot</b>" in set(tables[0]["name"])  # the feature table, verbatim
    _open(at, "Corridor")
    inside = next(df.value for df in at.dataframe if "nearest_line" in df.value.columns)
    assert "depot-1" in set(inside["feature_id"])
    at.button(key="remove_up_test").click().run()
    assert "up_test" not in at.session_state["uploads"] and not at.exception


def test_app__only_the_open_tab_runs_and_tab_widgets_keep_their_values():
    at = _run({"corridor": "layer:oil_pipelines"})
    assert not at.exception
    assert not any(m.value.startswith("**Visible features**") for m in at.markdown)
    assert "corridor" not in {box.key for box in at.selectbox}  # the Corridor tab is closed: not run
    _open(at, "Corridor")
    assert at.selectbox(key="corridor").value == "layer:oil_pipelines"
    at.selectbox(key="corridor").set_value("layer:gas_pipelines").run()
    _open(at, "Metrics").run()  # runs without the corridor widget on the page
    assert not at.exception
    assert at.query_params["corridor"] == "layer:gas_pipelines"
    _open(at, "Corridor")
    assert at.selectbox(key="corridor").value == "layer:gas_pipelines"


@pytest.fixture
def map_calls(monkeypatch):
    """Record the map component's arguments and every map build, and pass both through."""
    import app.mappage
    import app.mapview
    import layers.render

    calls: list[dict] = []
    builds: list[tuple[tuple, dict]] = []
    component, build = app.mapview._map_component, layers.render.build_map

    def recording_component():  # the component, declared on first use: it records each call
        def call(**kwargs):
            calls.append(kwargs)
            return component()(**kwargs)

        return call

    def recording_build(*args, **kwargs):
        builds.append((args, kwargs))
        return build(*args, **kwargs)

    monkeypatch.setattr(app.mapview, "_map_component", recording_component)
    monkeypatch.setattr(layers.render, "build_map", recording_build)
    monkeypatch.setattr(app.mappage, "build_map", recording_build)  # the app's own reference to it
    return calls, builds


from app.mapview import MAP_HEIGHT, MAP_RETURNS  # noqa: E402


def _calls_in(script: str) -> list[str]:
    """The page script's layer calls (their data included), names of folium elements left out."""
    return sorted(
        re.sub(r"_(?:[0-9a-f]{32}|div(?:_\d+)*)\b", "", c)  # folium's random ids, streamlit-folium's renaming
        for c in re.findall(r"CorridorAtlas\.\w+\(.*", script)
    )


def test_app__map_arguments_draw_the_map_st_folium_would_draw(map_calls, monkeypatch):
    """The app's own component gets what st_folium sends for the same map, the page made once instead of thrice."""
    import streamlit_folium

    import layers.render

    calls, builds = map_calls
    at = _run()
    assert not at.exception and len(builds) == 1 and len(calls) == 1
    ours = calls.pop()
    args, kwargs = builds[0]
    monkeypatch.setattr(streamlit_folium, "_component_func", lambda **kw: calls.append(kw))
    built = layers.render.build_map(*args, **kwargs)
    streamlit_folium.st_folium(
        built.map, key="map", height=MAP_HEIGHT, use_container_width=True, returned_objects=list(MAP_RETURNS)
    )
    theirs = calls.pop()
    assert ours.keys() == theirs.keys() - {"id"}
    skip = {"on_change", "layer_control", "js_links", "css_links", "script", "key", "header", "returned_objects"}
    for name in ours.keys() - skip - {"default"}:
        assert ours[name] == theirs[name], name
    assert ours["default"] is None  # the app gives the map's value before it reports itself (see below)
    assert set(ours["returned_objects"]) == set(MAP_RETURNS)
    assert _calls_in(ours["script"]) == _calls_in(theirs["script"])  # every layer, legend and control, same data
    assert "var map_div = L.map(" in ours["script"] and ours["header"].count("#map_div") == 1
    assert theirs["layer_control"] is None and "window.map" in ours["layer_control"]
    # the package's files, published by URL; the scripts in one file, in their order: one request, not one after another
    assert [_published(link) for link in ours["css_links"]] == [_inlined(uri) for _, uri in built.css]
    assert len(built.js) > 1 and len(ours["js_links"]) == 1
    scripts = _published(ours["js_links"][0])
    starts = [scripts.find(_inlined(uri)) for _, uri in built.js]
    assert -1 not in starts and starts == sorted(starts)


def _published(link: str) -> bytes:
    from app.statics import FROM_COMPONENT_FRAME, STATIC_DIR

    assert link.startswith(FROM_COMPONENT_FRAME)
    return (STATIC_DIR / link.removeprefix(FROM_COMPONENT_FRAME)).read_bytes()


def _inlined(link: str) -> bytes:
    head, _, data = link.partition(",")
    assert head.startswith("data:") and head.endswith(";base64")
    return base64.b64decode(data)


def test_app__map_arguments_leave_leaflet_and_the_basemap_to_static_files(map_calls):
    """What every map of the server shares is loaded by URL: a toggle resends only the layers' data."""
    calls, _ = map_calls
    _run()
    args = calls[-1]
    size = len(json.dumps({k: v for k, v in args.items() if k != "on_change"}))
    # 13 layers' display geometry, popup values, names in four languages and sources (~490 kB in 2026-11 data);
    # Leaflet, Leaflet.draw and the basemap go by URL
    assert size < 560_000, f"the map's arguments are {size:,} bytes"
    assert "data:" not in " ".join(args["js_links"] + args["css_links"])
    base = CATALOG.basemap.parts
    urls = re.findall(r'CorridorAtlas\.remoteLayer\("([^"]+)"', args["script"])
    assert len(urls) == len(base)
    files = {url.partition("#")[0] for url in urls}
    assert len(files) == 1  # one file: the page draws the parts in order
    published = json.loads(_published(files.pop()))
    for part, url in zip(base, urls, strict=True):
        assert url.endswith(f"#{part.id}")
        assert published[part.id]["geometry"]  # the part's page data, as the page fetches it


def _shown_and_hidden(call: dict) -> tuple[list[str], list[str]]:
    match = re.search(r"\(window\.map, (\[.*?\]), (\[.*?\])\);", call["layer_control"])
    return json.loads(match.group(1)), json.loads(match.group(2))


def test_app__a_layer_toggle_hides_the_layer_in_the_same_map_and_a_filter_rebuilds_it(map_calls):
    calls, builds = map_calls
    at = _run()
    first = calls[-1]
    shown, hidden = _shown_and_hidden(first)
    assert hidden == [] and len(shown) == len(CATALOG.layers)
    cities = re.search(r'"Cities"\s*:\s*(\w+)', first["script"]).group(1)  # its entry in the layer control
    assert cities in shown
    at.checkbox(key="layer_cities").uncheck().run()
    assert not at.exception
    assert len(builds) == 1  # not rebuilt
    assert calls[-1]["key"] == first["key"] and calls[-1]["script"] == first["script"]
    assert _shown_and_hidden(calls[-1])[1] == [cities]
    at.multiselect(key="f_status").set_value(["planned"]).run()
    assert len(builds) == 2 and calls[-1]["key"] != first["key"]
    assert _shown_and_hidden(calls[-1])[1] == [cities]  # still off in the new map


def _analysis(call: dict) -> list[dict]:
    """The analysis results the map call asks the page to show."""
    match = re.search(r"CorridorAtlas\.analysis\(window\.map, (\[.*\])\);", call["layer_control"])
    return json.loads(match.group(1))


def test_app__a_corridor_query_draws_its_buffer_on_the_same_map(map_calls):
    """A corridor, its width and a route reach the map the session has (no new map, no new frame)."""
    calls, builds = map_calls
    at = _run(tab="Corridor")
    first = calls[-1]
    assert _analysis(first) == []
    at.selectbox(key="corridor").set_value("layer:gas_pipelines").run()
    assert not at.exception and len(builds) == 1  # the map is not rebuilt
    assert calls[-1]["key"] == first["key"] and calls[-1]["script"] == first["script"]
    (buffer,) = _analysis(calls[-1])
    assert buffer["title"] == "Corridor buffer (50 km)"
    assert "Corridor buffer (50 km)" in buffer["legend"] and buffer["legend"].startswith("<svg")
    assert buffer["data"]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert buffer["data"]["values"]["label"] == ["Corridor buffer (50 km) around Gas pipelines"]
    wider = at.number_input(key="corridor_km").set_value(100).run()
    (wide,) = _analysis(calls[-1])
    assert wide["title"] == "Corridor buffer (100 km)" and wide["key"] != buffer["key"]
    assert len(builds) == 1 and calls[-1]["key"] == first["key"]
    wider.selectbox(key="corridor").set_value(None).run()
    assert _analysis(calls[-1]) == []  # the page takes the buffer off


def test_app__a_route_and_a_corridor_show_together_on_the_map(map_calls):
    """A route from the URL and a corridor are both in the map's call, the buffer first, the route's km in its title."""
    calls, builds = map_calls
    at = _run({"from": "khorgos-gateway", "to": "lianyungang-kz-terminal"}, tab="Route")
    (route,) = _analysis(calls[-1])
    assert route["title"] == "Route (4,298 km)"  # Khorgos Gateway → Lianyungang over the land bridge
    assert route["data"]["geometry"]["type"] in ("LineString", "MultiLineString")
    _open(at, "Corridor").selectbox(key="corridor").set_value("layer:oil_pipelines").run()
    assert [item["title"] for item in _analysis(calls[-1])] == ["Corridor buffer (50 km)", route["title"]]
    assert len(builds) == 1  # one map for all of it


def test_app__charts_tab_draws_investments_and_capacities_linked_to_sources():
    at = _run(tab="Charts")
    assert not at.exception and not at.error
    charts = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    assert len(charts) == 3
    headline, invest, capacity = charts
    assert headline["encoding"]["href"]["field"] == "source_url"
    bars = next(iter(at.get("vega_lite_chart")[0].proto.datasets)).data.data
    assert b"33 agreements" in bars or b"33 deals" in bars  # the article's figures are charted with their sources
    assert invest["encoding"]["href"]["field"] == "source_url"
    assert capacity["facet"]["row"]["field"] == "unit"
    assert all(chart.proto.datasets for chart in at.get("vega_lite_chart"))  # the figures travel with the charts
    figures = next(df.value for df in at.dataframe if "source_url" in df.value.columns)
    assert figures["source_url"].str.startswith("http").any()


def test_markdown_table__shows_cells_literally_and_links_only_http():
    from app.text import Link, markdown_table

    table = markdown_table(
        ("Project", "Source"),
        [
            ("A | B *bold* <b>x</b>", Link("Report (2015)", "https://example.org/a_(b)")),
            ("C\nD", Link("[click](javascript:alert(1))", "javascript:alert(1)")),
        ],
    )
    lines = table.splitlines()
    assert lines[:2] == ["| Project | Source |", "| --- | --- |"]
    assert lines[2] == ("| A \\| B \\*bold\\* \\<b\\>x\\</b\\> | [Report \\(2015\\)](https://example.org/a_%28b%29) |")
    assert lines[3] == "| C D | \\[click\\]\\(javascript\\:alert\\(1\\)\\) |"  # text only, no link


def test_app__metrics_tab_lists_investments_linked_to_their_sources():
    at = _run()
    tables = [m.value for m in at.markdown if m.value.startswith("| Project |")]
    assert len(tables) == 1
    rows = tables[0].splitlines()[2:]
    assert len(rows) >= 4 and all(re.search(r"\]\(https?://", row) for row in rows)
    assert any(m.value.startswith("| Country | Oil, km | Gas, km |") for m in at.markdown)


def test_app__metrics_tab_shows_the_headline_figures_with_their_sources():
    at = _run()
    (table,) = [m.value for m in at.markdown if m.value.startswith("| Figure | Value |")]
    assert "$23\\.6 bn" in table and "The Astana Times" in table  # the 33 agreements; the article cited by name
    assert "2001" in table and "$17\\.0 bn" in table  # SCO founded; FDI as the article states it


def test_app__map_carries_its_files_inline_when_the_static_folder_cannot_be_written(map_calls, monkeypatch, tmp_path):
    import app.statics

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the static folder's parent should be")
    monkeypatch.setattr(app.statics, "STATIC_DIR", blocker / "static")
    calls, _ = map_calls
    at = _run()
    assert not at.exception and not at.error
    args = calls[-1]
    assert all(link.startswith("data:") for link in args["js_links"] + args["css_links"])
    assert "CorridorAtlas.remoteLayer(" not in args["script"]
    assert args["script"].count("CorridorAtlas.layer(") == len(CATALOG.layers) + len(CATALOG.basemap.parts)


def test_app__facilities_metric_counts_every_facility_layer():
    at = _run()
    facilities = next(m for m in at.metric if m.label == "Facilities")
    expected = sum(len(load_layer(spec)) for spec in CATALOG.with_role("facility"))
    assert int(facilities.value) == expected > 5  # ports, crossings, projects … not only the three 2015 layers


def test_show_map__sends_no_list_or_dict_and_gives_the_page_s_opening_bounds_until_the_map_reports(monkeypatch):
    """For a list or dict argument Streamlit imports pandas to ask whether it is a table: not in a first run."""
    import app.mapview
    from app.mapview import MapAsk, MapPage, show_map

    sent: dict = {}
    monkeypatch.setattr(app.mapview, "_map_component", lambda: lambda **kwargs: sent.update(kwargs))  # no value yet
    defaults = {"bounds": {"_southWest": {"lat": 35.0, "lng": 50.0}, "_northEast": {"lat": 50.0, "lng": 120.0}}}
    page = MapPage("var map_div;", "", "", "map_k", ("a.css",), ("a.js",), defaults, {"cities": "layer_1"})
    value = show_map(page, ["cities"], MapAsk(None, 0, None, "en", "light"), "", "")
    assert value == defaults and value is not page.defaults  # a copy: a caller cannot change the shared page
    assert all(arg is None or isinstance(arg, (str, int, float, tuple)) for arg in sent.values()), sent
    assert sent["js_links"] == ("a.js",) and sent["returned_objects"] == MAP_RETURNS


def test_the_kept_opening_is_what_a_plain_link_s_whole_first_run_shows(map_calls):
    """A later server's first run draws the map from the opening: the same arguments, the same status line."""
    from app.catalog import source
    from app.data import catalog_layer_set
    from app.main import prepare_opening
    from app.mapview import show_map

    calls, _ = map_calls
    at = _run()
    assert not at.exception and len(calls) == 1
    whole = calls.pop()
    opening = prepare_opening(catalog_layer_set(source()))
    assert opening is not None
    show_map(opening.page, opening.visible, opening.ask._replace(theme="light"), "", opening.analysis)
    kept = calls.pop()
    assert kept.keys() == whole.keys()
    for name in whole:
        assert kept[name] == whole[name], name
    assert opening.status.kind == "caption" and opening.status.text in [c.value for c in at.caption]
