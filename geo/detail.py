"""Full detail at any zoom for large line layers: copies simplified for each zoom band, cut into indexed pieces.

A layer over the display budget is drawn from one simplified copy, whose chords show once the map is
zoomed in far enough. A :class:`DetailPyramid` keeps the layer in Web Mercator (what the map draws)
at a few levels of detail, each within a fraction of a screen pixel of the full geometry at its
zoom, and cut into short pieces with a spatial index, so the part of a level in a view is found and
sent in milliseconds.

How close: a level made for zoom ``z`` simplifies the next finer stored level with Douglas–Peucker
at :data:`PIXEL_SHARE` of a pixel of zoom ``z``. Errors add up along the chain, but each finer
level's pixel is half as long, so the sum stays under ``2 × PIXEL_SHARE`` pixels (0.9 px). The
finest level is the full geometry itself. A level is kept only where it holds at most half the
vertices of the finer one, so all levels together hold at most twice the layer.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import geopandas as gpd
import numpy as np
import shapely

from geo.crs import from_mercator, require_wgs84, to_mercator

__all__ = [
    "PIXEL_SHARE",
    "TOP_ZOOM",
    "DetailPiece",
    "DetailPyramid",
    "base_error_px",
    "detail_pyramid",
    "metres_per_pixel",
]

#: Each level's Douglas–Peucker tolerance, in pixels of its zoom; the chain of levels stays under twice this.
PIXEL_SHARE = 0.45
#: The highest zoom the map offers (Leaflet's default); at and below it every zoom has a level within a pixel.
TOP_ZOOM = 18
#: Vertices in one piece of a level (its pieces overlap by one vertex, so lines stay joined).
PIECE_VERTICES = 256
#: A level is kept when it holds at most this share of the vertices of the next finer kept level.
KEEP_SHARE = 0.5
#: Vertices in the sample the levels to keep are chosen on.
_SAMPLE_VERTICES = 200_000

_EARTH_RADIUS_M = 6_378_137.0  # Web Mercator's sphere
_TILE_PX = 256
_FULL = TOP_ZOOM + 1  # the zoom of the full geometry's level: beyond any the map offers
_LINEAR = (shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING)


def metres_per_pixel(zoom: float) -> float:
    """Web Mercator metres in one screen pixel at ``zoom`` (the same at every latitude, in Mercator metres)."""
    return 2 * math.pi * _EARTH_RADIUS_M / (_TILE_PX * 2.0**zoom)


def base_error_px(tolerance_deg: float, highest_lat: float, zoom: float, *, rounding_deg: float = 1e-5) -> float:
    """At most how many pixels at ``zoom`` a copy simplified within ``tolerance_deg`` (lon/lat) strays.

    A degree of longitude is ``256·2^z/360`` pixels and a degree of latitude ``1/cos φ`` times as
    many, most at the highest latitude; the page's coordinate grid (``rounding_deg``) adds its own.
    """
    px_per_degree = _TILE_PX * 2.0**zoom / 360.0 / math.cos(math.radians(min(85.0, abs(highest_lat))))
    return (tolerance_deg + rounding_deg) * px_per_degree


@dataclass(frozen=True)
class _Level:
    """One level: Mercator coordinates of all its lines, cut into pieces with an index over their extents."""

    zoom: int  # the finest zoom this level draws within a pixel (it draws coarser zooms closer still)
    xy: np.ndarray  # (n, 2) Web Mercator metres
    starts: np.ndarray  # each piece's first vertex in ``xy``
    ends: np.ndarray  # one past each piece's last vertex
    features: np.ndarray  # each piece's feature: its position in the layer's frame
    tree: shapely.STRtree = field(repr=False)

    @property
    def vertices(self) -> int:
        """Vertices of the level (pieces share their joints, which are counted once)."""
        return len(self.xy)


@dataclass(frozen=True)
class DetailPiece:
    """The part of a layer in a view at one level: lines in lon/lat, each with its feature's position."""

    zoom: int
    lines: np.ndarray  # shapely LineStrings, lon/lat
    features: np.ndarray  # index-aligned with ``lines``: position of each line's feature in the frame


