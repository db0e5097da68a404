"""Full detail for the map's view as page data: what of each large line layer the view needs, at its zoom.

Each shown layer with levels of detail (:mod:`geo.detail`) is given to the page as a source: its map
group, the zoom from which its simplified copy no longer draws within a pixel, and the URL the page
script (``CorridorAtlas.detail``) asks for the lines crossing an area around the view, at the level
that draws the zoom within a pixel. The page draws them in place of the simplified copy while they
cover the view. The area reaches a quarter of the view beyond each edge (:func:`detail_request`, done
the same way by the page), so a small pan needs no new answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import shapely

from geo.crs import to_mercator
from geo.detail import TOP_ZOOM, DetailPiece, metres_per_pixel
from layers.layer import Layer
from layers.payload import PageJSON, encode_geometry, made_safe

__all__ = [
    "DetailRequest",
    "detail_answer",
    "detail_call",
    "detail_request",
    "detail_source",
    "drawn_frame",
    "parsed_request",
]

#: The area sent reaches this share of the view's width and height beyond each edge.
PAD_SHARE = 0.25
#: The largest area answered, in pixels of its zoom on each side (a view of 4,000 pixels, padded).
MOST_PX = 8192
#: The page's coordinate grid is at most this share of a pixel of the level's zoom.
GRID_SHARE_PX = 0.1


@dataclass(frozen=True)
class DetailRequest:
    """The detail asked for: a whole zoom and an area (west, south, east, north in degrees) around the view."""

    zoom: int
    area: tuple[float, float, float, float]


def _inside(inner: tuple[float, float, float, float], outer: tuple[float, float, float, float]) -> bool:
    return inner[0] >= outer[0] and inner[1] >= outer[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def detail_request(
    view: tuple[float, float, float, float], zoom: float, previous: DetailRequest | None = None
) -> DetailRequest:
    """The request for a view (west, south, east, north) at ``zoom``: ``previous`` while it still covers the view."""
    wanted = min(TOP_ZOOM + 1, max(0, math.ceil(zoom - 1e-9)))
    if previous is not None and previous.zoom == wanted and _inside(view, previous.area):
        return previous
    west, south, east, north = view
    pad_x, pad_y = (east - west) * PAD_SHARE, (north - south) * PAD_SHARE
    area = (max(-180.0, west - pad_x), max(-85.0, south - pad_y), min(180.0, east + pad_x), min(85.0, north + pad_y))
    return DetailRequest(wanted, tuple(round(value, 6) for value in area))  # type: ignore[arg-type]


def parsed_request(query: Mapping[str, str]) -> DetailRequest:
    """The request in a page's query: ``z`` (a whole zoom) and ``bbox`` (west,south,east,north in degrees).

    Raises ``ValueError`` saying which parameter is wrong: not a number, out of range, an empty
    area, or an area larger than :data:`MOST_PX` pixels of its zoom on a side.
    """
    try:
        zoom = int(query["z"])
    except (KeyError, ValueError):
        raise ValueError(f"z must be a whole zoom from 0 to {TOP_ZOOM + 1}; got {query.get('z')!r}") from None
    try:
        area = tuple(float(part) for part in query["bbox"].split(","))
    except (KeyError, ValueError):
        area = ()
    if len(area) != 4 or not all(math.isfinite(value) for value in area):
        raise ValueError(f"bbox must be four numbers west,south,east,north; got {query.get('bbox')!r}")
    west, south, east, north = area
    if not (0 <= zoom <= TOP_ZOOM + 1):
        raise ValueError(f"z must be a whole zoom from 0 to {TOP_ZOOM + 1}; got {zoom}")
    if not (-180 <= west < east <= 180 and -85 <= south < north <= 85):
        raise ValueError(f"bbox must have west < east within ±180 and south < north within ±85; got {area}")
    x_west, y_south = to_mercator().transform(west, south)
    x_east, y_north = to_mercator().transform(east, north)
    wide_px, high_px = (x_east - x_west) / metres_per_pixel(zoom), (y_north - y_south) / metres_per_pixel(zoom)
    if max(wide_px, high_px) > MOST_PX:
        raise ValueError(f"bbox spans {max(wide_px, high_px):,.0f} pixels at zoom {zoom}; at most {MOST_PX:,}")
    return DetailRequest(zoom, (west, south, east, north))


def grid_degrees(zoom: int, highest_lat: float) -> float:
    """A power of ten of degrees at most :data:`GRID_SHARE_PX` of a pixel at ``zoom`` (latitude pixels are shorter)."""
    pixel_deg = 360.0 / (256 * 2.0**zoom) * math.cos(math.radians(min(85.0, abs(highest_lat))))
    return 10.0 ** math.floor(math.log10(pixel_deg * GRID_SHARE_PX))


def positions_in(layer: Layer, piece: DetailPiece) -> np.ndarray:
    """Each piece line's feature as a position in ``layer``'s frame (-1 where a filter left it out)."""
    assert layer.detail is not None
    return layer.frame.index.get_indexer(layer.detail.ids[piece.features])


def detail_answer(shown: Layer, group: str, request: DetailRequest) -> dict[str, Any] | None:
    """The detail of ``shown`` (a layer as the filters show it) for a request, for its map group ``group``.

    ``None`` when the layer has no levels of detail. ``from`` is the zoom from which the layer needs
    detail; below it (the simplified copy draws the zoom within a pixel) nothing else is sent. Each line
    is given its feature's position in ``shown`` (what the page's data are indexed by); lines of
    features the filters hide are left out.
    """
    if shown.detail is None:
        return None
    needed_from = shown.detail.base_zoom + 1
    piece = shown.detail.piece(request.zoom, request.area)
    if piece is None:
        return {"group": group, "from": needed_from}
    positions = positions_in(shown, piece)
    kept = positions >= 0
    highest = max(abs(request.area[1]), abs(request.area[3]))
    grid = grid_degrees(piece.zoom, highest)
    return {
        "group": group,
        "from": needed_from,
        "key": f"{shown.key}|{piece.zoom}|{request.area}",
        "zoom": piece.zoom,
        "bounds": list(request.area),
        "geometry": encode_geometry(piece.lines[kept], precision_deg=grid),
        "features": np.asarray(positions[kept], dtype=np.int64),
    }


def drawn_frame(layer: Layer, bounds: tuple[float, float, float, float], zoom: float) -> gpd.GeoDataFrame:
    """What a static map of ``bounds`` (west, south, east, north) at ``zoom`` draws of a layer.

    Its lines in the extent at the level that draws the zoom within a pixel, one geometry per
    feature with the feature's properties, when the layer has levels and its display copy would
    not do; else the display copy.
    """
    piece = layer.detail.piece(zoom, bounds) if layer.detail is not None else None
    if piece is None:
        return layer.display
    positions = positions_in(layer, piece)
    kept = positions >= 0
    features, inverse = np.unique(positions[kept], return_inverse=True)
    geometry = shapely.multilinestrings(piece.lines[kept], indices=inverse) if len(features) else []
    rows = layer.frame.iloc[features]
    return gpd.GeoDataFrame(rows.drop(columns=rows.geometry.name), geometry=geometry, index=rows.index, crs=4326)


def detail_source(shown: Layer, group: str, url: str) -> dict[str, Any]:
    """What the page needs to fetch ``shown``'s detail for its map group ``group`` from ``url``.

    ``from``: the zoom from which it needs detail (below, the simplified copy draws within a pixel);
    ``pad``: the share of the view the area reaches beyond each edge (:data:`PAD_SHARE`).
    """
    assert shown.detail is not None
    return {"group": group, "from": shown.detail.base_zoom + 1, "url": url, "pad": PAD_SHARE}


def detail_call(sources: Sequence[dict[str, Any]]) -> PageJSON:
    """The page script's call that draws the detail of ``sources`` (see :func:`detail_source`) on ``window.map``."""
    data = made_safe(orjson.dumps(list(sources)).decode("utf-8"))
    return PageJSON(f"CorridorAtlas.detail(window.map, {data});")
