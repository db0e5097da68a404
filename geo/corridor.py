"""Corridor buffers and facility-to-corridor distances, computed in metric CRSs fit for the region."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.borders import BorderCrossing, border_crossings
from geo.crs import (
    BUFFER_EXTENT,
    WGS84,
    aeqd_transformer,
    degrees_spanning_km,
    from_region,
    require_wgs84,
    to_region,
)
from geo.errors import CRSError
from geo.kinds import spot
from geo.measure import length_by_country_km

__all__ = [
    "CorridorReport",
    "LineFacts",
    "corridor_buffer",
    "corridor_report",
    "distance_to_nearest_km",
    "line_facts",
    "possibly_within",
]


#: Lines are simplified within this share of the buffer's width before buffering.
BUFFER_SIMPLIFY_SHARE = 0.002
#: Facilities are measured against lines cut into pieces of at most this many degrees, where a straight
#: piece in degrees and in any local projection are a few metres apart (see ``possibly_within``).
PIECE_DEG = 0.05


def corridor_buffer(lines: gpd.GeoDataFrame, distance_km: float) -> gpd.GeoDataFrame:
    """Buffer each line by a distance, in the region's equidistant conic CRS, returned in WGS84.

    Parameters
    ----------
    lines
        Line features in WGS84.
    distance_km
        Buffer distance; must be positive.

    Returns
    -------
    geopandas.GeoDataFrame
        One polygon per input row, indexed like ``lines``, with ``distance_km``.
    """
    require_wgs84(lines, "lines")
    if not distance_km > 0:
        raise ValueError(f"distance_km must be positive, got {distance_km!r}")
    _require_buffer_extent(lines)
    # The region's shared transformers: geopandas' to_crs would make two (~10 ms each) per buffer.
    projected = shapely.transform(lines.geometry.to_numpy(), partial(_project, to_region()))
    # A line simplified within t metres has a buffer within t of the exact one: 0.2 % of the width is
    # invisible at any zoom that shows the buffer, and buffering takes a fraction of the time.
    simplified = shapely.simplify(projected, distance_km * 1000.0 * BUFFER_SIMPLIFY_SHARE, preserve_topology=False)
    polygons = shapely.buffer(simplified, distance_km * 1000.0, quad_segs=16)
    buffered = shapely.make_valid(shapely.transform(polygons, partial(_project, from_region())))
    return gpd.GeoDataFrame({"distance_km": distance_km}, geometry=buffered, index=lines.index, crs=WGS84)


def _require_buffer_extent(lines: gpd.GeoDataFrame) -> None:
    """Refuse lines that leave the extent where the region's projection can draw a buffer."""
    west, south, east, north = BUFFER_EXTENT
    bounds = lines.geometry.bounds
    outside = bounds.index[
        (bounds["minx"] < west) | (bounds["maxx"] > east) | (bounds["miny"] < south) | (bounds["maxy"] > north)
    ]
    if len(outside):
        raise CRSError(
            f"line {str(outside[0])!r} leaves lon {west:g} to {east:g}°E, lat {south:g} to {north:g}°N, where corridor "
            "buffers are drawn (a projection fitted to Central Asia); choose lines within it"
        )


def distance_to_nearest_km(
    points: gpd.GeoDataFrame, lines: gpd.GeoDataFrame, *, within_km: float | None = None
) -> pd.DataFrame:
    """Distance from each point to the nearest line, and which line that is.

    Each point is measured in an azimuthal equidistant projection centred on itself, where
    distances from the centre are geodesic, so the result does not depend on the region's map
    projection. With ``within_km``, only the parts of the lines within that distance of a point
    are projected (the rest cannot be nearer), and a point with no line that near gets NaN.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``points``: ``distance_km`` and ``nearest_id`` (index label of the line).
    """
    require_wgs84(points, "points")
    require_wgs84(lines, "lines")
    if len(lines) == 0:
        raise ValueError("no lines to measure against")
    line_geoms = lines.geometry.to_numpy()
    reach = None if within_km is None else _degrees_for(within_km, points, lines)
    distances: list[float] = []
    nearest: list[object] = []
    for geom in points.geometry:
        centre = spot(geom)
        near = line_geoms
        if reach is not None:  # the lines' parts in a box that holds every place within reach of the point
            box = (centre.x - reach, centre.y - reach, centre.x + reach, centre.y + reach)
            near = shapely.clip_by_rect(line_geoms, *box)
        transformer = aeqd_transformer(centre.x, centre.y)
        local = shapely.transform(near, partial(_project, transformer))
        d_m = np.where(shapely.is_empty(local), np.inf, shapely.distance(shapely.Point(0.0, 0.0), local))
        best = int(d_m.argmin())
        found = np.isfinite(d_m[best])
        distances.append(float(d_m[best]) / 1000.0 if found else float("nan"))
        nearest.append(lines.index[best] if found else None)
    return pd.DataFrame({"distance_km": distances, "nearest_id": nearest}, index=points.index)


