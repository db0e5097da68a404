"""The details panel and the tabs about what is shown: metrics and the visible features."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

import pandas as pd
import streamlit as st

from app.catalog import Source, catalog, source
from app.data import countries
from app.frame import Status, show_status
from app.results import result
from app.state import AppState, choose_feature, session, timeline_year
from app.text import Link, markdown_table, plain
from geo.citation import cited
from geo.columns import is_missing
from geo.errors import CorridorAtlasError
from geo.filters import Filters
from geo.schema import STATUSES
from geo.summary import feature_table, figures_table, km_by_country
from layers.catalog import GROUPS
from layers.figures import HeadlineFigure, load_figures
from layers.layer import LayerSet


def _filters_text(state: AppState, as_of: int | None) -> tuple[str, str]:
    """The status filter and the timeline's year (``as_of``; None: today) in the page's words: "all", "as of 2015"."""
    statuses = "all" if set(STATUSES) <= set(state.statuses) else ", ".join(state.statuses) or "none"
    return statuses, f"as of {'today' if as_of is None else as_of}"


def status_line(layers: LayerSet, visible: Sequence[str], state: AppState) -> None:
    """What the map shows, in one line over it; a warning when the filters leave nothing to show."""
    show_status(status_message(layers, visible, state, timeline_year(state)))


def status_message(layers: LayerSet, visible: Sequence[str], state: AppState, as_of: int | None) -> Status:
    """The status line's kind and its text (escaped for Streamlit's markdown) for these layers and filters.

    ``as_of`` is the timeline's year as the page words it (None: today, the latest year of the data).
    """
    on = layers.only(visible)
    total = sum(len(layer.frame) for layer in on)
    shown = sum(len(layer.frame) for layer in on.through(filters_of(state)))
    statuses, year = _filters_text(state, as_of)
    if not on:
        return Status("info", "No layer is switched on: tick one in the sidebar, or pick a search result.")
    if shown == 0:
        return Status(
            "warning",
            plain(
                f"No feature matches the filters (status: {statuses}; {year}) in the {len(on)} layer(s) switched on. "
                "Widen Status in the sidebar, or move the timeline on the map to a later year."
            ),
        )
    return Status(
        "caption", plain(f"Showing {shown:,} of {total:,} features in {len(on)} layers · status: {statuses} · {year}")
    )


def filters_of(state: AppState) -> Filters:
    """The status and year filters this session has chosen."""
    return Filters(state.statuses, state.year)


def figures(layers: LayerSet) -> pd.DataFrame:
    """Investment and capacity figures of these layers' features, each with its layer's group as its sector."""
    return result(
        "figures", (), layers, lambda: figures_table(layers.frames(), {lyr.id: lyr.spec.group for lyr in layers})
    )


def features_shown(layers: LayerSet) -> pd.DataFrame:
    """The feature table of these layers, one row per feature, named by each layer's title."""
    return result("features", (), layers, lambda: feature_table({lyr.title: lyr.frame for lyr in layers}))


def pipeline_km(layers: LayerSet, src: Source) -> pd.DataFrame:
    """Geodesic km per country of each layer with the ``pipeline`` role (a column each, headed by its legend)."""
    pipelines = layers.with_role("pipeline")
    return result(
        "pipeline_km",
        (src,),
        pipelines,
        lambda: km_by_country(
            {lyr.spec.legend: lyr.frame for lyr in pipelines}, countries(src), country_field="sovereign"
        ),
    )


class Metrics(NamedTuple):
    """What the Metrics tab shows, ready to display."""

    km_error: str | None
    pipeline_km: tuple[tuple[str, float], ...]  # (legend, km) of each pipeline layer
    km_by_country: str | None  # Markdown table: countries with 50 m or more, km to 0.1
    facilities: int
    investment_bn: float
    investments: str  # Markdown table: largest first, US$ million, linked to their sources


def metrics(layers: LayerSet, src: Source) -> Metrics:
    """Pipeline km by country, facility count and investment figures of the layers as shown (read-only)."""
    return result("metrics", (src,), layers, lambda: _metrics(layers, src))


def _metrics(layers: LayerSet, src: Source) -> Metrics:
    table, error = None, None
    try:
        table = pipeline_km(layers, src) if layers.with_role("pipeline") else None
    except CorridorAtlasError as err:
        error = f"Pipeline lengths by country are unavailable: {err}"
    table_of_figures = figures(layers)
    invest = table_of_figures[table_of_figures["metric"] == "investment"].sort_values("value", ascending=False)
    return Metrics(
        km_error=error,
        pipeline_km=()
        if table is None
        else tuple((c.removesuffix(" length_km"), float(table[c].sum())) for c in table),
        km_by_country=None if table is None else _km_table(table[table.sum(axis=1) >= 0.05]),  # border vertices
        facilities=sum(len(layer.frame) for layer in layers.with_role("facility")),
        investment_bn=float(invest["value"].sum()) / 1e3,
        investments=markdown_table(
            ("Project", "Year", "Status", "US$ million", "Source"),
            (
                (str(r.name), _year(r.year), str(r.status), f"{r.value:,g}", Link(str(r.source), r.source_url))
                for r in invest.itertuples()
            ),
        ),
    )


