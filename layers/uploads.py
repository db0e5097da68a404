"""Users' own files as layers: an automatic, readable declaration for a layer nobody declared."""

from __future__ import annotations

from geo.ingest import Ingested
from layers.catalog import LayerSpec
from layers.layer import Layer
from layers.style import Style

__all__ = ["UPLOAD_COLOURS", "UPLOAD_GROUP", "upload_layer", "upload_spec"]

UPLOAD_GROUP = "Your layers"
#: Okabe–Ito colours, cycled by the number each upload was given when it was taken, so removing one
#: never recolours another; a dash-dot line and a black-ringed point tell uploads apart.
UPLOAD_COLOURS = ("#009E73", "#56B4E9", "#E69F00", "#CC79A7", "#F0E442", "#0072B2", "#D55E00")


def upload_spec(upload_id: str, title: str, kind: str, colour_index: int, roles: tuple[str, ...] = ()) -> LayerSpec:
    """A declaration for an upload: its own colour (by the index it was given), drawn like the catalog's layers.

    Its tooltip is the features' naming attribute and its popup every attribute (``None``: see
    :func:`layers.render.layer_payload`).
    """
    colour = UPLOAD_COLOURS[colour_index % len(UPLOAD_COLOURS)]
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
        tooltip=None,
        popup=None,
        roles=roles,
    )


def upload_layer(upload_id: str, title: str, ingested: Ingested, colour_index: int) -> Layer:
    """A user's file, read and repaired by :func:`geo.ingest.ingest`, as a layer like any other."""
    return Layer(
        spec=upload_spec(upload_id, title, ingested.geometry_kind, colour_index),
        frame=ingested.frame,
        display=ingested.display,
        key=upload_id,
        notices=tuple(ingested.notices),
        shared=False,
    )
