"""The charts and export tabs."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app.data import Source, basemap_frames, current_catalog, data_bounds, source
from app.panels import figures, filters_of, headline_figures
from app.state import AppState, session
from app.text import plain
from geo.citation import cited
from geo.errors import CorridorAtlasError
from layers.catalog import GROUPS
from layers.figures import usd_bn
from layers.layer import LayerSet
from layers.popup import safe_url

SECTOR_COLOURS = {"domain": list(GROUPS), "range": ["#D55E00", "#0072B2", "#CC79A7", "#999999"]}


@st.cache_data(show_spinner=False, max_entries=64)
def chart_specs(figures: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    """Vega-Lite specs (made with Altair, data inline) of the investment and capacity charts of ``figures``.

    Cached by the figures themselves, so a toggle that changes no figure reuses the charts.
    """
    import altair as alt  # only when the Charts tab is open

    tooltip = ["name:N", "year:Q", "value:Q", "unit:N", "status:N", "source:N"]
    colour = alt.Color("sector:N", scale=alt.Scale(**SECTOR_COLOURS))
    invest = (
        alt.Chart(figures[figures["metric"] == "investment"])
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="Year"),
            y=alt.Y("sum(value):Q", title="US$ million"),
            color=colour,
            tooltip=tooltip,
            href="source_url:N",
        )
    )
    capacity = (
        alt.Chart(figures[figures["metric"] == "capacity"])
        .mark_circle(size=110)
        .encode(
            x=alt.X("year:Q", title="Year", scale=alt.Scale(zero=False), axis=alt.Axis(format="d")),
            y=alt.Y("value:Q", title="Capacity"),
            color=colour,
            tooltip=tooltip,
            href="source_url:N",
        )
        .properties(height=140)
        .facet(row=alt.Row("unit:N", title=None))
        .resolve_scale(y="independent")
    )
    return invest.to_dict(), capacity.to_dict()


@st.cache_data(show_spinner=False, max_entries=8)
def headline_spec(src: Source) -> dict[str, Any] | None:
    """Vega-Lite spec of the catalog's headline figures in US dollars (billions), newest year last; ``None`` if none.

    Cached per catalog, so reruns of the Charts tab do not rebuild it.
    """
    import altair as alt

    figures = headline_figures(src)
    rows = [
        {
            "figure": f"{f.label} ({f.year})",
            "US$ bn": round(usd_bn(f.value), 2),
            "year": f.year,
            "source": cited(f.sources[0]),
            "source_url": safe_url(f.sources[0]["url"]),
        }
        for f in sorted(figures, key=lambda f: (f.year, f.id))
        if f.unit == "US$"
    ]
    if not rows:
        return None
    return (
        alt.Chart(pd.DataFrame(rows))
        .mark_bar(color="#0072B2")
        .encode(
            y=alt.Y("figure:N", sort=None, title=None, axis=alt.Axis(labelLimit=420)),
            x=alt.X("US$ bn:Q", title="US$ billion"),
            tooltip=["figure:N", "US$ bn:Q", "source:N"],
            href="source_url:N",
        )
        .to_dict()
    )


def charts_panel(layers: LayerSet, state: AppState) -> None:
    """Investments and capacities over time and by sector, and the headline figures; every mark links to its source."""
    try:
        headline = headline_spec(source())
    except CorridorAtlasError as err:
        st.error(plain(f"Headline figures are unavailable: {err}"))
        headline = None
    if headline is not None:
        st.markdown("**Headline figures, US$ billion** (published; click a bar to open its source)")
        st.vega_lite_chart(spec=headline, width="stretch")
    table = figures(layers.through(filters_of(state)))
    if table.empty:
        st.caption("No investment or capacity figures among the features shown.")
        return
    invest, capacity = chart_specs(table)
    st.markdown("**Published investment by year and sector** (US$ million; click a bar to open its source)")
    st.vega_lite_chart(spec=invest, width="stretch")
    st.markdown("**Capacities over time** (one panel per unit; click a point to open its source)")
    st.vega_lite_chart(spec=capacity)
    st.dataframe(
        table[["name", "sector", "year", "metric", "value", "unit", "source", "source_url"]],
        hide_index=True,
        width="stretch",
        column_config={"source_url": st.column_config.LinkColumn("link")},
    )


EXPORT_SIZES = ("1920x1080", "1280x720", "3840x2160", "1080x1080", "1200x1600")
EXPORT_TITLE = "Kazakhstan–China infrastructure corridors"


def export_panel(layers: LayerSet) -> None:
    """Export the view on screen (its extent and the layers on, as the filters show them) as PNG, SVG, PDF or HTML."""
    from layers.snapshot import ALL_FORMATS, SnapshotData, SnapshotRequest, make_snapshot  # matplotlib: here only
    from layers.standalone import embed_snippet

    st.markdown("**Export the view on screen**: the map's current extent and the layers that are on.")
    session.setdefault("export_title", EXPORT_TITLE)  # no widget default: the value is kept in state
    left, right = st.columns(2)
    title = left.text_input("Title", key="export_title")
    subtitle = right.text_input("Subtitle", key="export_subtitle")
    fmt_col, size_col, dpi_col, tiles_col = st.columns(4)
    fmt = fmt_col.selectbox("Format", ALL_FORMATS, format_func=str.upper, key="export_format")
    size = size_col.selectbox("Size (pixels)", EXPORT_SIZES, key="export_size")
    dpi = dpi_col.selectbox("DPI (text and line size)", (150, 96, 200, 300), key="export_dpi")
    tiles = tiles_col.selectbox(
        "Background",
        (None, "osm", "imagery"),
        format_func=lambda v: {
            None: "Offline basemap",
            "osm": "OpenStreetMap (online)",
            "imagery": "Esri imagery (online)",
        }[v],
        key="export_tiles",
        help="Online backgrounds need the internet; PNG, SVG and PDF only.",
    )
    if st.button("Prepare export", key="export_go", disabled=not len(layers)):
        width, height = (int(v) for v in size.split("x"))
        request = SnapshotRequest(
            layers=layers.ids,
            format=fmt,
            bbox=session.get("bounds") or data_bounds([layer.display for layer in layers]),
            width_px=width,
            height_px=height,
            dpi=dpi,
            title=title,
            subtitle=subtitle,
            tiles=tiles if fmt != "html" else None,
        )
        data = SnapshotData(layers, current_catalog().basemap, basemap_frames(source()))
        try:
            snapshot = make_snapshot(request, data)
        except CorridorAtlasError as err:
            session.pop("export", None)
            st.error(plain(str(err)))
        else:
            name = f"corridor-atlas.{fmt}"
            embed = embed_snippet(name, title=title, width_px=width, height_px=height) if fmt == "html" else ""
            session["export"] = (name, snapshot.content, snapshot.mime, snapshot.caption, embed)
    if "export" in session:
        name, content, mime, caption, embed = session["export"]
        st.download_button(
            f"Download {name}", content, file_name=name, mime=mime, key="export_download", on_click="ignore"
        )
        st.markdown("Alt text (caption):")
        st.code(caption, language=None, wrap_lines=True)
        if embed:
            st.markdown("Embed snippet for web pages and slide tools:")
            st.code(embed, language="html")
