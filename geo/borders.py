"""Where a line crosses from one country into another, named after the nearest known place."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString

from geo.crs import GEOD, require_wgs84

__all__ = ["BorderCrossing", "border_crossings", "countries_at"]


@dataclass(frozen=True)
class BorderCrossing:
    """A point where a line leaves one country for another."""

    lon: float
    lat: float
    from_country: str
    to_country: str
    place: str | None
    place_km: float | None


def countries_at(lon: np.ndarray, lat: np.ndarray, countries: gpd.GeoDataFrame, field: str) -> list[str | None]:
    """The country containing each point, or ``None`` (sea, outside the basemap)."""
    found = np.full(len(lon), None, dtype=object)
    for polygon, name in zip(countries.geometry, countries[field], strict=True):
        found[shapely.contains_xy(polygon, lon, lat)] = name
    return found.tolist()


def _nearest_place(
    lon: float, lat: float, places: gpd.GeoDataFrame | None, max_km: float
) -> tuple[str | None, float | None]:
    if places is None or len(places) == 0:
        return None, None
    xs, ys = places.geometry.x.to_numpy(), places.geometry.y.to_numpy()
    _, _, dist = GEOD.inv(np.full(len(xs), lon), np.full(len(xs), lat), xs, ys)
    best = int(np.argmin(dist))
    if dist[best] / 1000 > max_km:
        return None, None
    return str(places["name"].iloc[best]), float(dist[best] / 1000)


def border_crossings(
    line: LineString,
    countries: gpd.GeoDataFrame,
    *,
    country_field: str = "sovereign",
    places: gpd.GeoDataFrame | None = None,
    max_place_km: float = 40.0,
) -> list[BorderCrossing]:
    """Every change of country along a line, in order, with the nearest place as its name.

    Parameters
    ----------
    line
        A line in lon/lat (WGS84), in travel order.
    countries
        Country polygons in WGS84.
    country_field
        Column naming the country.
    places
        Named points (``name`` column) to name crossings after, e.g. cities and border posts.
    max_place_km
        Places farther than this from a crossing do not name it.
    """
    require_wgs84(countries, "countries")
    coords = np.asarray(line.coords)
    where = countries_at(coords[:, 0], coords[:, 1], countries, country_field)
    crossings: list[BorderCrossing] = []
    last_known: tuple[int, str] | None = None
    for i, country in enumerate(where):
        if country is None:
            continue
        if last_known is not None and country != last_known[1]:
            j, previous = last_known
            segment = LineString(coords[j : i + 1])
            polygons = countries.geometry[countries[country_field] == previous]
            cuts = [c for c in (segment.intersection(p.boundary) for p in polygons) if not c.is_empty]
            point = shapely.get_parts(cuts[0])[0] if cuts else shapely.Point(coords[i])
            point = point if point.geom_type == "Point" else point.centroid
            place, km = _nearest_place(point.x, point.y, places, max_place_km)
            crossings.append(BorderCrossing(point.x, point.y, previous, country, place, km))
        last_known = (i, country)
    return crossings
