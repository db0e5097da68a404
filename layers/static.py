"""Static map images (PNG, SVG, PDF) drawn with matplotlib from the same catalog styles as the web map."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path
from matplotlib.transforms import Bbox

from geo.columns import is_missing
from geo.crs import GEOD, WEB_MERCATOR, from_mercator, to_mercator
from layers.catalog import Basemap, LayerSpec
from layers.labels import LabelCandidate, place_labels
from layers.render import DETAIL_LABEL_ZOOM
from layers.style import Style
from layers.view import View

__all__ = ["FORMATS", "MapText", "ScaleBar", "StaticMap", "TileImage", "draw_map", "figure_bytes"]

FORMATS: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
_PX_TO_PT = 0.75  # styles are in CSS pixels (1/96 in); matplotlib sizes are in points (1/72 in)
_RC = {
    "svg.hashsalt": "corridor-atlas",
    "svg.fonttype": "none",
    "lines.scale_dashes": False,
    "font.family": "DejaVu Sans",
    "text.parse_math": False,  # titles and names are text, never mathtext ($…$)
}


@dataclass(frozen=True)
class MapText:
    """The words on a snapshot: title block, attribution and footnote (plain text)."""

    title: str = ""
    subtitle: str = ""
    attribution: str = ""
    footnote: str = ""


@dataclass(frozen=True)
class TileImage:
    """A raster background already fetched: RGB(A) pixels covering Web Mercator bounds."""

    pixels: np.ndarray
    bounds: tuple[float, float, float, float]
    attribution: str


@dataclass(frozen=True)
class ScaleBar:
    """Where the scale bar was drawn (Web Mercator metres) and the ground length it states."""

    x0: float
    x1: float
    y: float
    length_km: float


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
                facecolor=style.fill_colour or "none",
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
            c=style.fill_colour or style.colour,
            edgecolors=style.colour,
            linewidths=lw,
            zorder=zorder,
        )


def _legend_handle(spec: LayerSpec) -> Any:
    style = spec.style
    if spec.geometry == "line":
        return Line2D([], [], color=style.colour, linewidth=style.weight * _PX_TO_PT, linestyle=_dashes(style))
    if spec.geometry == "point":
        return Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=2 * style.radius * _PX_TO_PT,
            markerfacecolor=style.fill_colour or style.colour,
            markeredgecolor=style.colour,
            markeredgewidth=style.weight * _PX_TO_PT,
        )
    return Patch(facecolor=style.fill_colour or "none", edgecolor=style.colour)


# --- furniture: scale bar, north arrow, text ----------------------------------------------------


def _nice_length_m(target_m: float) -> float:
    exponent = math.floor(math.log10(target_m))
    for step in (5, 2, 1):
        candidate = step * 10**exponent
        if candidate <= target_m:
            return float(candidate)
    return float(10**exponent)


def _ground_per_mercator_metre(view: View, y: float) -> float:
    """Ground metres per Web Mercator metre along the parallel at ``y`` (geodesic, WGS84)."""
    cx = (view.x0 + view.x1) / 2
    half = 500.0
    (lon0, lon1), (lat0, lat1) = from_mercator().transform([cx - half, cx + half], [y, y])
    _, _, dist = GEOD.inv(lon0, lat0, lon1, lat1)
    return dist / (2 * half)


def _draw_scale_bar(ax: Any, view: View, bottom: float) -> ScaleBar:
    width = view.x1 - view.x0
    height = view.y1 - view.y0
    y = view.y0 + (bottom + 0.03) * height
    k = _ground_per_mercator_metre(view, y)
    length_m = _nice_length_m(0.18 * width * k)
    x1 = view.x1 - 0.025 * width
    x0 = x1 - length_m / k
    tick = 0.008 * height
    half = (x0 + x1) / 2
    ax.fill([x0, half, half, x0], [y, y, y + tick, y + tick], color="#222222", zorder=50)
    ax.fill([half, x1, x1, half], [y, y, y + tick, y + tick], facecolor="white", edgecolor="#222222", lw=0.6, zorder=50)
    km = length_m / 1000
    _, lat = from_mercator().transform(x0, y)
    where = (
        f" (at {abs(lat):.0f}°{'N' if lat >= 0 else 'S'})" if view.lonlat_bounds[3] - view.lonlat_bounds[1] > 8 else ""
    )
    label = f"{km:g} km{where}"
    for x, text, ha in ((x0, "0", "center"), (x1, label, "right")):
        ax.text(x, y + 2.2 * tick, text, ha=ha, va="bottom", fontsize=7, color="#222222", zorder=50)
    return ScaleBar(x0=x0, x1=x1, y=y, length_km=km)


def _draw_north_arrow(fig: Figure) -> Any:
    return fig.text(
        0.975,
        0.955,
        "N\n↑",
        ha="center",
        va="top",
        fontsize=11,
        fontweight="bold",
        linespacing=0.9,
        color="#222222",
        zorder=60,
        bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "#888888", "alpha": 0.85},
    )


#: Control characters (but newline): no font has a glyph for them, so they are left out of drawn text.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
#: What stands for a character the drawing font has no glyph for (it has this one).
_NO_GLYPH = "\u25a1"


@lru_cache(maxsize=1)
def _glyphs() -> frozenset[int]:
    """The characters the drawing font (DejaVu Sans) has glyphs for."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(font_manager.findfont(_RC["font.family"])).get_charmap())