@dataclass(frozen=True)
class DetailPyramid:
    """A line layer at several levels of detail; :meth:`piece` answers a view at a zoom.

    ``base_zoom`` is the highest zoom at which the layer's display copy is within a pixel: up to it
    no detail is needed. ``levels`` go from coarse to fine; the last holds the full geometry.
    ``ids`` names each feature position a piece gives, so a filtered copy of the layer finds its own.
    """

    base_zoom: int
    levels: tuple[_Level, ...]
    ids: np.ndarray = field(repr=False)  # the layer's feature ids, by position (what ``features`` index)

    def level_for(self, zoom: float) -> _Level | None:
        """The level that draws ``zoom`` within a pixel (the coarsest that does), or ``None`` below detail."""
        wanted = math.ceil(zoom - 1e-9)
        if wanted <= self.base_zoom:
            return None
        return next((level for level in self.levels if level.zoom >= wanted), self.levels[-1])

    def piece(self, zoom: float, bounds: tuple[float, float, float, float]) -> DetailPiece | None:
        """The layer's lines crossing ``bounds`` (west, south, east, north in degrees) at the level for ``zoom``.

        ``None`` when the display copy already draws this zoom within a pixel.
        """
        level = self.level_for(zoom)
        if level is None:
            return None
        west, south, east, north = bounds
        x0, y0 = to_mercator().transform(west, max(-85.0, south))
        x1, y1 = to_mercator().transform(east, min(85.0, north))
        found = np.sort(level.tree.query(shapely.box(x0, y0, x1, y1)))
        if len(found) == 0:
            return DetailPiece(level.zoom, np.array([], dtype=object), np.array([], dtype=np.int64))
        starts, ends = level.starts[found], level.ends[found]
        counts = ends - starts
        take = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts) + np.arange(counts.sum())
        pieces = shapely.linestrings(level.xy[take], indices=np.repeat(np.arange(len(found)), counts))
        clipped = shapely.clip_by_rect(pieces, x0, y0, x1, y1)  # in Mercator, where the map draws straight
        parts, which = shapely.get_parts(clipped, return_index=True)
        drawn = shapely.get_num_coordinates(parts) >= 2
        parts, which = parts[drawn], which[drawn]
        xy, line = shapely.get_coordinates(parts, return_index=True)
        lon, lat = from_mercator().transform(xy[:, 0], xy[:, 1])
        lines = shapely.linestrings(np.column_stack([lon, lat]), indices=line) if len(parts) else parts
        return DetailPiece(level.zoom, np.asarray(lines, dtype=object), level.features[found][which])


#: How many threads make a pyramid's projection and simplification (PROJ and GEOS release the GIL).
_THREADS = max(1, min(4, os.cpu_count() or 1))


def _mercator_xy(lonlat: np.ndarray) -> np.ndarray:
    """Web Mercator x, y of lon/lat vertices (latitudes clipped to ±85°), in one slice per thread.

    Each thread has a transformer of its own (a pyproj transformer is not shared between threads).
    """

    def project(chunk: np.ndarray) -> np.ndarray:
        x, y = to_mercator().transform(chunk[:, 0], np.clip(chunk[:, 1], -85.0, 85.0))
        return np.column_stack([x, y])

    if _THREADS == 1 or len(lonlat) < 100_000:
        return project(lonlat)
    with ThreadPoolExecutor(_THREADS) as pool:
        return np.concatenate(list(pool.map(project, np.array_split(lonlat, _THREADS))))


def _simplified(lines: np.ndarray, tolerance_m: float) -> np.ndarray:
    """``shapely.simplify`` of every line (no topology kept), in one slice of the lines per thread."""
    simplify = partial(shapely.simplify, tolerance=tolerance_m, preserve_topology=False)
    if _THREADS == 1 or len(lines) < 2 * _THREADS:
        return simplify(lines)
    with ThreadPoolExecutor(_THREADS) as pool:
        return np.concatenate(list(pool.map(simplify, np.array_split(lines, _THREADS))))


