"""What a user draws on the map as layers: proposed alignments (lines), areas and points, measured geodesically."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import NamedTuple

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.crs import WGS84
from geo.kinds import kind_of
from geo.measure import area_km2, geodesic_length_km
from layers.layer import Layer
from layers.uploads import upload_spec

__all__ = [
    "DRAWN_GROUP",
    "DRAWN_KINDS",
    "Drawing",
    "drawing_from_geojson",
    "drawings_geojson",
    "drawn_frame",
    "drawn_layers",
]

DRAWN_GROUP = "Your drawings"
#: Each kind of drawing is one layer: its id, title and what one drawing of it is called.
DRAWN_KINDS: dict[str, tuple[str, str, str]] = {
    "line": ("drawn_lines", "Drawn lines (proposed alignments)", "Proposed alignment"),
    "polygon": ("drawn_areas", "Drawn areas", "Drawn area"),
    "point": ("drawn_points", "Drawn points", "Drawn point"),
}


class Drawing(NamedTuple):
    """One drawn feature: its id, the name the user gave it, and its geometry (WGS84)."""

    id: str
    name: str
    geometry: BaseGeometry

    @property
    def kind(self) -> str:
        """``line``, ``polygon`` or ``point``."""
        return kind_of(self.geometry)


def drawing_from_geojson(feature: object) -> BaseGeometry | None:
    """The geometry of a feature the map sent back, or ``None`` when it is not one drawing can be made of."""
    if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
        return None
    try:
        geometry = shapely.geometry.shape(feature["geometry"])
    except (ValueError, TypeError, KeyError, AttributeError, shapely.errors.GEOSException):
        return None
    if geometry.is_empty or geometry.geom_type not in {"Point", "LineString", "Polygon"}:
        return None
    x0, y0, x1, y1 = geometry.bounds
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        return None
    return shapely.make_valid(geometry) if geometry.geom_type == "Polygon" else geometry


def drawn_frame(drawings: Sequence[Drawing]) -> gpd.GeoDataFrame:
    """Drawings as features, index ``id``, with their geodesic length (lines, km) or area (polygons, km²)."""
    frame = gpd.GeoDataFrame(
        {"id": [d.id for d in drawings], "name": [d.name for d in drawings], "kind": [d.kind for d in drawings]},
        geometry=[d.geometry for d in drawings],
        crs=WGS84,
    ).set_index("id", drop=False)
    frame.index.name = "feature_id"  # as every layer frame is indexed
    kinds = frame["kind"]
    frame["measured_km"] = geodesic_length_km(frame).where(kinds == "line").round(2)
    frame["area_km2"] = area_km2(frame).where(kinds == "polygon").round(2)
    frame["location_precision"] = "exact"
    return frame


def drawn_layers(frame: gpd.GeoDataFrame, colours_taken: Collection[str] = ()) -> list[Layer]:
    """One layer per kind of drawing in ``frame`` (made by :func:`drawn_frame`), in a colour no catalog layer uses.

    Drawings take the upload colours from the end of the list, uploads from its start.
    """
    layers = []
    for n, (kind, (layer_id, title, _)) in enumerate(DRAWN_KINDS.items()):
        part = frame[frame["kind"] == kind].dropna(axis=1, how="all")
        if part.empty:
            continue
        digest = hashlib.sha256(part.to_json().encode("utf-8")).hexdigest()[:16]
        spec = upload_spec(layer_id, title, kind, -1 - n, colours_taken=colours_taken)
        spec = replace(spec, group=DRAWN_GROUP)
        layers.append(Layer(spec=spec, frame=part, display=part, key=f"{layer_id}:{digest}", shared=False))
    return layers


def drawings_geojson(frame: gpd.GeoDataFrame) -> str:
    """Drawings (a :func:`drawn_frame`) as one GeoJSON FeatureCollection (RFC 7946, WGS84), with names and measures."""
    return json.dumps(json.loads(frame.to_json(drop_id=True, na="drop")), ensure_ascii=False, indent=1)
