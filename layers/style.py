"""Layer styles: one definition serves the interactive map, the legend and static exports."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

__all__ = ["Style", "swatch_svg"]


@dataclass(frozen=True)
class Style:
    """How a layer is drawn, shared by the interactive map, the legend and static exports."""

    colour: str = "#000000"
    weight: float = 2.0
    dash: str = ""
    opacity: float = 1.0
    fill_colour: str | None = None
    fill_opacity: float = 0.0
    radius: float = 6.0

    def leaflet(self) -> dict[str, Any]:
        """Leaflet path options for this style."""
        options: dict[str, Any] = {
            "color": self.colour,
            "weight": self.weight,
            "opacity": self.opacity,
            "lineCap": "round" if self.dash else "butt",
        }
        if self.dash:
            options["dashArray"] = self.dash
        if self.fill_colour is not None:
            options.update(fill=True, fillColor=self.fill_colour, fillOpacity=self.fill_opacity)
        else:
            options["fill"] = False
        return options


def legend_entry(style: Style, geometry: str, text: str) -> str:
    """A legend row's HTML: the style's swatch (see :func:`swatch_svg`) and ``text``, escaped."""
    return f"{swatch_svg(style, geometry)}<span>{escape(text)}</span>"


def swatch_svg(style: Style, geometry: str) -> str:
    """A small inline SVG sample of a style, for legends.

    Parameters
    ----------
    style
        The layer's style.
    geometry
        ``"line"``, ``"point"`` or ``"polygon"``.
    """
    colour = escape(style.colour, quote=True)
    if geometry == "line":
        dash = f' stroke-dasharray="{escape(style.dash, quote=True)}"' if style.dash else ""
        cap = "round" if style.dash else "butt"
        return (
            '<svg width="40" height="14" aria-hidden="true">'
            f'<line x1="3" y1="7" x2="37" y2="7" stroke="{colour}" stroke-width="{style.weight:g}"'
            f' stroke-linecap="{cap}"{dash}/></svg>'
        )
    fill = escape(style.fill_colour or "none", quote=True)
    if geometry == "point":
        r = min(style.radius, 6.0)
        return (
            '<svg width="40" height="14" aria-hidden="true">'
            f'<circle cx="20" cy="7" r="{r:g}" fill="{fill}" stroke="{colour}"'
            f' stroke-width="{min(style.weight, 2):g}"/></svg>'
        )
    return (
        '<svg width="40" height="14" aria-hidden="true">'
        f'<rect x="8" y="2" width="24" height="10" fill="{fill}" stroke="{colour}"'
        f' stroke-width="{style.weight:g}"/></svg>'
    )