def _degrees_for(km: float, points: gpd.GeoDataFrame, lines: gpd.GeoDataFrame) -> float:
    """Degrees that surely span ``km`` at the latitudes of these points and lines (with a margin).

    See :func:`geo.crs.degrees_spanning_km`; 1 % and 0.02° more cover the difference between a
    line's straight pieces in degrees and in a local projection (pieces of at most ``PIECE_DEG``,
    as ``corridor_report`` cuts them).
    """
    highest = max(abs(v) for v in (*points.total_bounds[1::2], *lines.total_bounds[1::2]))
    return degrees_spanning_km(km, highest) * 1.01 + 0.02


def possibly_within(points: gpd.GeoDataFrame, lines: gpd.GeoDataFrame, km: float) -> np.ndarray:
    """Which points may lie within ``km`` (geodesic) of a line: a superset, found in degrees with a spatial index.

    Places farther apart in degrees than :func:`geo.crs.degrees_spanning_km` (at the highest
    latitude of the points and lines, with a margin: ``_degrees_for``) are farther apart than
    ``km``. The lines' pieces must be at most ``PIECE_DEG`` long (``shapely.segmentize``), as those
    measured against.
    """
    mask = np.zeros(len(points), dtype=bool)
    if len(points) == 0 or len(lines) == 0:
        return mask
    tree = shapely.STRtree(lines.geometry.to_numpy())
    hits = tree.query(points.geometry.to_numpy(), predicate="dwithin", distance=_degrees_for(km, points, lines))
    mask[hits[0]] = True
    return mask


def _project(transformer: Transformer, xy: np.ndarray) -> np.ndarray:
    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


@dataclass(frozen=True)
class LineFacts:
    """What a corridor's lines are, whatever its width: km per country and border crossings."""

    length_by_country: pd.DataFrame
    crossings: tuple[tuple[str, BorderCrossing], ...]


def line_facts(
    lines: gpd.GeoDataFrame,
    countries: gpd.GeoDataFrame,
    *,
    country_field: str = "sovereign",
    places: gpd.GeoDataFrame | None = None,
) -> LineFacts:
    """Each country's geodesic km of the lines (longest first) and where they cross a border."""
    split = length_by_country_km(lines, countries, country_field=country_field)
    by_country = split.groupby("country", as_index=False)["length_km"].sum().sort_values("length_km", ascending=False)
    crossings = tuple(
        (str(line_id), crossing)
        for line_id, geom in lines.geometry.items()
        for part in shapely.get_parts(geom)
        for crossing in border_crossings(part, countries, country_field=country_field, places=places)
    )
    return LineFacts(by_country.reset_index(drop=True), crossings)


@dataclass(frozen=True)
class CorridorReport:
    """What lies along a corridor: its buffer, the facilities inside, km per country, border crossings."""

    distance_km: float
    buffer: gpd.GeoDataFrame
    facilities: pd.DataFrame
    length_by_country: pd.DataFrame
    crossings: tuple[tuple[str, BorderCrossing], ...]


def corridor_report(
    lines: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    countries: gpd.GeoDataFrame,
    distance_km: float,
    *,
    country_field: str = "sovereign",
    places: gpd.GeoDataFrame | None = None,
    facts: LineFacts | None = None,
) -> CorridorReport:
    """Analyse a corridor made of one or more lines.

    Parameters
    ----------
    lines
        The corridor's line features (WGS84), indexed by id, with ``name``.
    facilities
        Points to test (WGS84), indexed by id, with ``name`` (and any other columns to keep).
    countries
        Country polygons (WGS84) for the per-country split and the crossings.
    distance_km
        Corridor half-width.
    country_field
        Column of ``countries`` naming the country.
    places
        Named points that name the border crossings.
    facts
        The lines' :func:`line_facts`, when already made (they do not depend on the width).

    Returns
    -------
    CorridorReport
        ``buffer`` is one polygon (the union of the lines' buffers); ``facilities`` lists those
        within ``distance_km`` (geodesic), nearest first; ``length_by_country`` sums each
        country's geodesic km; ``crossings`` pairs each crossing with the line it is on.
    """
    zones = corridor_buffer(lines, distance_km)
    buffer = gpd.GeoDataFrame(
        {"distance_km": [distance_km], "lines": [", ".join(map(str, lines.index))]},
        geometry=[zones.geometry.union_all()],
        crs=WGS84,
    )
    pieces = lines.set_geometry(shapely.segmentize(lines.geometry.to_numpy(), PIECE_DEG))
    maybe = possibly_within(facilities, pieces, distance_km)  # measure only what may be inside: the rest is far
    near = distance_to_nearest_km(facilities[maybe], pieces, within_km=distance_km)
    within = facilities.index[facilities.index.isin(near.index[near["distance_km"] <= distance_km])]
    near = near.loc[within].sort_values("distance_km", kind="stable")  # equal distances in the facilities' order
    inside = facilities.loc[near.index].drop(columns=facilities.geometry.name).join(near)  # only the rows inside
    names = lines["name"] if "name" in lines.columns else pd.Series(lines.index.astype(str), index=lines.index)
    inside["nearest_line"] = [str(names.loc[i]) for i in inside["nearest_id"]]
    if facts is None:
        facts = line_facts(lines, countries, country_field=country_field, places=places)
    return CorridorReport(distance_km, buffer, inside, facts.length_by_country, facts.crossings)
