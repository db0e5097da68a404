"""Full detail for the map's view as page data: what of each large line layer the view needs, at its zoom.

The map reports its view; for each shown layer with levels of detail (:mod:`geo.detail`) the page is
sent the lines crossing an area around the view, at the level that draws the zoom within a pixel.
The page script (``CorridorAtlas.detail``) draws them in place of the layer's simplified copy while
they cover the view. The area reaches half a view beyond each edge, so a small pan needs no new
answer, and an unchanged answer is the same text (the page does nothing with it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import shapely

from geo.detail import TOP_ZOOM, DetailPiece
from layers.layer import Layer
from layers.payload import PageJSON, encode_geometry, made_safe

__all__ = ["DetailRequest", "detail_answer", "detail_call", "detail_request", "drawn_frame"]

#: The area sent reaches this share of the view's width and height beyond each edge.
PAD_SHARE = 0.25
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


def detail_call(answers: Sequence[dict[str, Any]]) -> PageJSON:
    """The page script's call that draws ``answers`` (see :func:`detail_answer`) on ``window.map``."""
    data = made_safe(orjson.dumps(list(answers), option=orjson.OPT_SERIALIZE_NUMPY).decode("utf-8"))
    return PageJSON(f"CorridorAtlas.detail(window.map, {data});")
