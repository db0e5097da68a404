"""Places for the analyses: point features of many layers in one frame, and what a route passes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import shapely

from geo.borders import border_crossings
from geo.corridor import distance_to_nearest_km
from geo.crs import WGS84
from geo.kinds import is_kind

if TYPE_CHECKING:  # networkx loads only where routes are computed
    from geo.network import Route

__all__ = ["LABEL_FIELDS", "combine_points", "crossing_places", "label_column", "route_summary"]

#: Attribute names that name a feature, in order of preference (users' files use many).
LABEL_FIELDS: tuple[str, ...] = ("name", "title", "label", "nom", "название", "名称")


def label_column(gdf: gpd.GeoDataFrame) -> str:
    """The attribute that names features best (``name``, ``title`` …), else ``id``."""
    lowered = {str(c).casefold(): c for c in gdf.columns}
    return next((lowered[f] for f in LABEL_FIELDS if f in lowered), "id")


def combine_points(frames: Mapping[str, gpd.GeoDataFrame], ids: Sequence[str]) -> gpd.GeoDataFrame:
    """Point features of several layers in one frame, with ``layer``, ``name`` and ``kind`` columns."""
    parts = []
    for layer_id in ids:
        if layer_id in frames and len(frames[layer_id]):
            gdf = frames[layer_id]
            part = gdf[is_kind(gdf.geometry, "point")].assign(layer=layer_id)  # a mixed layer's points
            if "name" not in part.columns:
                part["name"] = part[label_column(part)].astype(str)
            part["name"] = part["name"].where(part["name"].notna(), pd.Series(part.index.astype(str), index=part.index))
            if "kind" not in part.columns:
                part["kind"] = "your data"
            parts.append(part)
    if not parts:
        return gpd.GeoDataFrame({"name": [], "layer": [], "kind": []}, geometry=[], crs=WGS84)
    return gpd.GeoDataFrame(pd.concat(parts), crs=WGS84)


def crossing_places(points: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Places that name border crossings: cities and border posts."""
    return points[(points["kind"] == "city") | points["kind"].str.contains("crossing")]


def route_summary(
    route: Route, points: gpd.GeoDataFrame, countries: gpd.GeoDataFrame, *, within_km: float = 10.0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The borders a route crosses and the places it passes (within ``within_km``), in travel order.

    Returns
    -------
    tuple of pandas.DataFrame
        Crossings (``from``, ``to``, ``near``, ``lon``, ``lat``) and places (``name``, ``layer``,
        ``distance_km``).
    """
    crossings = pd.DataFrame(
        [
            {
                "from": c.from_country,
                "to": c.to_country,
                "near": c.place,
                "lon": round(c.lon, 4),
                "lat": round(c.lat, 4),
            }
            for c in border_crossings(route.geometry, countries, places=crossing_places(points))
        ],
        columns=["from", "to", "near", "lon", "lat"],
    )
    along = gpd.GeoDataFrame({"name": ["route"]}, geometry=[route.geometry], index=["route"], crs=WGS84)
    passed = points.join(distance_to_nearest_km(points, along))
    passed = passed[passed["distance_km"] <= within_km].copy()
    passed["along"] = route.geometry.project(shapely.point_on_surface(passed.geometry.to_numpy()))
    via = passed.sort_values("along")[["name", "layer", "distance_km"]].reset_index(drop=True)
    return crossings, via
