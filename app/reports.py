"""The charts tab."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app.catalog import Source, source
from app.panels import figures, filters_of, headline_figures
from app.state import AppState
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
