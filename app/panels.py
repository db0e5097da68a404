"""The details panel and the tabs about what is shown: metrics and the visible features."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import geopandas as gpd
import pandas as pd
import streamlit as st

from app.data import Extra, basemap_frame, catalog, filtered_frame, source
from app.state import AppState
from app.text import Link, markdown_table, plain
from app.uploads import spec_of, upload_extra
from geo.citation import cited, credit
from geo.errors import CorridorAtlasError
from geo.summary import feature_table, figures_table, km_by_country
from layers.catalog import LayerSpec
from layers.figures import HeadlineFigure, load_figures
from layers.popup import FIELD_LABELS, format_value, safe_url


def find_feature(frames: dict[str, gpd.GeoDataFrame], feature_id: str) -> tuple[LayerSpec, pd.Series] | None:
    """The catalog layer and row of a feature id, if any layer has it."""
    for layer_id, gdf in frames.items():
        if feature_id in gdf.index:
            return spec_of(layer_id), gdf.loc[feature_id]
    return None


def details_panel(frames: dict[str, gpd.GeoDataFrame], feature_id: str | None) -> None:
    """Every attribute and source of the selected feature."""
    st.subheader("Details")
    found = find_feature(frames, feature_id) if feature_id else None
    if found is None:
        st.caption(
            "Click a pipeline, rail line or facility on the map to see what it is and where the facts come from."
        )
        return
    spec, row = found
    st.caption(plain(f"Selected in: {spec.title}"))
    rows = []
    for field in row.index:
        if field in {"geometry", "sources"}:
            continue
        text = format_value(str(field), row[field])
        if text is not None:
            rows.append({"field": FIELD_LABELS.get(str(field), str(field)), "value": text})
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "field": st.column_config.TextColumn(width="small"),
            "value": st.column_config.TextColumn(width="large"),
        },
    )
    sources = pd.DataFrame(
        [
            {
                "source": str(s.get("title", "")),
                "publisher, date": credit(s),
                "link": safe_url(s.get("url")),
            }
            for s in (row["sources"] if "sources" in row.index and isinstance(row["sources"], list) else [])
            if isinstance(s, dict)
        ]
    )
    st.markdown("**Sources**")
    st.dataframe(
        sources,
        hide_index=True,
        width="stretch",
        column_config={"link": st.column_config.LinkColumn("link")},
    )


class Shown(NamedTuple):
    """What decides which features are shown: the status and year filters, on this catalog and data (a cache key)."""

    statuses: tuple[str, ...]
    year: int | None
    catalog_file: str
    data_folder: str

    @classmethod
    def of(cls, state: AppState) -> Shown:
        """The filters of this session, on the app's catalog and data."""
        return cls(state.statuses, state.year, *source())


@st.cache_data(show_spinner=False, max_entries=128)
def pipeline_km(shown: Shown) -> pd.DataFrame:
    """Geodesic km of oil and gas pipeline per country, for the features the filters show."""
    lines = {label: shown_frame(lid, shown) for label, lid in (("oil", "oil_pipelines"), ("gas", "gas_pipelines"))}
    countries = basemap_frame("countries", shown.catalog_file, shown.data_folder)
    return km_by_country(lines, countries, country_field="sovereign")


def shown_frame(layer_id: str, shown: Shown) -> gpd.GeoDataFrame:
    """A catalog layer's features that pass the filters."""
    return filtered_frame(layer_id, shown.statuses, shown.year, shown.catalog_file, shown.data_folder)


def shown_frames(layer_ids: Sequence[str], shown: Shown, extra: Extra) -> dict[str, gpd.GeoDataFrame]:
    """The features shown of each layer: catalog layers through the filters, uploads whole."""
    return {lid: extra[lid][1] if lid in extra else shown_frame(lid, shown) for lid in layer_ids}


