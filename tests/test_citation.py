"""Sources are credited to their original publisher and date; a mirror only ever shows as "retrieved via"."""

from __future__ import annotations

from geo.citation import cited, credit
from geo.columns import type_columns
from layers.popup import sources_html


def test_credit_puts_publisher_and_date_first_and_the_mirror_last() -> None:
    source = {"title": "Oil flows", "publisher": "Xinhua", "date": "2006-05-26", "retrieved_via": "china.org.cn"}
    assert credit(source) == "Xinhua, 2006-05-26; retrieved via china.org.cn"
    assert credit({"title": "Only a title"}) == ""
    assert credit({"retrieved_via": "archive.org"}) == "retrieved via archive.org"
    assert cited(source) == "Oil flows — Xinhua, 2006-05-26; retrieved via china.org.cn"
    assert cited({"title": "Only a title"}) == "Only a title"


def test_popup_sources_show_the_credit_escaped() -> None:
    html = sources_html(
        [{"title": "<b>T</b>", "url": "https://e.org", "publisher": "A&B", "date": "2015", "retrieved_via": "<i>m</i>"}]
    )
    assert "A&amp;B, 2015; retrieved via &lt;i&gt;m&lt;/i&gt;" in html
    assert "&lt;b&gt;T&lt;/b&gt;" in html and "<b>" not in html


def test_uploaded_sources_keep_date_and_retrieved_via() -> None:
    import geopandas as gpd
    import shapely

    frame = gpd.GeoDataFrame(
        {"id": ["a"], "sources": [[{"title": "T", "date": "2024-01-02", "retrieved_via": "mirror", "other": "x"}]]},
        geometry=[shapely.Point(70, 45)],
        crs="EPSG:4326",
    )
    typed = type_columns(frame, file="f.geojson")
    (entry,) = typed.frame["sources"].iloc[0]
    assert entry["date"] == "2024-01-02" and entry["retrieved_via"] == "mirror" and "other" not in entry
