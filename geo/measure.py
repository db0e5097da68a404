"""Geodesic measurements on the WGS84 ellipsoid: lengths, areas, and lengths split by country."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo.crs import GEOD, require_wgs84
from geo.kinds import kind_of

__all__ = ["area_km2", "geodesic_length_km", "length_by_country_km"]


def geodesic_length_km(gdf: gpd.GeoDataFrame) -> pd.Series:
    """Geodesic length of each geometry on the WGS84 ellipsoid.

    Returns
    -------
    pandas.Series
        ``length_km``, indexed like ``gdf``; points and empty geometries measure 0.
    """
    require_wgs84(gdf)
    values = [0.0 if g is None or g.is_empty else GEOD.geometry_length(g) / 1000.0 for g in gdf.geometry]
    return pd.Series(values, index=gdf.index, name="length_km", dtype=float)


def area_km2(gdf: gpd.GeoDataFrame) -> pd.Series:
    """Geodesic area of each polygon on the WGS84 ellipsoid.

    Returns
    -------
    pandas.Series
        ``area_km2``, indexed like ``gdf``; lines and points measure 0.
    """
    require_wgs84(gdf)
    values = []
    for geom in gdf.geometry:
        if geom is None or geom.is_empty or kind_of(geom) != "polygon":
            values.append(0.0)
            continue
        area_m2, _ = GEOD.geometry_area_perimeter(geom)
        values.append(abs(area_m2) / 1e6)
    return pd.Series(values, index=gdf.index, name="area_km2", dtype=float)


def length_by_country_km(
    lines: gpd.GeoDataFrame,
    countries: gpd.GeoDataFrame,
    *,
    country_field: str = "name",
    outside: str = "(no country)",
) -> pd.DataFrame:
    """Split each line by country polygons and measure each piece geodesically.

    Parameters
    ----------
    lines
        Line features in WGS84.
    countries
        Country polygons in WGS84 with a name column.
    country_field
        Column of ``countries`` that names the country.
    outside
        Label for any length that falls in no country polygon (sea, data gaps).

    Returns
    -------
    pandas.DataFrame
        One row per (line, country) with ``feature_id``, ``country`` and ``length_km``; the
        lengths of a line add up to its whole geodesic length.
    """
    require_wgs84(lines, "lines")
    require_wgs84(countries, "countries")
    total = geodesic_length_km(lines)
    rows: list[dict[str, object]] = []
    sindex = countries.sindex
    for feature_id, geom in zip(lines.index, lines.geometry, strict=True):
        assigned = 0.0
        for pos in sindex.query(geom, predicate="intersects"):
            piece = geom.intersection(countries.geometry.iloc[pos])
            length = GEOD.geometry_length(piece) / 1000.0 if not piece.is_empty else 0.0
            if length > 0:
                rows.append(
                    {"feature_id": feature_id, "country": countries[country_field].iloc[pos], "length_km": length}
                )
                assigned += length
        rest = total.loc[feature_id] - assigned
        if rest > 1e-6:
            rows.append({"feature_id": feature_id, "country": outside, "length_km": rest})
    frame = pd.DataFrame(rows, columns=["feature_id", "country", "length_km"])
    return frame.groupby(["feature_id", "country"], as_index=False, sort=False)["length_km"].sum()
