"""Static map images (PNG, SVG, PDF) drawn with matplotlib from the same catalog styles as the web map."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerPatch
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch
from matplotlib.path import Path
from matplotlib.transforms import Bbox

from geo.crs import WEB_MERCATOR
from layers.catalog import Basemap, LayerSpec
from layers.feature_style import feature_styles, style_rows
from layers.furniture import (
    FORMATS,
    RC,
    MapText,
    ScaleBar,
    draw_north_arrow,
    draw_scale_bar,
    draw_text,
    drawable_text,
    scale_bar_box,
)
from layers.labels import place_labels
from layers.map_labels import basemap_candidates, layer_candidates
from layers.style import Style
from layers.view import View

__all__ = ["FORMATS", "HALO_COLOUR", "MapText", "ScaleBar", "StaticMap", "TileImage", "draw_map", "figure_bytes"]

_PX_TO_PT = 0.75  # styles are in CSS pixels (1/96 in); matplotlib sizes are in points (1/72 in)
#: A legend longer than this is set in two columns, so it covers less of the map.
_LEGEND_ROWS_PER_COLUMN = 10
#: The selection halo, as on the interactive map.
HALO_COLOUR = "#FFD400"


@dataclass(frozen=True)
class TileImage:
    """A raster background already fetched: RGB(A) pixels covering Web Mercator bounds."""

    pixels: np.ndarray
    bounds: tuple[float, float, float, float]
    attribution: str


@dataclass
class StaticMap:
    """A drawn snapshot and what it shows."""

    figure: Figure
    view: View
    legend: list[str]  # entries of the layers that have features in view, in drawing order
    labels: list[str]
    scale_bar: ScaleBar
    layers: list[str] = field(default_factory=list)  # ids of the layers with features in view


# --- geometry to matplotlib ----------------------------------------------------------------------


def _in_view(gdf: gpd.GeoDataFrame, view: View) -> np.ndarray:
    """Geometries projected to Web Mercator, clipped to the view (plus a margin) and simplified."""
    if len(gdf) == 0:
        return np.array([], dtype=object)
    geoms = gdf.geometry.to_crs(WEB_MERCATOR).to_numpy()
    pad = 0.02 * (view.x1 - view.x0)
    geoms = shapely.clip_by_rect(geoms, view.x0 - pad, view.y0 - pad, view.x1 + pad, view.y1 + pad)
    # display only: sub-pixel detail goes; topology need not be kept for drawing
    geoms = shapely.simplify(geoms, 0.4 * view.metres_per_pixel, preserve_topology=False)
    return geoms[~shapely.is_empty(geoms)]


def _polygon_path(geom: Any) -> Path | None:
    vertices, codes = [], []
    for poly in shapely.get_parts(geom):
        if poly.geom_type != "Polygon":
            continue
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)
            if len(xy) < 4:
                continue
            vertices.append(xy)
            codes.extend([Path.MOVETO] + [Path.LINETO] * (len(xy) - 2) + [Path.CLOSEPOLY])
    if not vertices:
        return None
    return Path(np.concatenate(vertices), codes)


def _line_parts(geoms: np.ndarray) -> list[np.ndarray]:
    parts = []
    for geom in geoms:
        for part in shapely.get_parts(geom):
            if part.geom_type == "LineString" and len(part.coords) > 1:
                parts.append(np.asarray(part.coords))
            elif part.geom_type == "Polygon":
                parts.append(np.asarray(part.exterior.coords))
    return parts


def _dashes(style: Style) -> Any:
    if not style.dash:
        return "solid"
    pattern = tuple(float(v) * _PX_TO_PT for v in style.dash.replace(",", " ").split())
    return (0, pattern)


def _draw_geoms(ax: Any, geoms: np.ndarray, style: Style, geometry: str, zorder: float) -> None:
    if len(geoms) == 0:
        return
    lw = style.weight * _PX_TO_PT
    if geometry == "polygon":
        paths = [p for p in (_polygon_path(g) for g in geoms) if p is not None]
        ax.add_collection(
            PathCollection(
                paths,
                facecolor=to_rgba(style.fill_colour, style.fill_opacity) if style.fill_colour else "none",
                alpha=None,
                edgecolor=style.colour if lw > 0 else "none",
                linewidth=lw,
                zorder=zorder,
            )
        )
    elif geometry == "line":
        ax.add_collection(
            LineCollection(
                _line_parts(geoms),
                colors=style.colour,
                linewidths=lw,
                linestyles=_dashes(style),
                alpha=style.opacity,
                capstyle="round" if style.dash else "butt",
                joinstyle="round",
                zorder=zorder,
            )
        )
    else:
        points = shapely.get_coordinates(shapely.get_parts(geoms))
        ax.scatter(
            points[:, 0],
            points[:, 1],
            s=(2 * style.radius * _PX_TO_PT) ** 2,
            c=[to_rgba(style.fill_colour, style.fill_opacity) if style.fill_colour else style.colour],
            edgecolors=style.colour,
            linewidths=lw,
            linestyles=_dashes(style),
            zorder=zorder,
        )


def _draw_halo(ax: Any, geoms: np.ndarray, style: Style, geometry: str, zorder: float) -> None:
    """The selection's halo under a feature, in the map's selection yellow."""
    halo = Style(colour=HALO_COLOUR, weight=style.weight + 8, opacity=0.9, fill_colour=HALO_COLOUR, fill_opacity=0.9)
    if geometry == "point":
        halo = replace(halo, radius=style.radius + 5, weight=0)
    elif geometry == "polygon":
        halo = replace(halo, fill_colour=None, weight=6)
        geometry = "line"
        geoms = shapely.boundary(geoms)
    _draw_geoms(ax, geoms, halo, geometry, zorder)


class _Marker(Circle):
    """A point layer's legend sample: a circle whose outline may be dashed (a marker's cannot)."""


class _MarkerHandler(HandlerPatch):
    """Draws a :class:`_Marker` centred in its legend row, at its own radius in points."""

    def create_artists(
        self,
        legend: Any,
        orig_handle: Any,
        xdescent: float,
        ydescent: float,
        width: float,
        height: float,
        fontsize: float,
        trans: Any,
    ) -> list[Any]:
        circle = Circle((width / 2 - xdescent, height / 2 - ydescent), radius=orig_handle.radius)
        self.update_prop(circle, orig_handle, legend)
        circle.set_transform(trans)
        return [circle]


def _legend_handle(style: Style, geometry: str) -> Any:
    if geometry == "line":
        return Line2D(
            [],
            [],
            color=style.colour,
            linewidth=style.weight * _PX_TO_PT,
            linestyle=_dashes(style),
            alpha=style.opacity,
        )
    fill = to_rgba(style.fill_colour, style.fill_opacity) if style.fill_colour else "none"
    if geometry == "point":
        radius = min(style.radius, 8.0) * _PX_TO_PT
        return _Marker(
            (0, 0),
            radius,
            facecolor=fill,
            edgecolor=style.colour,
            linewidth=style.weight * _PX_TO_PT,
            linestyle=_dashes(style),
        )
    return Patch(facecolor=fill, edgecolor=style.colour, linestyle=_dashes(style))


# --- the map -------------------------------------------------------------------------------------


def _extent(artist: Any, renderer: Any) -> Any:
    """The display box of a map element, its text box's padding included (labels keep out of it)."""
    box = artist.get_window_extent(renderer)
    patch = artist.get_bbox_patch() if hasattr(artist, "get_bbox_patch") else None
    if patch is None:
        return box
    artist.update_bbox_position_size(renderer)  # the patch is placed at drawing time; place it now
    return Bbox.union([box, patch.get_window_extent(renderer)])