@st.cache_data(show_spinner=False, max_entries=256)
def figures(layer_ids: tuple[str, ...], shown: Shown, _extra: Extra) -> pd.DataFrame:
    """Investment and capacity figures of the features shown of these layers (upload ids are content hashes)."""
    from layers.uploads import UPLOAD_GROUP

    frames = shown_frames(layer_ids, shown, _extra)
    cat = catalog(shown.catalog_file, shown.data_folder)
    return figures_table(frames, {lid: UPLOAD_GROUP if lid in _extra else cat.get(lid).group for lid in frames})


@st.cache_data(show_spinner=False, max_entries=256)
def features_shown(layers: tuple[tuple[str, str], ...], shown: Shown, _extra: Extra) -> pd.DataFrame:
    """The feature table of these ``(layer id, title)`` layers, as the filters show them."""
    frames = shown_frames([lid for lid, _ in layers], shown, _extra)
    return feature_table({title: frames[lid] for lid, title in layers})


class Metrics(NamedTuple):
    """What the Metrics tab shows, ready to display."""

    km_error: str | None
    oil_km: float | None
    gas_km: float | None
    km_by_country: str | None  # Markdown table: countries with 50 m or more, km to 0.1
    facilities: int
    investment_bn: float
    investments: str  # Markdown table: largest first, US$ million, linked to their sources


@st.cache_resource(show_spinner=False, max_entries=128)
def metrics(layer_ids: tuple[str, ...], shown: Shown, _extra: Extra) -> Metrics:
    """Pipeline km by country, facility count and investment figures of the layers shown (read-only)."""
    table, error = None, None
    try:
        table = pipeline_km(shown)
    except CorridorAtlasError as err:
        error = f"Pipeline lengths by country are unavailable: {err}"
    roles = catalog(shown.catalog_file, shown.data_folder).with_role("facility")
    facility_ids = [spec.id for spec in roles if spec.id in layer_ids]
    facilities = shown_frames(facility_ids, shown, _extra)
    table_of_figures = figures(layer_ids, shown, _extra)
    invest = table_of_figures[table_of_figures["metric"] == "investment"].sort_values("value", ascending=False)
    return Metrics(
        km_error=error,
        oil_km=None if table is None else float(table["oil length_km"].sum()),
        gas_km=None if table is None else float(table["gas length_km"].sum()),
        km_by_country=None if table is None else _km_table(table[table.sum(axis=1) >= 0.05]),  # border vertices
        facilities=sum(len(gdf) for gdf in facilities.values()),
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
    return markdown_table(("Country", *(f"{kind.capitalize()}, km" for kind in kinds)), rows)


def _year(value: object) -> str:
    return "" if pd.isna(value) else str(int(value))


def headline_figures(catalog_file: str, data_folder: str) -> tuple[HeadlineFigure, ...]:
    """The catalog's headline figures (none when it declares no figures file; read once per file)."""
    path = catalog(catalog_file, data_folder).figures
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
        figures = headline_figures(*source())
    except CorridorAtlasError as err:
        st.error(plain(f"Headline figures are unavailable: {err}"))
        return
    if figures:
        st.markdown(headline_table(figures))


def metrics_section(layer_ids: tuple[str, ...], state: AppState) -> None:
    """Pipeline km by country, facility counts and investment figures with their sources."""
    shown = metrics(layer_ids, Shown.of(state), upload_extra())
    if shown.km_error:
        st.error(plain(shown.km_error))
    cols = st.columns(4)
    if shown.km_by_country is not None:
        cols[0].metric("Oil pipeline, km", f"{shown.oil_km:,.0f}")
        cols[1].metric("Gas pipeline, km", f"{shown.gas_km:,.0f}")
    cols[2].metric("Facilities", shown.facilities)
    cols[3].metric("Published investment, US$", f"{shown.investment_bn:,.2f} bn")
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


def visible_table(visible: tuple[str, ...], state: AppState) -> None:
    """The features of the layers that are switched on."""
    layers = tuple((lid, spec_of(lid).title) for lid in visible)
    table = features_shown(layers, Shown.of(state), upload_extra())
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
    st.dataframe(
        table[columns],
        hide_index=True,
        width="stretch",
        column_config={"length_km": st.column_config.NumberColumn("length_km (geodesic)", format="%.0f")},
    )
