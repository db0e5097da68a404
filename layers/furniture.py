"""The furniture of a static map: title block, attribution and footnote, scale bar, north arrow, legible text."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from geo.crs import GEOD, from_mercator
from layers.view import View

if TYPE_CHECKING:  # matplotlib loads when a map is drawn, not when the app imports the snapshot types
    from matplotlib.figure import Figure
    from matplotlib.transforms import Bbox

#: Static formats and their media types (HTML exports are made elsewhere).
FORMATS: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}

__all__ = [
    "FORMATS",
    "RC",
    "MapText",
    "ScaleBar",
    "draw_north_arrow",
    "draw_scale_bar",
    "draw_text",
    "drawable_text",
    "scale_bar_box",
]

#: Matplotlib settings every static map is drawn and saved with.
RC = {
    "svg.hashsalt": "corridor-atlas",
    "svg.fonttype": "none",
    "lines.scale_dashes": False,
    "font.family": "DejaVu Sans",
    "text.parse_math": False,  # titles and names are text, never mathtext ($…$)
}


@dataclass(frozen=True)
class MapText:
    """The words on a snapshot: title block, attribution, footnote and the timeline's stamp (plain text)."""

    title: str = ""
    subtitle: str = ""
    attribution: str = ""
    footnote: str = ""
    stamp: str = ""  # e.g. "As of 2015", shown under the north arrow


@dataclass(frozen=True)
class ScaleBar:
    """Where the scale bar was drawn (Web Mercator metres) and the ground length it states."""

    x0: float
    x1: float
    y: float
    length_km: float


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


def draw_scale_bar(ax: Any, view: View, bottom: float) -> ScaleBar:
    """A scale bar in the bottom-right corner, true at its own latitude (geodesic), above ``bottom`` (figure units)."""
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
    # one label over the bar: a "0" at its left end collides with a long right-hand label on a short bar
    ax.text(x1, y + 2.2 * tick, f"{km:,g} km{where}", ha="right", va="bottom", fontsize=7, color="#222222", zorder=50)
    return ScaleBar(x0=x0, x1=x1, y=y, length_km=km)


def draw_north_arrow(fig: Figure) -> Any:
    """A north arrow in the top-right corner (Web Mercator: north is up everywhere)."""
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

    return frozenset(FT2Font(font_manager.findfont(RC["font.family"])).get_charmap())


def drawable_text(text: str) -> str:
    """Text as the images can draw it: control characters left out, a character without a glyph shown as □."""
    glyphs = _glyphs()
    return "".join(c if ord(c) in glyphs or c == "\n" else _NO_GLYPH for c in _CONTROL.sub("", text))


def _drawable(text: MapText) -> MapText:
    """The words as the images can draw them (a title from the command line, a source from a user's file)."""
    parts = (text.title, text.subtitle, text.attribution, text.footnote, text.stamp)
    return MapText(*(drawable_text(part) for part in parts))


def draw_text(fig: Figure, ax: Any, text: MapText) -> tuple[list[Any], list[Any]]:
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
    if text.stamp:  # the timeline's year, beside the north arrow, as the map shows it
        badge = {"boxstyle": "round,pad=0.35", "facecolor": "#FFF4C2", "edgecolor": "#8A6D00", "alpha": 0.95}
        stamp = fig.text(
            0.945, 0.968, text.stamp, ha="right", va="top", fontsize=11, fontweight="bold", color="#3D3000", bbox=badge
        )
        stamp.set_zorder(60)
        artists.append(stamp)
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


def scale_bar_box(ax: Any, scale: ScaleBar, renderer: Any) -> Bbox:
    """The display-space box of the scale bar and its label: labels keep out of it."""
    to_px = ax.transData.transform
    (x0, y0), (x1, _) = to_px([(scale.x0, scale.y), (scale.x1, scale.y)])
    from matplotlib.transforms import Bbox

    return Bbox.from_extents(x0 - 20, y0 - 6, x1 + 6, y0 + 30)
