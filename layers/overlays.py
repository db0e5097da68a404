"""Analysis results on the interactive map (a corridor buffer, a route), shown by one page call.

They are not built into the map's page: a new corridor or route changes only the call, so the map
the session already has stays (its frame, its view, what the user switched) and the server builds
no new map for it. The page script's ``CorridorAtlas.analysis`` shows exactly the results it is
given, under the layers, in the layer control and first in the legend.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import geopandas as gpd

from layers.payload import PageJSON, layer_data, page_json
from layers.render import text_content
from layers.style import Style, legend_entry

__all__ = ["Overlay", "overlay_call", "overlay_payload"]


@dataclass(frozen=True)
class Overlay:
    """An analysis result drawn on the map under the catalog layers.

    ``geometry`` is the kind its legend swatch shows (``"line"`` or ``"polygon"``).
    """

    title: str
    payload: PageJSON
    style: Style
    geometry: str


def overlay_payload(gdf: gpd.GeoDataFrame, tooltips: Sequence[str]) -> PageJSON:
    """Page data for an overlay: geometry plus a plain-text tooltip per feature (escaped in the page)."""
    return layer_data(gdf, text_content(len(gdf), tooltips))


def overlay_call(overlays: Sequence[Overlay]) -> PageJSON:
    """The page script's call that shows exactly ``overlays`` on ``window.map`` (none: removes those shown).

    Each result is keyed by its content, so the page leaves one it already shows alone when the call
    runs again (another change of the map's arguments) and the user's choice in the layer control stays.
    Titles reach the page escaped for HTML, as the layer control and legend insert them as markup.
    """
    items = []
    for overlay in overlays:
        meta = {
            "title": escape(overlay.title),
            "legend": legend_entry(overlay.style, overlay.geometry, overlay.title),
            "style": overlay.style.leaflet(),
            "radius": overlay.style.radius,
        }
        meta_json = page_json(meta)
        key = hashlib.sha256(f"{meta_json}\n{overlay.payload}".encode()).hexdigest()[:20]
        items.append(f'{{"key":"{key}",{meta_json[1:-1]},"data":{overlay.payload}}}')
    return PageJSON(f"CorridorAtlas.analysis(window.map, [{','.join(items)}]);")  # each part made safe
