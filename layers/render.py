"""Rendering the catalog's layers into one Folium map: every toggleable layer goes through here."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xyzservices.providers as xyz

from geo.crs import REGION_BBOX
from geo.display import DISPLAY_VERTICES, display_copy, vertex_count
from geo.places import label_column
from geo.schema import NAME_LANGUAGES
from layers.assets import offline_css, offline_js
from layers.catalog import Basemap, BasemapPart, LayerSpec
from layers.elements import (
    BASEMAP_PANE,
    Background,
    DataLayer,
    DataURL,
    DrawTools,
    Legend,
    MetricScale,
    SafeLayerControl,
    Workspace,
)
from layers.payload import PageContent, PageJSON, layer_data
from layers.popup import column_text, field_heading, sources_html
from layers.style import legend_entry
from layers.viewpoint import DEFAULT_VIEW, MapView

__all__ = [
    "BuiltMap",
    "basemap_payloads",
    "build_map",
    "element_numbers",
    "layer_payload",
    "stable_names",
]


@dataclass(frozen=True)
class BuiltMap:
    """A built map and what a page needs to know of it.

    ``groups`` names, for each layer id, the page variable that holds the layer's Leaflet layer
    group (a page shows and hides layers by it); ``js`` and ``css`` are the ``(name, URL)`` of the
    scripts and stylesheets the page must load first, in order.
    """

    map: folium.Map
    groups: Mapping[str, str]
    js: tuple[tuple[str, str], ...]
    css: tuple[tuple[str, str], ...]


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
    escapes them as it builds a tooltip or popup, when one opens. A declaration that names its
    tooltip and popup fields gets those, headed by their labels; one that names none (``None``:
    a user's layer, whose columns nobody declared) gets its naming attribute as the tooltip and
    every attribute in the popup. Such attribute names are users' text, so the page gets them
    only as headings (escaped there) and the values are keyed by position (``a0``, ``a1`` …): a
    column called ``__proto__`` stays a column.

    Parameters
    ----------
    spec
        The layer's declaration (which fields go in tooltip and popup, label field).
    gdf
        The layer's validated features.
    max_vertices
        Vertex budget of the page copy; a larger layer is simplified for display only.
    """
    gdf, _ = display_copy(gdf, max_vertices=max_vertices)
    declared = spec.popup is not None
    labelled = bool(spec.label) and spec.label in gdf.columns
    content = PageContent(
        title=spec.title,
        ids=feature_ids(gdf),
        **(_declared_fields(spec, gdf) if declared else _every_field(gdf)),
        sources=_sources(gdf) if declared else None,  # undeclared sources are one more attribute
        **drawing(spec, gdf),
        label=column_text(gdf[spec.label], spec.label) if labelled else None,
        label_zoom=_label_zoom(spec, gdf) if labelled else None,
        label_all=declared and spec.geometry == "point" and not labelled,
        **drawn_by(gdf),
    )
    return layer_data(gdf, content)


def _names(gdf: gpd.GeoDataFrame) -> dict[str, list[str | None]] | None:
    """Each feature's name in each of :data:`geo.schema.NAME_LANGUAGES` the frame has a column for (``name_ru`` …)."""
    names = {lang: column_text(gdf[f"name_{lang}"], "name") for lang in NAME_LANGUAGES if f"name_{lang}" in gdf}
    return names or None


