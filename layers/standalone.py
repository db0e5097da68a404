"""Self-contained HTML snapshots: data, Leaflet and styles inlined, a fixed view, byte-reproducible."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from urllib.parse import quote

from layers.catalog import Basemap, LayerSpec
from layers.elements import PageCall
from layers.payload import PageJSON
from layers.render import build_map, stable_names
from layers.static import MapText
from layers.view import View

__all__ = ["embed_snippet", "selection_ask", "standalone_html"]


def selection_ask(feature: str) -> dict[str, object]:
    """What a page is asked to open with selected (``CorridorAtlas.apply``): the feature, as the map had it."""
    return {"feature": feature, "seq": 1, "year": None, "lang": "en", "theme": "light"}


def standalone_html(
    view: View,
    layers: Sequence[tuple[LayerSpec, PageJSON]],
    *,
    basemap: Basemap,
    basemap_parts: Mapping[str, PageJSON],
    text: MapText,
    selected: str | None = None,
) -> str:
    """One HTML document that opens offline on the view's extent, with legend and title.

    Parameters
    ----------
    view
        The extent the page opens on (fitted to whatever size the page or iframe has).
    layers
        The layers to show, all visible, with their page data.
    basemap, basemap_parts
        The offline basemap and its page data.
    text
        Title, subtitle, attribution and the timeline's stamp.
    selected
        The id of the feature the page opens selected.
    """
    fmap = build_map(
        layers,
        basemap=basemap,
        basemap_parts=basemap_parts,
        visible={spec.id for spec, _ in layers},
        view=None,
        fit=view.lonlat_bounds,
        attribution=text.attribution,
    ).map
    fmap.options["zoomSnap"] = 0  # open exactly on the extent, not on a rounded zoom
    root = fmap.get_root()
    root.title = escape(text.title or "Corridor Atlas map")
    if text.title or text.subtitle or text.stamp:
        PageCall("titleBox", text.title, text.subtitle, text.stamp).add_to(fmap)
    if selected:
        PageCall("apply", selection_ask(selected)).add_to(fmap)
    return stable_names(root.render())


def embed_snippet(file_name: str, *, title: str, width_px: int, height_px: int) -> str:
    """An ``<iframe>`` that embeds an exported HTML snapshot in a page or a slide tool.

    Parameters
    ----------
    file_name
        The exported file's name, as it sits beside the page; it becomes a relative URL with every
        character other than letters, digits and ``_.-~`` percent-encoded (UTF-8), so spaces, ``#``,
        ``?``, quotes, ``<``, ``:``, ``/`` and non-ASCII letters all reach the browser as part of the name.
    title
        The iframe's accessible title (HTML-escaped); empty gives "Corridor Atlas map".
    width_px, height_px
        The iframe's size in CSS pixels.
    """
    src = quote(file_name, safe="")
    return (
        f'<iframe src="{escape(src, quote=True)}" title="{escape(title or "Corridor Atlas map", quote=True)}" '
        f'width="{int(width_px)}" height="{int(height_px)}" style="border:0" loading="lazy"></iframe>'
    )
