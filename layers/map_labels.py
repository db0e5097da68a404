"""What a static map names: the features of labelled layers, facilities, drawings, countries and places.

As on the interactive map: cities by rank (small ones only when zoomed in), facility names from
the detail zoom, a drawn feature's name with its measure, and the basemap's country and place
names from the zoom Natural Earth gives each. :func:`layers.labels.place_labels` then places them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import geopandas as gpd
import numpy as np
import shapely

from geo.columns import is_missing
from geo.crs import to_mercator
from layers.catalog import Basemap, LayerSpec
from layers.labels import LabelCandidate
from layers.render import DETAIL_LABEL_ZOOM
from layers.view import View

__all__ = ["basemap_candidates", "layer_candidates", "measure_text"]

#: Placement order: the selected feature and drawings, labelled layers, facilities, countries, places.
TIER_FIRST, TIER_LABELLED, TIER_FACILITY, TIER_COUNTRY, TIER_PLACE = range(5)
#: A basemap place this close (pixels) to a labelled feature is taken to be that feature.
_NEAR_PX = 12


def measure_text(row: Mapping[str, object]) -> str:
    """``412 km`` or ``1,250 km²`` from a feature's ``measured_km`` / ``area_km2`` (empty without)."""
    for column, unit in (("measured_km", "km"), ("area_km2", "km²")):
        value = row.get(column)
        if not is_missing(value):
            return f"{float(value):,.0f} {unit}"
    return ""


def _anchors(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator anchor of each feature: a point itself, the middle of a line, a polygon's inner point."""
    geoms = gdf.geometry.to_numpy()
    lines = np.isin(shapely.get_type_id(geoms), (1, 5))
    anchors = shapely.point_on_surface(geoms)
    if lines.any():
        anchors[lines] = shapely.line_interpolate_point(geoms[lines], 0.5, normalized=True)
    x, y = to_mercator().transform(shapely.get_x(anchors), shapely.get_y(anchors))
    return np.asarray(x), np.asarray(y)


def _in(view: View, x: float, y: float) -> bool:
    return view.x0 <= x <= view.x1 and view.y0 <= y <= view.y1


def _rows(gdf: gpd.GeoDataFrame, view: View) -> Iterator[tuple[str, float, float, Mapping[str, object]]]:
    """Each feature with a part in view, anchored on that part (a long line is named where it is seen)."""
    if len(gdf) == 0:
        return
    west, south, east, north = view.lonlat_bounds
    clipped = gdf.geometry.clip_by_rect(west, south, east, north)
    inside = ~clipped.is_empty.to_numpy()
    if not inside.any():
        return
    gdf = gdf[inside].set_geometry(clipped[inside])
    xs, ys = _anchors(gdf)
    for feature_id, x, y, (_, row) in zip(gdf.index, xs, ys, gdf.iterrows(), strict=True):
        if np.isfinite(x) and np.isfinite(y) and _in(view, x, y):
            yield str(feature_id), float(x), float(y), row


def layer_candidates(
    spec: LayerSpec, gdf: gpd.GeoDataFrame, view: View, *, selected: str | None = None
) -> list[LabelCandidate]:
    """Labels of one layer's features in view (``selected``: the feature labelled first, whatever its layer)."""
    name_column = spec.label or ("name" if "name" in gdf.columns else None)
    if name_column is None:
        return []
    detail = view.zoom >= DETAIL_LABEL_ZOOM
    out = []
    for feature_id, x, y, row in _rows(gdf, view):
        name = row.get(name_column)
        if is_missing(name) or not str(name).strip():
            continue
        text, measure = str(name), measure_text(row)
        if feature_id == selected or measure:
            tier, rank = TIER_FIRST, 0.0
            text = f"{text} ({measure})" if measure else text
        elif spec.label:
            value = row.get(spec.label_rank) if spec.label_rank else None
            rank = 0.0 if is_missing(value) else float(value)
            if spec.label_rank and rank < spec.label_rank_min and view.zoom < DETAIL_LABEL_ZOOM - 1:
                continue
            tier = TIER_LABELLED
        elif spec.geometry == "point" and detail:
            tier, rank = TIER_FACILITY, 0.0
        else:
            continue
        out.append(LabelCandidate(text=text, x=x, y=y, rank=rank, tier=tier))
    return out


def _named_already(name: str, x: float, y: float, beside: Sequence[LabelCandidate], near: float) -> bool:
    """Whether a basemap place is a feature labelled already: very close, or close and of the same name."""
    folded = name.casefold()
    for other in beside:
        distance = float(np.hypot(other.x - x, other.y - y))
        if distance < near or (distance < 6 * near and folded in other.text.casefold()):
            return True
    return False


def basemap_candidates(
    basemap: Basemap, frames: Mapping[str, gpd.GeoDataFrame], view: View, *, beside: Sequence[LabelCandidate] = ()
) -> list[LabelCandidate]:
    """Country and place names of the basemap's label parts that show at the view's zoom.

    A place within a few pixels of one of the ``beside`` labels (a city of the layers) is left out:
    it is the same town, named already.
    """
    near = _NEAR_PX * view.metres_per_pixel
    out: list[LabelCandidate] = []
    for part in basemap.parts:
        gdf = frames.get(part.id)
        if part.labels is None or gdf is None or "name" not in gdf.columns:
            continue
        kind = "country" if part.labels == "country" else "place"
        tier = TIER_COUNTRY if kind == "country" else TIER_PLACE
        for _, x, y, row in _rows(gdf, view):
            min_zoom = row.get(part.min_zoom) if part.min_zoom else None
            if not is_missing(min_zoom) and float(min_zoom) > view.zoom + 0.5:
                continue
            name = row.get("name")
            if is_missing(name):
                continue
            if kind == "place" and _named_already(str(name), x, y, beside, near):
                continue
            rank = -float(min_zoom) if not is_missing(min_zoom) else 0.0
            out.append(LabelCandidate(text=str(name), x=x, y=y, rank=rank, tier=tier, kind=kind))
    return out