def _draw_basemap(ax: Any, view: View, basemap: Basemap, frames: Mapping[str, gpd.GeoDataFrame]) -> None:
    for i, part in enumerate(basemap.parts):
        if part.id in frames and part.labels is None:  # label parts are names, placed with the others
            geoms = _in_view(frames[part.id], view)
            _draw_geoms(ax, geoms, part.style, part.geometry, zorder=1 + i * 0.1)


def _draw_layers(
    ax: Any, view: View, layers: Sequence[tuple[LayerSpec, gpd.GeoDataFrame]], selected: str | None
) -> tuple[list[LayerSpec], list[gpd.GeoDataFrame]]:
    """Each layer's features in their styles by status and precision, the selection's halo under its feature."""
    shown: list[LayerSpec] = []
    in_view: list[gpd.GeoDataFrame] = []
    for i, (spec, gdf) in enumerate(layers):
        zorder = (20 if spec.geometry == "point" else 10) + i * 0.1
        drawn = False
        for style, mask in feature_styles(spec.style, spec.geometry, gdf):
            geoms = _in_view(gdf[mask], view)
            _draw_geoms(ax, geoms, style, spec.geometry, zorder=zorder)
            drawn = drawn or len(geoms) > 0
        if selected is not None and selected in gdf.index:
            _draw_halo(ax, _in_view(gdf.loc[[selected]], view), spec.style, spec.geometry, zorder - 0.05)
        if drawn:
            shown.append(spec)
            in_view.append(gdf)
    return shown, in_view


