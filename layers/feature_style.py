"""Styles by attribute: how a feature's status and location precision change its layer's style.

The interactive map's page script (``featureStyle`` in ``layers/js/workspace.js``) and the static
images follow the same table, so an export looks like the screen: under construction dashed,
planned dotted, agreed sparse dots (points half filled or hollow instead); approximate positions
with a dashed outline, city-level ones dotted and larger; schematic lines thin and faded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import geopandas as gpd
import numpy as np

from geo.columns import is_missing
from layers.style import Style

__all__ = ["STYLE_ROWS", "feature_styles", "style_rows"]

#: Lines by status: dash pattern (CSS pixels) and how much of the opacity stays.
_STATUS_LINE: dict[str, tuple[str, float]] = {
    "under construction": ("10 6", 1.0),
    "planned": ("3 6", 0.8),
    "agreed": ("1 7", 0.7),
}
#: Points by status: how much of the fill's opacity stays.
_STATUS_POINT: dict[str, float] = {"under construction": 0.45, "planned": 0.12, "agreed": 0.12}
#: Points by precision: the outline's dash pattern and how many pixels the radius grows.
_PRECISION_POINT: dict[str, tuple[str, float]] = {"approximate": ("4 2", 0.0), "city-level": ("1 3", 2.0)}

_PLAIN = frozenset({"operating", "exact"})
_GREY_LINE = Style(colour="#555555", weight=3)
_GREY_POINT = Style(colour="#333333", weight=2, fill_colour="#BBBBBB", fill_opacity=1.0, radius=5)

#: Legend rows that explain the styles: (column, value, label, sample style, sample geometry).
STYLE_ROWS: tuple[tuple[str, str, str, Style, str], ...] = (
    ("status", "operating", "Operating", _GREY_LINE, "line"),
    (
        "status",
        "under construction",
        "Under construction (points half filled)",
        replace(_GREY_LINE, dash="10 6"),
        "line",
    ),
    ("status", "planned", "Planned (points hollow)", replace(_GREY_LINE, dash="3 6"), "line"),
    ("status", "agreed", "Agreed, not started (points hollow)", replace(_GREY_LINE, dash="1 7"), "line"),
    ("location_precision", "exact", "Exact position", _GREY_POINT, "point"),
    ("location_precision", "approximate", "Approximate position", replace(_GREY_POINT, dash="4 2"), "point"),
    ("location_precision", "city-level", "City-level position", replace(_GREY_POINT, dash="1 3", radius=6), "point"),
    ("location_precision", "schematic", "Schematic route (thin, faded)", Style("#555555", 1.8, opacity=0.6), "line"),
)


def _text(value: object) -> str:
    return "" if is_missing(value) else str(value)


def feature_style(style: Style, geometry: str, status: str, precision: str) -> Style:
    """The style of one feature: its layer's ``style`` changed by its status and its location precision."""
    if geometry == "point":
        fade = _STATUS_POINT.get(status)
        if fade is not None:
            style = replace(style, fill_opacity=(style.fill_opacity or 0.9) * fade)
        if precision in _PRECISION_POINT:
            dash, grow = _PRECISION_POINT[precision]
            style = replace(style, dash=dash, radius=style.radius + grow)
        return style
    if geometry == "line":
        if status in _STATUS_LINE:
            dash, keep = _STATUS_LINE[status]
            style = replace(style, dash=dash, opacity=style.opacity * keep)
        if precision == "schematic":
            style = replace(style, weight=max(1.5, style.weight * 0.6), opacity=style.opacity * 0.6)
    return style


def feature_styles(style: Style, geometry: str, gdf: gpd.GeoDataFrame) -> list[tuple[Style, np.ndarray]]:
    """The features of a layer grouped by the style they are drawn in: ``(style, mask)`` in first-seen order."""
    statuses = [_text(v) for v in gdf["status"]] if "status" in gdf.columns else [""] * len(gdf)
    precisions = (
        [_text(v) for v in gdf["location_precision"]] if "location_precision" in gdf.columns else [""] * len(gdf)
    )
    keys = list(zip(statuses, precisions, strict=True))
    groups: list[tuple[Style, np.ndarray]] = []
    for key in dict.fromkeys(keys):
        mask = np.fromiter((k == key for k in keys), dtype=bool, count=len(keys))
        groups.append((feature_style(style, geometry, *key), mask))
    return groups


def style_rows(frames: Iterable[gpd.GeoDataFrame]) -> list[tuple[str, Style, str]]:
    """Legend rows ``(label, sample style, geometry)`` for the styles the features use, but the plain ones.

    None when every feature is operating and exactly placed (nothing to explain).
    """
    seen: set[tuple[str, str]] = set()
    for gdf in frames:
        for column in ("status", "location_precision"):
            if column in gdf.columns:
                seen.update((column, _text(v)) for v in gdf[column])
    return [
        (label, style, kind)
        for column, value, label, style, kind in STYLE_ROWS
        if (column, value) in seen and value not in _PLAIN  # the layer's own style says "operating, exact"
    ]