def _km_table(table: pd.DataFrame) -> str:
    """Pipeline km by country (rows) and kind (columns, ``<kind> length_km``) as a Markdown table."""
    kinds = [column.removesuffix(" length_km") for column in table.columns]
    rows = ((str(country), *(f"{km:,.1f}" for km in values)) for country, values in table.iterrows())
    return markdown_table(("Country", *(f"{_short(kind)}, km" for kind in kinds)), rows)


def _short(legend: str) -> str:
    """A pipeline layer's legend under the heading "Pipeline length": "Oil pipeline" reads "Oil"."""
    return re.sub(r"\s*\bpipelines?\b", "", legend, flags=re.IGNORECASE).strip() or legend


def _year(value: object) -> str:
    return "" if is_missing(value) else str(int(value))


def headline_figures(src: Source) -> tuple[HeadlineFigure, ...]:
    """The catalog's headline figures (none when it declares no figures file; read once per file)."""
    path = catalog(src).figures
    return () if path is None else load_figures(path)


def headline_table(figures: Sequence[HeadlineFigure]) -> str:
    """Headline figures as a Markdown table, each linked to its first source and credited to its publisher."""
    rows = []
    for figure in figures:
        first = figure.sources[0]
        more = f" (+{len(figure.sources) - 1} more)" if len(figure.sources) > 1 else ""
        rows.append(
            (figure.label, figure.shown, str(figure.year), figure.scope, Link(cited(first) + more, first["url"]))
        )
    return markdown_table(("Figure", "Value", "Year", "Scope", "Source"), rows)


def headline_section() -> None:
    """The corridor's headline figures (FDI, agreements, trade, SCO), each with its source."""
    st.markdown("**Headline figures** (published; not derived from the map)")
    try:
        figures = headline_figures(source())
    except CorridorAtlasError as err:
        st.error(plain(f"Headline figures are unavailable: {err}"))
        return
    if figures:
        st.markdown(headline_table(figures))


def coverage(layers: LayerSet, state: AppState) -> str:
    """What a tab's figures cover: which sectors, statuses and year."""
    sectors = "all sectors" if set(GROUPS) <= set(state.sectors) else "sectors " + ", ".join(state.sectors)
    statuses, year = _filters_text(state, timeline_year(state))
    statuses = "every status" if statuses == "all" else f"status {statuses}"
    return f"Covers {len(layers)} layers ({sectors}; your own layers always), {statuses}, {year}."


def metrics_section(layers: LayerSet, state: AppState) -> None:
    """Pipeline km by country, facility counts and investment figures with their sources (``layers``: those covered)."""
    st.caption(plain(coverage(layers, state) + " Change it with the sidebar's filters and the map's timeline."))
    shown = metrics(layers, source())
    if shown.km_error:
        st.error(plain(shown.km_error))
    cols = st.columns(len(shown.pipeline_km) + 2)
    for col, (label, km) in zip(cols, shown.pipeline_km, strict=False):
        col.metric(f"{label}, km", f"{km:,.0f}")
    cols[-2].metric("Facilities", shown.facilities)
    cols[-1].metric("Published investment, US$", f"{shown.investment_bn:,.2f} bn")
    left, right = st.columns(2)
    with left:
        st.markdown("**Pipeline length by country (geodesic, km)**")
        if shown.km_by_country is not None:
            st.markdown(shown.km_by_country)
            st.caption("Each line split by OpenStreetMap borders and measured on the WGS84 ellipsoid.")
    with right:
        st.markdown("**Investment figures and their sources**")
        st.markdown(shown.investments)
    headline_section()


def visible_table(layers: LayerSet, visible: tuple[str, ...], state: AppState) -> None:
    """The features of the layers that are switched on."""
    table = features_shown(layers.only(visible).through(filters_of(state)))
    st.markdown(f"**Visible features** ({len(table)})")
    columns = [
        c
        for c in (
            "layer",
            "name",
            "kind",
            "status",
            "year",
            "operator",
            "capacity",
            "length_km",
            "length_km_reported",
            "investment_usd",
            "location_precision",
            "sources",
        )
        if c in table.columns
    ]
    st.caption("Click a row to select its feature on the map; the feature selected on the map is marked ▶.")
    shown = table[columns].copy()
    if "feature_id" in table.columns:
        shown.insert(0, "", ["▶" if fid == state.feature else "" for fid in table["feature_id"]])
    ids = table["feature_id"].tolist() if "feature_id" in table.columns else []
    picked = st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        key="table_pick",
        on_select="rerun",
        selection_mode="single-row",
        column_config={"length_km": st.column_config.NumberColumn("length_km (geodesic)", format="%.0f")},
    )
    rows = list(picked.selection.rows) if picked is not None and hasattr(picked, "selection") else []
    if rows != session.get("_table_rows"):  # a new click in the table (its selection outlives reruns)
        session["_table_rows"] = rows
        if rows and rows[0] < len(ids) and ids[rows[0]] != state.feature:
            choose_feature(ids[rows[0]])
            st.rerun()