def draw_map(
    view: View,
    layers: Sequence[tuple[LayerSpec, gpd.GeoDataFrame]],
    *,
    basemap: Basemap,
    basemap_frames: Mapping[str, gpd.GeoDataFrame],
    text: MapText = MapText(),
    tiles: TileImage | None = None,
    selected: str | None = None,
) -> StaticMap:
    """Draw a snapshot: basemap (or tiles), layers in order, labels, legend and furniture, as the map shows them.

    Parameters
    ----------
    view
        Extent and image size.
    layers
        The layers with their features (WGS84), bottom to top.
    basemap
        The catalog's basemap declaration.
    basemap_frames
        Basemap part id → features (WGS84); label parts give country and place names.
    text
        Title, subtitle, attribution, footnote and the timeline's stamp.
    tiles
        An optional raster background drawn instead of the vector basemap's fill.
    selected
        The id of the selected feature: drawn with the map's yellow halo and labelled first.

    Returns
    -------
    StaticMap
        The figure and what it shows (legend entries, placed labels, scale bar).
    """
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(view.width_px / view.dpi, view.height_px / view.dpi), dpi=view.dpi)
        FigureCanvasAgg(fig)
        fig.patch.set_facecolor(basemap.background)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.set_xlim(view.x0, view.x1)
        ax.set_ylim(view.y0, view.y1)
        ax.set_aspect("equal", adjustable="box")
        if tiles is not None:
            b = tiles.bounds
            ax.imshow(tiles.pixels, extent=(b[0], b[2], b[1], b[3]), interpolation="bilinear", zorder=0)
        else:
            _draw_basemap(ax, view, basemap, basemap_frames)
        shown, in_view = _draw_layers(ax, view, layers, selected)
        top_texts, bottom_texts = draw_text(fig, ax, text)
        renderer = fig.canvas.get_renderer()
        bottom = max([t.get_window_extent(renderer).y1 / fig.bbox.height for t in bottom_texts] or [0.0])
        rows = [(spec.legend, spec.style, spec.geometry) for spec in shown] + style_rows(in_view)
        legend = ax.legend(
            [_legend_handle(style, geometry) for _, style, geometry in rows],
            [drawable_text(label) for label, _, _ in rows],
            handler_map={_Marker: _MarkerHandler()},
            title="Legend",
            loc="lower left",
            bbox_to_anchor=(0.008, bottom + 0.012),
            fontsize=8,
            title_fontsize=8.5,
            frameon=True,
            framealpha=0.92,
            handlelength=3.2,
            borderpad=0.6,
            ncols=2 if len(rows) > _LEGEND_ROWS_PER_COLUMN else 1,
        )
        legend.set_zorder(60)
        legend._legend_box.align = "left"
        scale = draw_scale_bar(ax, view, bottom)
        furniture = [draw_north_arrow(fig), *top_texts, *bottom_texts, legend]
        obstacles = [_extent(a, renderer) for a in furniture]
        obstacles.append(scale_bar_box(ax, scale, renderer))
        candidates = [c for spec, gdf in layers for c in layer_candidates(spec, gdf, view, selected=selected)]
        candidates += basemap_candidates(basemap, basemap_frames, view, beside=candidates) if tiles is None else []
        candidates = [replace(c, text=drawable_text(c.text)) for c in candidates]
        placed = place_labels(ax, renderer, candidates, obstacles=obstacles)
    return StaticMap(
        figure=fig,
        view=view,
        legend=[spec.legend for spec in shown],
        labels=placed,
        scale_bar=scale,
        layers=[spec.id for spec in shown],
    )


def figure_bytes(static: StaticMap, fmt: str) -> bytes:
    """Encode a drawn map as PNG, SVG or PDF, without timestamps, so equal inputs give equal files."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    metadata = {
        "png": {"Software": None},
        "svg": {"Date": None, "Creator": None},
        "pdf": {"CreationDate": None, "Creator": None, "Producer": None},
    }
    buffer = io.BytesIO()
    with matplotlib.rc_context(RC):
        static.figure.savefig(
            buffer,
            format=fmt,
            dpi=static.view.dpi,
            metadata=metadata[fmt],
            facecolor=static.figure.get_facecolor(),
            **({"pil_kwargs": {"compress_level": 3}} if fmt == "png" else {}),
        )
    return buffer.getvalue()
