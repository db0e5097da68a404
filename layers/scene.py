"""What a scene shows besides its layers, made into layers: the corridor buffer, the route and the drawings.

A scene (a :class:`layers.snapshot.SnapshotRequest`) names its layers, the status filter and the
timeline's year they are seen through, a selected feature, and optionally a route between two
places, a corridor buffer around a line or a line layer, and drawn features (GeoJSON). Exports draw
all of them as one :class:`~layers.layer.LayerSet`, so what an export shows is what the map shows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo.crs import WGS84
from geo.errors import CorridorAtlasError
from geo.filters import Filters
from geo.kinds import spot
from layers.catalog import LayerSpec
from layers.drawings import Drawing, drawing_from_geojson, drawn_frame, drawn_layers
from layers.layer import Layer, LayerSet
from layers.style import Style
from layers.view import SnapshotError

__all__ = [
    "ANALYSIS_GROUP",
    "Analyses",
    "SceneParts",
    "corridor_lines",
    "drawing_layers",
    "drawings_of",
    "scene_layers",
]

ANALYSIS_GROUP = "Analysis"
#: How many drawn features a scene may carry (a deck file is read whole).
MAX_DRAWINGS = 500


@dataclass(frozen=True)
class SceneParts:
    """What a scene shows besides its layers (every field optional)."""

    layers: tuple[str, ...]
    statuses: tuple[str, ...] | None = None
    year: int | None = None
    select: str | None = None
    route: tuple[str, str] | None = None
    corridor: str | None = None
    corridor_km: float = 50.0
    drawings: str = ""

    @property
    def filters(self) -> Filters:
        """The status filter and the timeline's year the scene's layers are seen through."""
        return Filters(self.statuses, self.year)


class Analyses:
    """The layers a scene's analyses are made from, with the rail network and places built once."""

    def __init__(self, layers: LayerSet, styles: Mapping[str, tuple[str, Style]]) -> None:
        self.layers = layers
        self.styles = styles
        self._network: object = None
        self._places: gpd.GeoDataFrame | None = None

    @property
    def places(self) -> gpd.GeoDataFrame:
        """Every point feature, by id, with a ``name``: the ends a route may join."""
        from geo.places import combine_points

        if self._places is None:
            self._places = combine_points(self.layers.frames(), self.layers.ids)
        return self._places

    def route(self, origin: str, destination: str) -> Layer:
        """The shortest rail route between two places (feature ids) as a layer, its length in the legend."""
        from geo.network import build_network, shortest_route

        network_layers = self.layers.with_role("network")
        if not len(network_layers):
            raise SnapshotError("route", "no layer of the scene has the network role, so there is nothing to route on")
        ends = []
        for place_id in (origin, destination):
            if place_id not in self.places.index:
                raise SnapshotError("route", f"{place_id!r} is not the id of a point feature (a city, a port …)")
            row = self.places.loc[place_id]
            where = spot(row.geometry)
            ends.append((str(row["name"]), where.x, where.y))
        if self._network is None:
            lines = gpd.GeoDataFrame(pd.concat([layer.frame for layer in network_layers]), crs=WGS84)
            self._network = build_network(lines)
        try:
            route = shortest_route(self._network, ends[0], ends[1])  # type: ignore[arg-type]
        except CorridorAtlasError as err:
            raise SnapshotError("route", str(err)) from err
        title, style = self.styles.get("route", ("Route", Style(colour="#E41A1C", weight=5)))
        label = f"{title} {route.origin} → {route.destination} ({route.length_km:,.0f} km)"
        frame = gpd.GeoDataFrame(
            {"name": [label], "length_km": [round(route.length_km, 1)]},
            geometry=[route.geometry],
            index=pd.Index(["route"], name="feature_id"),
            crs=WGS84,
        )
        return _analysis_layer("route", label, "line", style, frame)

    def corridor(self, corridor: str, km: float, drawn: LayerSet | None = None) -> Layer:
        """The buffer of ``km`` around a line feature or a whole line layer (``layer:<id>``) as a layer.

        ``drawn``: the scene's drawings, whose lines may be the corridor too (a proposed alignment).
        """
        from geo.corridor import corridor_buffer

        try:
            lines, name = corridor_lines(corridor, self.layers + (drawn or LayerSet(())))
        except KeyError:
            raise SnapshotError(
                "corridor", f"{corridor!r} is neither a line feature id nor layer:<line layer id>"
            ) from None
        if not 0 < km <= 500:
            raise SnapshotError("corridor_km", f"{km:g} km is outside 0–500 km")
        try:
            buffer = corridor_buffer(lines, km)
        except CorridorAtlasError as err:
            raise SnapshotError("corridor", str(err)) from err
        title, style = self.styles.get("buffer", ("Corridor buffer", Style(fill_colour="#56B4E9", fill_opacity=0.2)))
        label = f"{title} {km:g} km around {name}"
        frame = gpd.GeoDataFrame(
            {"name": [label] * len(buffer)},
            geometry=buffer.geometry.to_numpy(),
            index=pd.Index(["corridor_buffer"] * len(buffer), name="feature_id"),
            crs=WGS84,
        )
        return _analysis_layer("corridor_buffer", label, "polygon", style, frame)


