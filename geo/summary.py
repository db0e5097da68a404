"""Tables planners read beside the map: pipeline km by country, investments, feature listings."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from numbers import Real

import geopandas as gpd
import pandas as pd

from geo.kinds import is_kind
from geo.measure import geodesic_length_km, length_by_country_km
from geo.schema import STATUSES

__all__ = ["feature_table", "figures_table", "km_by_country", "source_links", "status_counts"]


def km_by_country(
    lines: Mapping[str, gpd.GeoDataFrame],
    countries: gpd.GeoDataFrame,
    *,
    country_field: str = "name",
) -> pd.DataFrame:
    """Geodesic km of line per country for each named line set (e.g. oil, gas).

    Parameters
    ----------
    lines
        Label (column of the result) → line features in WGS84.
    countries
        Country polygons in WGS84.
    country_field
        Column of ``countries`` with the country name.

    Returns
    -------
    pandas.DataFrame
        Indexed by country, one ``<label> length_km`` column per line set, rows sorted by total.
    """
    columns = {}
    for label, gdf in lines.items():
        split = length_by_country_km(gdf, countries, country_field=country_field)
        columns[f"{label} length_km"] = split.groupby("country")["length_km"].sum()
    table = pd.DataFrame(columns).fillna(0.0)
    table.index.name = "country"
    return table.loc[table.sum(axis=1).sort_values(ascending=False).index]


def source_links(sources: object) -> str:
    """Sources of a feature as plain text: ``title (url)`` joined by ``; ``."""
    if not isinstance(sources, list):
        return ""
    parts = []
    for source in sources:
        if isinstance(source, dict):
            title = str(source.get("title") or "")
            url = source.get("url")
            parts.append(f"{title} ({url})" if url else title)
    return "; ".join(parts)


def status_counts(frames: Iterable[gpd.GeoDataFrame]) -> dict[str, int]:
    """How many features have each of the schema's statuses, in the schema's order; only statuses that occur."""
    counts = pd.Series(0, index=list(STATUSES))
    for gdf in frames:
        if "status" in gdf.columns:
            counts = counts.add(gdf["status"].value_counts().reindex(counts.index, fill_value=0), fill_value=0)
    return {str(status): int(n) for status, n in counts.items() if n}


def feature_table(frames: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """One row per feature of the given layers: attributes as text-friendly columns, no geometry.

    Lines get their geodesic ``length_km``; lists (aliases, sources) become text.
    """
    parts = []
    for layer, gdf in frames.items():
        table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
        table.insert(0, "layer", layer)
        table.insert(1, "feature_id", gdf.index.astype(str))  # what selects it on the map
        table["length_km"] = geodesic_length_km(gdf).where(is_kind(gdf.geometry, "line"))
        table["sources"] = [source_links(s) for s in gdf["sources"]] if "sources" in gdf.columns else ""
        if "aliases" in table.columns:
            table["aliases"] = [", ".join(str(a) for a in v) if isinstance(v, list) else "" for v in gdf["aliases"]]
        parts.append(table)
    if not parts:
        return pd.DataFrame(columns=["layer", "feature_id", "id", "name"])
    return pd.concat(parts, ignore_index=True)


def _figure(value: object) -> float | None:
    """A published figure as a finite number, or ``None`` where there is none (typed layers hold numbers only)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _name(row: pd.Series, feature_id: object) -> str:
    """A feature's name for tables: its ``name``, else its id."""
    name = row.get("name")
    return str(feature_id) if name is None or pd.isna(name) or not str(name).strip() else str(name)


_KEYWORDS = {
    "investment": ("$", "usd", "us$", "million", "billion", "invest", "cost", "yuan", "tenge"),
    "capacity": ("capacity", "mt/yr", "bcm", "teu", "t/yr", "tonnes", "tons", "million t", "per year", "/yr"),
}


def _supporting_link(sources: object, metric: str) -> tuple[str, str | None]:
    """The source that states a figure: the first whose note or title names it, else the first link."""
    if not isinstance(sources, list):
        return "", None
    entries = [s for s in sources if isinstance(s, dict)]
    linked = [s for s in entries if str(s.get("url") or "").startswith(("http://", "https://"))]
    for source in linked:
        text = f"{source.get('note') or ''} {source.get('title') or ''}".casefold()
        if any(word in text for word in _KEYWORDS[metric]):
            return str(source.get("title") or ""), str(source["url"])
    first = (linked or entries or [{}])[0]
    return str(first.get("title") or ""), (str(first["url"]) if first.get("url") else None)


def figures_table(frames: Mapping[str, gpd.GeoDataFrame], sectors: Mapping[str, str]) -> pd.DataFrame:
    """Every investment and capacity figure, one row per figure, with the source that states it.

    Parameters
    ----------
    frames
        Layer id → features.
    sectors
        Layer id → sector name (the catalog group).

    Returns
    -------
    pandas.DataFrame
        ``layer``, ``sector``, ``name``, ``year`` (a number, NaN when none), ``status``, ``metric`` (``investment`` or
        ``capacity``), ``value``, ``unit`` (``US$ million`` for investments), ``source``,
        ``source_url``.
    """
    rows = []
    for layer, gdf in frames.items():
        if "investment_usd" not in gdf.columns and "capacity_value" not in gdf.columns:
            continue
        for feature_id, row in gdf.iterrows():
            figures = []
            investment, capacity = _figure(row.get("investment_usd")), _figure(row.get("capacity_value"))
            if investment is not None:
                figures.append(("investment", investment / 1e6, "US$ million"))
            if capacity is not None:
                unit = row.get("capacity_unit")
                figures.append(("capacity", capacity, "" if pd.isna(unit) else str(unit)))
            for metric, value, unit in figures:
                title, url = _supporting_link(row.get("sources"), metric)
                rows.append(
                    {
                        "layer": layer,
                        "sector": sectors.get(layer, ""),
                        "name": _name(row, feature_id),
                        "year": row.get("year"),
                        "status": row.get("status"),
                        "metric": metric,
                        "value": value,
                        "unit": unit,
                        "source": title,
                        "source_url": url,
                    }
                )
    columns = ["layer", "sector", "name", "year", "status", "metric", "value", "unit", "source", "source_url"]
    table = pd.DataFrame(rows, columns=columns)
    return table.assign(year=pd.to_numeric(table["year"], errors="coerce").astype(float))  # NaN: no year given