def drawn_by(gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    """What styles and filters features in the page: status, location precision, year, names by language."""
    out: dict[str, Any] = {}
    for key, column in (("status", "status"), ("precision", "location_precision")):
        if column in gdf.columns:
            out[key] = column_text(gdf[column], column)
    if "year" in gdf.columns:
        years = pd.to_numeric(gdf["year"], errors="coerce")
        out["year"] = [None if pd.isna(y) else int(y) for y in years.tolist()]
    names = _names(gdf)
    if names:
        out["names"] = names
    return out


def _declared_fields(spec: LayerSpec, gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    """Tooltip, popup, headings and values of the fields a declaration names (those with any value)."""
    tooltip, popup = spec.tooltip or (), spec.popup or ()
    values = {field: column_text(gdf[field], field) for field in dict.fromkeys([*tooltip, *popup]) if field in gdf}
    values = {field: texts for field, texts in values.items() if any(t is not None for t in texts)}
    return {
        "tooltip": [field for field in tooltip if field in values],
        "popup": [field for field in popup if field in values],
        "headings": {field: field_heading(field) for field in values},
        "values": values,
    }


def _every_field(gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    """The naming attribute as the tooltip, every attribute in the popup, values keyed by position."""
    label = label_column(gdf)
    columns = [c for c in gdf.columns if c not in {gdf.geometry.name, "id"}]
    keys = [f"a{i}" for i in range(len(columns))]
    values = {
        key: column_text(gdf[column], str(column), max_chars=300) for key, column in zip(keys, columns, strict=True)
    }
    values["label"] = column_text(gdf[label], str(label), max_chars=200) if label in gdf else [None] * len(gdf)
    return {
        "tooltip": ["label"],
        "popup": keys,
        "headings": {key: str(column)[:60] for key, column in zip(keys, columns, strict=True)},
        "values": values,
    }


def text_content(count: int, tooltips: Sequence[str] | None = None) -> PageContent:
    """Page content of ``count`` features that show at most a plain-text tooltip (basemap parts, overlays)."""
    return PageContent(
        ids=[str(i) for i in range(count)],
        tooltip=["label"] if tooltips is not None else [],
        values={"label": list(tooltips)} if tooltips is not None else {},
    )


def basemap_payloads(basemap: Basemap, frames: Mapping[str, gpd.GeoDataFrame]) -> dict[str, PageJSON]:
    """Page data of each basemap part, keyed by part id; missing parts are left out.

    A part drawn as labels ships its names (``name``, and ``name_ru`` … where the file has them) and
    the zoom each label shows from; the others ship geometry only.
    """
    return {part.id: _basemap_payload(part, frames[part.id]) for part in basemap.parts if part.id in frames}


def _basemap_payload(part: BasemapPart, gdf: gpd.GeoDataFrame) -> PageJSON:
    if part.labels is None or "name" not in gdf.columns:
        return layer_data(gdf, text_content(len(gdf)))
    zoom = None
    if part.min_zoom and part.min_zoom in gdf.columns:
        zoom = pd.to_numeric(gdf[part.min_zoom], errors="coerce").fillna(0).to_numpy(dtype=float)
    content = PageContent(
        ids=[str(i) for i in range(len(gdf))],
        label=column_text(gdf["name"], "name"),
        label_zoom=zoom,
        names=_names(gdf),
    )
    return layer_data(gdf, content, precision_deg=1e-4)


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
            labels=part.labels,
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


#: A folium element's name in a page: ``<name>_<random id>``, the id 32 hex digits (``Element.get_name``).
#: The pattern starts with a literal, which the regex engine finds fast: a page is ~0.3 MB of text.
_NAMED = re.compile(r"_([0-9a-f]{32})(?![0-9a-f])")
#: What precedes a name where the page declares it: a variable (``var``, ``let``, ``const``) or an HTML id.
_DECLARES = re.compile(r"(?:(?<![A-Za-z0-9_$])(?:var|let|const)\s+|(?<![A-Za-z0-9_-])id=\")$")
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")


def element_numbers(page: str) -> dict[str, str]:
    """Each random id folium gave an element of ``page`` (one it declares) → the element's number, in order."""
    order: dict[str, None] = {}
    for match in _NAMED.finditer(page):
        start = match.start()
        while start > 0 and page[start - 1] in _NAME_CHARS:  # back over the element's name
            start -= 1
        if start < match.start() and _DECLARES.search(page, max(0, start - 16), start):
            order.setdefault(match.group(1), None)
    return {random_id: f"{n:08x}" for n, random_id in enumerate(order, start=1)}


def stable_names(text: str, numbers: Mapping[str, str] | None = None) -> str:
    """``text`` with each element's random id replaced by its number (see :func:`element_numbers`).

    The same map then always gives the same bytes; only ids the page declares are replaced, where
    they name an element, never text that merely looks like one.
    """
    numbers = element_numbers(text) if numbers is None else numbers
    if not numbers:
        return text
    return _NAMED.sub(lambda match: "_" + numbers.get(match.group(1), match.group(1)), text)


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
    link_assets: bool = True,
    span: tuple[int, int] | None = None,
    draw: bool = False,
) -> BuiltMap:
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
    link_assets
        Whether the map's page links its scripts and stylesheets itself (a whole HTML page); without,
        whoever shows the map loads :attr:`BuiltMap.js` and :attr:`BuiltMap.css` (a component).
    span
        First and last year of the features: the timeline's range (no timeline without).
    draw
        Add the drawing and measuring tools (Leaflet.draw).

    Returns
    -------
    BuiltMap
        A map that loads Leaflet from the package, never from a CDN, and its layer groups by layer id.
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
    js, css = tuple(offline_js(draw=draw)), tuple(offline_css(draw=draw))
    fmap.default_js = list(js) if link_assets else []
    fmap.default_css = list(css) if link_assets else []
    fmap.add_child(Background(basemap.background))
    fmap.add_child(Workspace(span, ("en", *NAME_LANGUAGES)))
    fmap.add_child(MetricScale())
    if draw:
        fmap.add_child(DrawTools())
    base_layers: list[folium.map.Layer] = [_basemap_group(basemap, basemap_parts), *_tile_layers()]
    for base in base_layers:
        base.add_to(fmap)
    legend_entries: list[tuple[folium.FeatureGroup, str]] = []
    groups: dict[str, str] = {}
    for spec, payload in layers:
        shown = spec.visible if visible is None else spec.id in visible
        group = folium.FeatureGroup(name=spec.title, overlay=True, control=True, show=shown)
        DataLayer(
            payload,
            style=spec.style.leaflet(),
            radius=spec.style.radius,
            attribution=attribution,
            selectable=True,
        ).add_to(group)
        group.add_to(fmap)
        groups[spec.id] = group.get_name()
        legend_entries.append((group, legend_entry(spec.style, spec.geometry, spec.legend)))
    if view is None and fit is not None:
        fmap.fit_bounds([[fit[1], fit[0]], [fit[3], fit[2]]], padding=(12, 12))
    overlay_groups = [group for group, _ in legend_entries]
    SafeLayerControl(base_layers, overlay_groups, collapsed=collapsed_control, position="topright").add_to(fmap)
    Legend(legend_entries, title="Legend").add_to(fmap)
    return BuiltMap(fmap, groups, js, css)