def _pieces(xy: np.ndarray, line_starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut lines (vertices ``xy``, each line from ``line_starts[i]`` to the next) into overlapping pieces.

    Returns each piece's start, end (exclusive) and line.
    """
    line_ends = np.append(line_starts[1:], len(xy))
    step = PIECE_VERTICES - 1
    per_line = np.maximum(1, np.ceil((line_ends - line_starts - 1) / step).astype(np.int64))
    line = np.repeat(np.arange(len(line_starts)), per_line)
    within = np.arange(per_line.sum()) - np.repeat(np.cumsum(per_line) - per_line, per_line)
    starts = line_starts[line] + within * step
    ends = np.minimum(starts + PIECE_VERTICES, line_ends[line])
    return starts, ends, line


def _level(zoom: int, lines: np.ndarray, features: np.ndarray) -> _Level:
    """A level from Mercator linestrings (``features``: each line's feature)."""
    xy, which = shapely.get_coordinates(lines, return_index=True)
    line_starts = np.searchsorted(which, np.arange(len(lines)))
    starts, ends, line = _pieces(xy, line_starts)
    last = ends - 1
    # Each piece's extent: the vertices from its start up to the next piece's start, and its own last vertex.
    low = np.minimum(np.minimum.reduceat(xy, starts, axis=0), xy[last])
    high = np.maximum(np.maximum.reduceat(xy, starts, axis=0), xy[last])
    boxes = shapely.box(low[:, 0], low[:, 1], high[:, 0], high[:, 1])
    return _Level(zoom, xy, starts, ends, features[line], shapely.STRtree(boxes))


def _zooms_to_keep(lines: np.ndarray, base_zoom: int) -> list[int]:
    """The zooms, coarse to fine, whose levels hold at most :data:`KEEP_SHARE` of the next finer kept level.

    Chosen on a sample of the lines (every k-th), which keeps their proportions.
    """
    counts = shapely.get_num_coordinates(lines)
    sample = lines[:: max(1, int(counts.sum() // _SAMPLE_VERTICES))]
    finer = int(shapely.get_num_coordinates(sample).sum())
    kept: list[int] = []
    for zoom in range(TOP_ZOOM, base_zoom, -1):
        simplified = shapely.simplify(sample, PIXEL_SHARE * metres_per_pixel(zoom), preserve_topology=False)
        count = int(shapely.get_num_coordinates(simplified).sum())
        if count <= KEEP_SHARE * finer:
            kept.append(zoom)
            finer = count
    return kept[::-1]


def highest_latitude(gdf: gpd.GeoDataFrame) -> float:
    """The largest absolute latitude of a layer's extent."""
    _, south, _, north = gdf.total_bounds
    return max(abs(south), abs(north))


def detail_pyramid(gdf: gpd.GeoDataFrame, display_tolerance_deg: float) -> DetailPyramid | None:
    """The levels of detail of a line layer whose display copy was simplified within ``display_tolerance_deg``.

    ``None`` when the display copy is the layer itself (nothing was simplified), the layer is not
    made of lines, or the display copy is within a pixel at every zoom of the map.
    """
    if display_tolerance_deg <= 0 or len(gdf) == 0:
        return None
    require_wgs84(gdf, "the layer given levels of detail")
    geoms = gdf.geometry.to_numpy()
    if not np.isin(shapely.get_type_id(geoms), _LINEAR).all():
        return None
    lat = highest_latitude(gdf)
    base_zoom = 0
    while base_zoom < TOP_ZOOM and base_error_px(display_tolerance_deg, lat, base_zoom + 1) <= 1.0:
        base_zoom += 1
    if base_zoom >= TOP_ZOOM:
        return None
    parts, features = shapely.get_parts(geoms, return_index=True)
    drawn = shapely.get_num_coordinates(parts) >= 2
    parts, features = parts[drawn], features[drawn]
    if len(parts) == 0:
        return None
    lonlat, which = shapely.get_coordinates(parts, return_index=True)
    xy = _mercator_xy(lonlat)
    del lonlat
    full = shapely.linestrings(xy, indices=which)
    del xy, which
    levels = [_level(_FULL, full, features)]  # the full geometry serves every zoom
    source = full
    for zoom in reversed(_zooms_to_keep(full, base_zoom)):
        source = _simplified(source, PIXEL_SHARE * metres_per_pixel(zoom))
        levels.append(_level(zoom, source, features))
    return DetailPyramid(base_zoom, tuple(levels[::-1]), gdf.index.to_numpy())
