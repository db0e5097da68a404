"""Users' own files as layers: an automatic, readable declaration for a layer nobody declared."""

from __future__ import annotations

from collections.abc import Collection

from geo.detail import detail_pyramid
from geo.ingest import Ingested
from layers.catalog import LayerSpec
from layers.layer import Layer
from layers.style import Style

__all__ = ["UPLOAD_COLOURS", "UPLOAD_GROUP", "upload_colour", "upload_layer", "upload_spec"]

UPLOAD_GROUP = "Your layers"
#: Paul Tol's colour-blind-safe "muted" scheme (the catalog draws with Okabe–Ito), cycled by the number
#: each upload was given when it was taken, so removing one never recolours another; a dash-dot line
#: and a black-ringed point tell uploads apart.
UPLOAD_COLOURS = ("#332288", "#117733", "#44AA99", "#88CCEE", "#DDCC77", "#CC6677", "#AA4499", "#882255", "#999933")


def upload_colour(colour_index: int, colours_taken: Collection[str] = ()) -> str:
    """The colour of upload number ``colour_index``: never one of ``colours_taken`` (the built-in layers')."""
    taken = {colour.upper() for colour in colours_taken}
    free = [colour for colour in UPLOAD_COLOURS if colour.upper() not in taken]
    if not free:  # a catalog that uses every one of them: still never a built-in colour
        free = [f"#{(0x2A3B4C + 0x1F2E3D * k) % 0xFFFFFF:06X}" for k in range(64)]
        free = [colour for colour in free if colour not in taken]
    return free[colour_index % len(free)]


def upload_spec(
    upload_id: str,
    title: str,
    kind: str,
    colour_index: int,
    roles: tuple[str, ...] = (),
    *,
    colours_taken: Collection[str] = (),
) -> LayerSpec:
    """A declaration for an upload: its own colour (by the index it was given), drawn like the catalog's layers.

    Its tooltip is the features' naming attribute and its popup every attribute (``None``: see
    :func:`layers.render.layer_payload`). Its colour is none of ``colours_taken``.
    """
    colour = upload_colour(colour_index, colours_taken)
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


def upload_layer(
    upload_id: str, title: str, ingested: Ingested, colour_index: int, colours_taken: Collection[str] = ()
) -> Layer:
    """A user's file, read and repaired by :func:`geo.ingest.ingest`, as a layer like any other."""
    return Layer(
        spec=upload_spec(upload_id, title, ingested.geometry_kind, colour_index, colours_taken=colours_taken),
        frame=ingested.frame,
        display=ingested.display,
        key=upload_id,
        notices=tuple(ingested.notices),
        shared=False,
        detail=detail_pyramid(ingested.frame, ingested.display_tolerance_deg),
    )
