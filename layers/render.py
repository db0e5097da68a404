"""Rendering the catalog's layers into one Folium map: every toggleable layer goes through here."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xyzservices.providers as xyz

from geo.crs import REGION_BBOX
from geo.display import DISPLAY_VERTICES, display_copy, vertex_count
from layers.assets import offline_css, offline_js
from layers.catalog import Basemap, LayerSpec
from layers.elements import BASEMAP_PANE, DataLayer, DataURL, Legend, MetricScale, RawHTML, SafeLayerControl
from layers.payload import PageJSON, layer_data
from layers.popup import column_text, field_heading, sources_html
from layers.style import Style, swatch_svg

__all__ = [
    "DEFAULT_VIEW",
    "PAGE_CSS",
    "MapView",
    "Overlay",
    "basemap_payloads",
    "build_map",
    "layer_payload",
    "overlay_payload",
]


@dataclass(frozen=True)
class Overlay:
    """An analysis result drawn on the map (a corridor buffer, a route) under the catalog layers."""

    title: str
    payload: PageJSON
    style: Style
    geometry: str


def overlay_payload(gdf: gpd.GeoDataFrame, tooltips: Sequence[str]) -> PageJSON:
    """Page data for an overlay: geometry plus a plain-text tooltip per feature (escaped in the page)."""
    return layer_data(gdf, text_content(len(gdf), tooltips))


@dataclass(frozen=True)
class MapView:
    """Where the map opens: centre (lat, lon) and zoom level."""

    lat: float
    lon: float
    zoom: float


#: Opens on the corridor from the Caspian to the Yellow Sea.
DEFAULT_VIEW = MapView(lat=42.0, lon=86.0, zoom=4)


PAGE_CSS = """
<style>
.leaflet-container .leaflet-control-attribution { font-size: 11px; line-height: 1.4; max-width: 60%; }
.leaflet-container .leaflet-popup-content, .leaflet-container .leaflet-tooltip { font-size: 13px; line-height: 1.35; }
.leaflet-container .ca-legend, .leaflet-container .leaflet-control-layers { font-size: 12px; }
.leaflet-container { font: 13px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
.ca-popup { max-height: 320px; overflow-y: auto; }
.ca-popup .ca-layer { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: #555; }
.ca-props { border-collapse: collapse; margin: 4px 0; }
.ca-props th { text-align: left; vertical-align: top; padding: 2px 8px 2px 0; color: #444;
               font-weight: 600; white-space: nowrap; }
.ca-props td { padding: 2px 0; overflow-wrap: anywhere; }
.ca-sources-head { font-weight: 600; margin-top: 6px; }
.ca-sources { margin: 2px 0 0 18px; padding: 0; overflow-wrap: anywhere; }
.ca-legend { background: rgba(255,255,255,.92); padding: 6px 10px; border-radius: 4px;
             box-shadow: 0 1px 4px rgba(0,0,0,.3); }
.ca-legend-title { font-weight: 700; margin-bottom: 3px; }
.ca-legend-row { display: flex; align-items: center; gap: 6px; line-height: 18px; }

.leaflet-tooltip.ca-label { background: transparent; border: none; box-shadow: none; padding: 0 2px;
                            font-weight: 600; color: #222;
            text-shadow: -1px -1px 0 #fff, 1px -1px 0 #fff, -1px 1px 0 #fff, 1px 1px 0 #fff; }

.leaflet-tooltip.ca-label::before { display: none; }
</style>
"""


#: Layers with more vertices than this (in their display copy) are drawn on canvas rather than as SVG elements.
CANVAS_FROM_VERTICES = 20_000

#: Zoom from which labels of low-ranked features (e.g. smaller cities) appear.
DETAIL_LABEL_ZOOM = 6


#: Point layers with more features than this are drawn as one clustered canvas layer.
DENSE_POINTS = 2_000


def _label_zoom(spec: LayerSpec, gdf: gpd.GeoDataFrame) -> np.ndarray | None:
    """Zoom from which each feature's permanent label shows: 0 for high-ranked features, else the detail zoom."""
    if spec.label_rank is None:
        return None
    if spec.label_rank not in gdf.columns:
        return np.full(len(gdf), DETAIL_LABEL_ZOOM)
    rank = pd.to_numeric(gdf[spec.label_rank], errors="coerce").to_numpy(dtype=float)
    return np.where(rank >= spec.label_rank_min, 0, DETAIL_LABEL_ZOOM)


def _sources(gdf: gpd.GeoDataFrame) -> list[str | None] | None:
    """Each feature's sources as an escaped HTML list (links only to http(s)), or None without a sources column."""
    if "sources" not in gdf.columns:
        return None
    return [sources_html(s) or None if isinstance(s, (list, tuple)) else None for s in gdf["sources"].tolist()]


def drawing(spec: LayerSpec, gdf: gpd.GeoDataFrame) -> dict[str, bool]:
    """How the page draws a layer's display copy: ``dense`` points on one clustered canvas, or ``canvas`` paths.

    Dense: a point layer (only points, none empty) with more than :data:`DENSE_POINTS` features.
    Canvas: more than :data:`CANVAS_FROM_VERTICES` vertices.
    """
    geoms = gdf.geometry.to_numpy()
    points = (
        spec.geometry == "point"
        and bool((shapely.get_type_id(geoms) == shapely.GeometryType.POINT).all())
        and not shapely.is_empty(geoms).any()
    )
    return {"dense": points and len(gdf) > DENSE_POINTS, "canvas": vertex_count(gdf) > CANVAS_FROM_VERTICES}


def feature_ids(gdf: gpd.GeoDataFrame) -> list[str]:
    """Each feature's id as text: its ``id`` property, else its index label."""
    return (gdf["id"] if "id" in gdf.columns else gdf.index.to_series()).astype(str).tolist()


def layer_payload(spec: LayerSpec, gdf: gpd.GeoDataFrame, *, max_vertices: int = DISPLAY_VERTICES) -> PageJSON:
    """The page data a layer ships: display geometry, ids, and the property values its tooltip and popup show.

    Values go as plain text, column by column (no per-feature HTML on the server); the page
    escapes them as it builds a tooltip or popup, when one opens.

    Parameters
    ----------
    spec
        The layer's catalog entry (which fields go in tooltip and popup, label field).
    gdf
        The layer's validated features.
    max_vertices
        Vertex budget of the page copy; a larger layer is simplified for display only.
    """
    gdf, _ = display_copy(gdf, max_vertices=max_vertices)
    values = {
        field: column_text(gdf[field], field)
        for field in dict.fromkeys([*spec.tooltip, *spec.popup])
        if field in gdf.columns
    }
    values = {field: texts for field, texts in values.items() if any(t is not None for t in texts)}
    content: dict[str, Any] = {
        "title": spec.title,
        "ids": feature_ids(gdf),
        "tooltip": [field for field in spec.tooltip if field in values],
        "popup": [field for field in spec.popup if field in values],
        "headings": {field: field_heading(field) for field in values},
        "values": values,
        "sources": _sources(gdf),
        **drawing(spec, gdf),
    }
    if spec.label and spec.label in gdf.columns:
        content["label"] = column_text(gdf[spec.label], spec.label)
        content["labelZoom"] = _label_zoom(spec, gdf)
    return layer_data(gdf, content)


def text_content(count: int, tooltips: Sequence[str] | None = None) -> dict[str, Any]:
    """Page content of ``count`` features that show at most a plain-text tooltip (basemap parts, overlays)."""
    return {
        "title": "",
        "ids": [str(i) for i in range(count)],
        "tooltip": ["label"] if tooltips is not None else [],
        "popup": [],
        "headings": {},
        "values": {"label": list(tooltips)} if tooltips is not None else {},
        "sources": None,
        "dense": False,
        "canvas": False,
    }


def basemap_payloads(basemap: Basemap, frames: Mapping[str, gpd.GeoDataFrame]) -> dict[str, PageJSON]:
    """Page data of each basemap part (geometry only), keyed by part id; missing parts are left out."""
    return {
        part.id: layer_data(frames[part.id], text_content(len(frames[part.id])))
        for part in basemap.parts
        if part.id in frames
    }


def _basemap_group(basemap: Basemap, payloads: Mapping[str, PageJSON | DataURL]) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=basemap.title, overlay=False, control=True, show=True)
    for i, part in enumerate(basemap.parts):
        if part.id not in payloads:
            continue
        DataLayer(
            payloads[part.id],
            style=part.style.leaflet(),
            interactive=False,
            canvas=True,
            pane=BASEMAP_PANE,
            attribution=basemap.attribution if i == 0 else "",
        ).add_to(group)
    return group


def _tile_layers() -> list[folium.TileLayer]:
    osm = xyz.OpenStreetMap.Mapnik
    esri = xyz.Esri.WorldImagery
    return [
        folium.TileLayer(osm, name="OpenStreetMap (online)", overlay=False, show=False),
        folium.TileLayer(esri, name="Esri World Imagery (online)", overlay=False, show=False),
    ]


def build_map(
    layers: Sequence[tuple[LayerSpec, PageJSON]],
    *,
    basemap: Basemap,
    basemap_parts: Mapping[str, PageJSON | DataURL],
    visible: Collection[str] | None = None,
    view: MapView | None = DEFAULT_VIEW,
    fit: tuple[float, float, float, float] | None = None,
    attribution: str = "",
    collapsed_control: bool = True,
    overlays: Sequence[Overlay] = (),
) -> folium.Map:
    """Build the interactive map: offline basemap, online base layers, every catalog layer, legend.

    Parameters
    ----------
    layers
        ``(spec, payload)`` for each layer, payloads made by :func:`layer_payload`.
    basemap
        The catalog's basemap declaration.
    basemap_parts
        Basemap part id → its payload, from :func:`basemap_payloads`, or the :class:`DataURL` the
        page fetches it from (the same for every map of a server: the browser keeps it).
    visible
        Ids of the layers shown on opening; ``None`` uses each layer's catalog default.
    view
        Centre and zoom to open at; ``None`` to open on ``fit``.
    fit
        Bounds (lon_min, lat_min, lon_max, lat_max) to open on when ``view`` is ``None``.
    attribution
        Plain text added to the map's attribution (data credits).
    collapsed_control
        Whether the layer control starts folded into its button.
    overlays
        Analysis results, drawn under the layers, always on, in the legend.

    Returns
    -------
    folium.Map
        A map that loads Leaflet from the package, never from a CDN.
    """
    fmap = folium.Map(
        location=[view.lat, view.lon] if view else [DEFAULT_VIEW.lat, DEFAULT_VIEW.lon],
        zoom_start=view.zoom if view else DEFAULT_VIEW.zoom,
        tiles=None,
        control_scale=False,  # a metric-only scale bar is added below
        min_zoom=3,
        max_zoom=14,
        zoom_snap=0.25,
        zoom_delta=0.5,
        max_bounds=True,
        min_lat=REGION_BBOX[1],
        min_lon=REGION_BBOX[0],
        max_lat=REGION_BBOX[3],
        max_lon=REGION_BBOX[2],
    )
    fmap.default_js = offline_js()
    fmap.default_css = offline_css()
    fmap.get_root().header.add_child(folium.Element(PAGE_CSS), name="corridor_atlas_css")
    fmap.get_root().header.add_child(
        RawHTML(f"<style>.folium-map.leaflet-container {{ background: {escape(basemap.background)}; }}</style>"),
        name="corridor_atlas_background",
    )
    fmap.add_child(MetricScale())
    _basemap_group(basemap, basemap_parts).add_to(fmap)
    for tile in _tile_layers():
        tile.add_to(fmap)
    legend_entries: list[tuple[folium.FeatureGroup, str]] = []
    for overlay in overlays:
        group = folium.FeatureGroup(name=overlay.title, overlay=True, control=True, show=True)
        DataLayer(overlay.payload, style=overlay.style.leaflet(), radius=overlay.style.radius).add_to(group)
        group.add_to(fmap)
        swatch = swatch_svg(overlay.style, overlay.geometry)
        legend_entries.append((group, f"{swatch}<span>{escape(overlay.title)}</span>"))
    for spec, payload in layers:
        shown = spec.visible if visible is None else spec.id in visible
        group = folium.FeatureGroup(name=spec.title, overlay=True, control=True, show=shown)
        DataLayer(
            payload,
            style=spec.style.leaflet(),
            radius=spec.style.radius,
            attribution=attribution,
        ).add_to(group)
        group.add_to(fmap)
        swatch = swatch_svg(spec.style, spec.geometry)
        legend_entries.append((group, f"{swatch}<span>{escape(spec.legend)}</span>"))
    if view is None and fit is not None:
        fmap.fit_bounds([[fit[1], fit[0]], [fit[3], fit[2]]], padding=(12, 12))
    SafeLayerControl(collapsed=collapsed_control, position="topright").add_to(fmap)
    Legend(legend_entries, title="Legend").add_to(fmap)
    return fmap