def _analysis_layer(layer_id: str, legend: str, kind: str, style: Style, frame: gpd.GeoDataFrame) -> Layer:
    spec = LayerSpec(
        id=layer_id, title=legend, group=ANALYSIS_GROUP, file="", geometry=kind, legend=legend, style=style
    )
    digest = hashlib.sha256(frame.to_json().encode("utf-8")).hexdigest()[:16]
    return Layer(spec=spec, frame=frame, display=frame, key=f"{layer_id}:{digest}", shared=False)


def corridor_lines(corridor: str, layers: LayerSet) -> tuple[gpd.GeoDataFrame, str]:
    """The lines a corridor choice stands for and its name: a whole line layer (``layer:<id>``) or one feature.

    Raises
    ------
    KeyError
        No line layer or line feature has that id.
    """
    if corridor.startswith("layer:"):
        layer = layers.get(corridor.removeprefix("layer:"))
        if layer.kind != "line":
            raise KeyError(corridor)
        return layer.frame, layer.title
    for layer in layers.of_kind("line"):
        if corridor in layer.frame.index:
            lines = layer.frame.loc[[corridor]]
            name = lines["name"].iloc[0] if "name" in lines.columns else corridor
            return lines, str(name)
    raise KeyError(corridor)


def drawings_of(geojson: str, *, where: str = "drawings") -> list[Drawing]:
    """The drawings of a scene from GeoJSON text (a FeatureCollection), or an error naming the feature at fault."""
    if not geojson.strip():
        return []
    try:
        data = json.loads(geojson)
    except ValueError as err:
        raise SnapshotError(where, f"not GeoJSON text ({err})") from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise SnapshotError(where, "expected a GeoJSON FeatureCollection")
    if len(features) > MAX_DRAWINGS:
        raise SnapshotError(where, f"{len(features)} features; a scene carries at most {MAX_DRAWINGS}")
    drawings = []
    for number, feature in enumerate(features, start=1):
        geometry = drawing_from_geojson(feature)
        if geometry is None:
            raise SnapshotError(where, f"feature #{number} is not a point, line or area in lon/lat")
        properties = feature.get("properties") or {}
        name = properties.get("name") if isinstance(properties, dict) else None
        drawing_id = properties.get("id") if isinstance(properties, dict) else None
        drawings.append(
            Drawing(
                id=str(drawing_id) if drawing_id else f"drawing-{number}",
                name=str(name) if name else f"Drawing {number}",
                geometry=geometry,
            )
        )
    return drawings


def drawing_layers(geojson: str, layers: LayerSet) -> LayerSet:
    """A scene's drawings (GeoJSON text) as layers, one per kind, in colours none of ``layers`` is drawn in."""
    drawings = drawings_of(geojson)
    if not drawings:
        return LayerSet(())
    taken = {spec.style.colour.upper() for spec in (layer.spec for layer in layers)}
    return LayerSet(tuple(drawn_layers(drawn_frame(drawings), colours_taken=taken)))


def scene_layers(parts: SceneParts, layers: LayerSet, analyses: Analyses) -> LayerSet:
    """What the scene draws, bottom to top: corridor buffer, its layers through its filters, route, drawings.

    Raises
    ------
    SnapshotError
        A route, corridor or drawing cannot be made; the message names the key.
    """
    below: list[Layer] = []
    above: list[Layer] = []
    drawn = drawing_layers(parts.drawings, layers)
    if parts.corridor:
        below.append(analyses.corridor(parts.corridor, parts.corridor_km, drawn))
    if parts.route:
        above.append(analyses.route(*parts.route))
    above.extend(drawn)
    shown = layers.only(parts.layers).through(parts.filters)
    ordered = tuple(below) + tuple(shown.get(i) for i in parts.layers if i in shown) + tuple(above)
    return LayerSet(ordered)