def drawable_text(text: str) -> str:
    """Text as the images can draw it: control characters left out, a character without a glyph shown as □."""
    glyphs = _glyphs()
    return "".join(c if ord(c) in glyphs or c == "\n" else _NO_GLYPH for c in _CONTROL.sub("", text))


def _drawable(text: MapText) -> MapText:
    """The words as the images can draw them (a title from the command line, a source from a user's file)."""
    return MapText(*(drawable_text(part) for part in (text.title, text.subtitle, text.attribution, text.footnote)))


def _draw_text(fig: Figure, ax: Any, text: MapText) -> tuple[list[Any], list[Any]]:
    """Draw the title block (top) and attribution and footnote (bottom); return both groups."""
    text = _drawable(text)
    artists: list[Any] = []
    box = {"boxstyle": "round,pad=0.35", "facecolor": "white", "edgecolor": "none", "alpha": 0.88}
    if text.title:
        title = fig.text(
            0.012,
            0.975,
            text.title,
            ha="left",
            va="top",
            fontsize=15,
            fontweight="bold",
            color="#111111",
            zorder=60,
            bbox=box,
        )
        artists.append(title)
        if text.subtitle:
            subtitle = ax.annotate(
                text.subtitle,
                xy=(0, 0),
                xycoords=title,
                xytext=(0, -7),
                textcoords="offset points",
                ha="left",
                va="top",
                fontsize=10.5,
                color="#333333",
                zorder=60,
                bbox=box,
                annotation_clip=False,
            )
            artists.append(subtitle)
    small = {"fontsize": 6.5, "color": "#333333", "va": "bottom", "zorder": 60}
    bottom: list[Any] = []
    if text.attribution:
        bottom.append(fig.text(0.995, 0.008, text.attribution, ha="right", **small))
    if text.footnote:
        footnote = fig.text(0.005, 0.008, text.footnote, ha="left", **small)
        if bottom:
            renderer = fig.canvas.get_renderer()
            right = bottom[0].get_window_extent(renderer)
            if footnote.get_window_extent(renderer).overlaps(right):
                footnote.set_y(0.008 + 1.5 * right.height / fig.bbox.height)  # one line above
        bottom.append(footnote)
    return artists, bottom


# --- the map -------------------------------------------------------------------------------------


def _label_candidates(spec: LayerSpec, gdf: gpd.GeoDataFrame, view: View) -> list[LabelCandidate]:
    if not spec.label or len(gdf) == 0:
        return []
    xs, ys = to_mercator().transform(gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy())
    out = []
    for x, y, (_, row) in zip(xs, ys, gdf.iterrows(), strict=True):
        if not (view.x0 <= x <= view.x1 and view.y0 <= y <= view.y1):
            continue
        rank_value = row.get(spec.label_rank) if spec.label_rank else None
        rank = 0.0 if is_missing(rank_value) else float(rank_value)
        if spec.label_rank and rank < spec.label_rank_min and view.zoom < DETAIL_LABEL_ZOOM - 1:
            continue
        out.append(LabelCandidate(text=drawable_text(str(row[spec.label])), x=x, y=y, rank=rank))
    return out


