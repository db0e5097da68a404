"""Users' own layers on the map: an automatic, readable style and generic popups for any attributes."""

from __future__ import annotations

from html import escape

import geopandas as gpd

from geo.places import label_column
from layers.catalog import LayerSpec
from layers.payload import PageJSON, feature_collection
from layers.popup import attributes_html
from layers.style import Style

__all__ = ["UPLOAD_GROUP", "label_column", "upload_payload", "upload_spec"]

UPLOAD_GROUP = "Your layers"
#: Okabe–Ito colours the catalog uses least, cycled per upload; a dash-dot line tells uploads apart.
_COLOURS = ("#009E73", "#56B4E9", "#E69F00", "#CC79A7", "#F0E442", "#0072B2", "#D55E00")


def upload_spec(upload_id: str, title: str, kind: str, index: int) -> LayerSpec:
    """A layer declaration for an upload: its own colour, drawn like the catalog's layers."""
    colour = _COLOURS[index % len(_COLOURS)]
    styles = {
        "line": Style(colour=colour, weight=3.5, dash="10 4 2 4", opacity=0.95),
        "point": Style(colour="#000000", weight=1.5, fill_colour=colour, fill_opacity=0.9, radius=6),
        "polygon": Style(colour=colour, weight=2, fill_colour=colour, fill_opacity=0.25),
    }
    return LayerSpec(
        id=upload_id,
        title=title,
        group=UPLOAD_GROUP,
        file="",
        geometry=kind,
        legend=title,
        style=styles[kind],
        visible=True,
    )


def upload_payload(spec: LayerSpec, gdf: gpd.GeoDataFrame) -> PageJSON:
    """Page data for an upload: tooltip from its naming attribute, popup with every attribute."""
    label = label_column(gdf)
    records = gdf.drop(columns=gdf.geometry.name).to_dict("records")
    return feature_collection(
        gdf,
        {
            "id": [str(r.get("id")) for r in records],
            "_tooltip": [f"<b>{escape(str(r.get(label, '') or '')[:200])}</b>" for r in records],
            "_popup": [attributes_html(r, layer_title=spec.title) for r in records],
        },
    )
