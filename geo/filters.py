"""Filters by status and year: the network as it stood in a chosen year."""

from __future__ import annotations

from collections.abc import Collection

import geopandas as gpd
import pandas as pd

__all__ = ["feature_mask", "year_range"]


def feature_mask(
    gdf: gpd.GeoDataFrame,
    *,
    statuses: Collection[str] | None = None,
    year: int | None = None,
) -> pd.Series:
    """Which features pass the filters, index-aligned with ``gdf``.

    Parameters
    ----------
    gdf
        Features with ``status`` and ``year``.
    statuses
        Keep only these statuses; ``None`` keeps all.
    year
        Keep features opened or agreed in this year or before; features with no year (cities)
        are always kept. ``None`` keeps all.
    """
    mask = pd.Series(True, index=gdf.index, name="shown")
    if statuses is not None:
        mask &= gdf["status"].isin(list(statuses))
    if year is not None:
        years = gdf["year"]
        mask &= years.isna() | (years <= year)
    return mask.astype(bool)


def year_range(frames: Collection[gpd.GeoDataFrame]) -> tuple[int, int]:
    """Earliest and latest feature year across layers (for the timeline slider)."""
    years = pd.concat([gdf["year"].dropna() for gdf in frames if "year" in gdf.columns])
    return int(years.min()), int(years.max())
