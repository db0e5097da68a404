"""Users' own layers on the map: an automatic, readable style and generic popups for any attributes."""

from __future__ import annotations

import geopandas as gpd

from geo.places import label_column
from layers.catalog import LayerSpec
from layers.payload import PageJSON, layer_data
from layers.popup import column_text
from layers.render import drawing, feature_ids
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
    """Page data for an upload: tooltip from its naming attribute, popup with every attribute.

    Attribute names are users' text, so the page gets them only as headings (escaped there) and
    keys its values by position (``a0``, ``a1`` …): a column called ``__proto__`` stays a column.
    """
    label = label_column(gdf)
    columns = [c for c in gdf.columns if c not in {gdf.geometry.name, "id"}]
    keys = [f"a{i}" for i in range(len(columns))]
    values = {
        key: column_text(gdf[column], str(column), max_chars=300) for key, column in zip(keys, columns, strict=True)
    }
    values["label"] = column_text(gdf[label], str(label), max_chars=200) if label in gdf.columns else [None] * len(gdf)
    content = {
        "title": spec.title,
        "ids": feature_ids(gdf),
        "tooltip": ["label"],
        "popup": keys,
        "headings": {key: str(column)[:60] for key, column in zip(keys, columns, strict=True)},
        "values": values,
        "sources": None,
        **drawing(spec, gdf),
    }
    return layer_data(gdf, content)
