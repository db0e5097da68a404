"""Filters by status and year: the network as it stood in a chosen year."""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

import geopandas as gpd
import pandas as pd

from geo.schema import STATUSES

__all__ = ["Filters", "feature_mask", "year_range"]


class Filters(NamedTuple):
    """The status and year filters (a cache key): ``None`` keeps every status or every year."""

    statuses: tuple[str, ...] | None = None
    year: int | None = None

    def mask(self, gdf: gpd.GeoDataFrame) -> pd.Series:
        """Which features of ``gdf`` pass (see :func:`feature_mask`)."""
        return feature_mask(gdf, statuses=self.statuses, year=self.year)


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
        Features, with ``status`` and ``year`` where they have them: a layer without a ``status``
        column, or a feature whose status is none of the schema's, is not filtered by status; one
        without a year (a city, a year that is not a number) is not filtered by year.
    statuses
        Keep only these of the schema's statuses; ``None`` keeps all.
    year
        Keep features opened or agreed in this year or before. ``None`` keeps all.
    """
    mask = pd.Series(True, index=gdf.index, name="shown")
    if statuses is not None and "status" in gdf.columns:
        status = gdf["status"]
        mask &= status.isin(list(statuses)) | ~status.isin(list(STATUSES))
    if year is not None and "year" in gdf.columns:
        years = pd.to_numeric(gdf["year"], errors="coerce")
        mask &= years.isna() | (years <= year)
    return mask.astype(bool)


def year_range(frames: Collection[gpd.GeoDataFrame]) -> tuple[int, int] | None:
    """Earliest and latest feature year across layers (the timeline's span); ``None`` when no feature has one."""
    parts = [pd.to_numeric(gdf["year"], errors="coerce").dropna() for gdf in frames if "year" in gdf.columns]
    years = pd.concat(parts) if parts else pd.Series(dtype=float)
    return (int(years.min()), int(years.max())) if len(years) else None