def draw_map(
    view: View,
    layers: Sequence[tuple[LayerSpec, gpd.GeoDataFrame]],
    *,
    basemap: Basemap,
    basemap_frames: Mapping[str, gpd.GeoDataFrame],
    text: MapText = MapText(),
    tiles: TileImage | None = None,
) -> StaticMap:
    """Draw a snapshot: basemap (or tiles), layers in catalog order, labels, legend and furniture.

    Parameters
    ----------
    view
        Extent and image size.
    layers
        The visible layers with their features (WGS84), bottom to top.
    basemap
        The catalog's basemap declaration.
    basemap_frames
        Basemap part id → features (WGS84).
    text
        Title, subtitle, attribution and footnote.
    tiles
        An optional raster background drawn instead of the vector basemap's fill.

    Returns
    -------
    StaticMap
        The figure and what it shows (legend entries, placed labels, scale bar).
    """
    with matplotlib.rc_context(_RC):
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
            for i, part in enumerate(basemap.parts):
                if part.id in basemap_frames:
                    geoms = _in_view(basemap_frames[part.id], view)
                    _draw_geoms(ax, geoms, part.style, part.geometry, zorder=1 + i * 0.1)
        shown: list[LayerSpec] = []
        for i, (spec, gdf) in enumerate(layers):
            zorder = (20 if spec.geometry == "point" else 10) + i * 0.1
            geoms = _in_view(gdf, view)
            _draw_geoms(ax, geoms, spec.style, spec.geometry, zorder=zorder)
            if len(geoms):
                shown.append(spec)
        top_texts, bottom_texts = _draw_text(fig, ax, text)
        renderer = fig.canvas.get_renderer()
        bottom = max([t.get_window_extent(renderer).y1 / fig.bbox.height for t in bottom_texts] or [0.0])
        legend = ax.legend(
            [_legend_handle(spec) for spec in shown],
            [drawable_text(spec.legend) for spec in shown],
            title="Legend",
            loc="lower left",
            bbox_to_anchor=(0.008, bottom + 0.012),
            fontsize=8,
            title_fontsize=8.5,
            frameon=True,
            framealpha=0.92,
            handlelength=3.2,
            borderpad=0.6,
        )
        legend.set_zorder(60)
        legend._legend_box.align = "left"
        scale = _draw_scale_bar(ax, view, bottom)
        furniture = [_draw_north_arrow(fig), *top_texts, *bottom_texts, legend]
        obstacles = [a.get_window_extent(renderer) for a in furniture]
        obstacles.append(_scale_bar_box(ax, scale, renderer))
        candidates = [c for spec, gdf in layers for c in _label_candidates(spec, gdf, view)]
        placed = place_labels(ax, renderer, candidates, obstacles=obstacles)
    return StaticMap(
        figure=fig,
        view=view,
        legend=[spec.legend for spec in shown],
        labels=placed,
        scale_bar=scale,
        layers=[spec.id for spec in shown],
    )


def _scale_bar_box(ax: Any, scale: ScaleBar, renderer: Any) -> Bbox:
    to_px = ax.transData.transform
    (x0, y0), (x1, _) = to_px([(scale.x0, scale.y), (scale.x1, scale.y)])
    return Bbox.from_extents(x0 - 20, y0 - 6, x1 + 6, y0 + 30)


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
    with matplotlib.rc_context(_RC):
        static.figure.savefig(
            buffer,
            format=fmt,
            dpi=static.view.dpi,
            metadata=metadata[fmt],
            facecolor=static.figure.get_facecolor(),
            **({"pil_kwargs": {"compress_level": 3}} if fmt == "png" else {}),
        )
    return buffer.getvalue()
