r"""Layer data as page data: JSON that is inert in a ``<script>`` element and in a Jinja template.

folium/branca render every element's script as a Jinja template, and render the assembled page
again, so any ``{{ … }}`` that reaches a script would be evaluated on the server. The JSON made here
escapes, inside every string, the braces that open every template tag (``{{``, ``{%``, ``{#``) and
the characters that could close the script element (``< > &``), plus the JavaScript line
separators, as ``\uXXXX`` escapes; JSON structure itself never forms ``{{``, ``{%`` or ``{#``
(an object's ``{`` is always followed by ``"`` or ``}``). The browser's JSON/JS parser turns the
escapes back into the original characters, so values arrive verbatim.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import shapely

__all__ = ["PageContent", "PageJSON", "encode_geometry", "layer_data", "made_safe", "page_json"]

_STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"')
_ESCAPES = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "{": "\\u007b",
        "}": "\\u007d",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


class PageJSON(str):
    """JSON text made by :func:`page_json`: the only kind of data the map's elements accept."""

    __slots__ = ()


def page_json(value: Any) -> PageJSON:
    """Serialise a JSON value so it is safe to place inside a script element and a Jinja template.

    Parameters
    ----------
    value
        Any JSON-serialisable value (NaN and infinities are refused).
    """
    return made_safe(json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")))


_GLOBAL_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)
_TEMPLATE_OPENERS = ("{{", "{%", "{#")


def made_safe(text: str) -> PageJSON:
    """Escape JSON text for the page in one pass when it can be done globally.

    ``< > &`` and the line separators never occur in JSON structure, so they are escaped across the
    whole text at once. Braces are escaped only inside string literals, and that slower pass runs
    only when a template opener actually occurs somewhere in the text.
    """
    if any(opener in text for opener in _TEMPLATE_OPENERS):
        return PageJSON(_STRING_LITERAL.sub(lambda match: match.group(0).translate(_ESCAPES), text))
    return PageJSON(text.translate(_GLOBAL_ESCAPES))


_GEOJSON_TYPES = {
    shapely.GeometryType.POINT: "Point",
    shapely.GeometryType.LINESTRING: "LineString",
    shapely.GeometryType.POLYGON: "Polygon",
    shapely.GeometryType.MULTIPOINT: "MultiPoint",
    shapely.GeometryType.MULTILINESTRING: "MultiLineString",
    shapely.GeometryType.MULTIPOLYGON: "MultiPolygon",
}


def encode_geometry(geoms: np.ndarray, *, precision_deg: float = 1e-5) -> dict[str, Any]:
    """Geometries as ragged arrays: integer coordinates on a ``precision_deg`` grid, delta-coded, plus offsets.

    One vectorised pass, no per-geometry Python work. Coordinates along a line differ by a few
    grid steps, so the deltas are short numbers. Layers mixing kinds (points with lines,
    collections, empty points) fall back to one GeoJSON geometry per feature, written by GEOS.

    Returns
    -------
    dict
        ``{"type", "perDegree", "coords", "offsets"}`` with ``coords`` as flat ``[dx, dy, …]`` in grid
        steps (``perDegree`` of them to a degree, so the page divides and gets the rounded decimals), or
        ``{"type": "GeoJSON", "geometries": …}``.
    """
    try:
        kind, coords, offsets = shapely.to_ragged_array(geoms, include_z=False)
    except (ValueError, NotImplementedError):  # mixed kinds, collections
        coords = None
    if coords is None or not np.isfinite(coords).all():
        rounded = shapely.set_precision(geoms, precision_deg, mode="pointwise")
        texts = ["null" if text is None else text for text in shapely.to_geojson(rounded)]
        return {"type": "GeoJSON", "geometries": orjson.Fragment("[" + ",".join(texts) + "]")}
    grid = np.rint(coords / precision_deg).astype(np.int64)
    deltas = np.diff(grid, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return {
        "type": _GEOJSON_TYPES[kind],
        "perDegree": round(1 / precision_deg),
        "coords": deltas.ravel(),
        "offsets": list(offsets),
    }


@dataclass(frozen=True)
class PageContent:
    """What the page script (``CorridorAtlas.layer``) shows of a layer beside its geometry: the page-data contract.

    Every list is index-aligned with the layer's features. ``values`` maps a field key to each
    feature's plain text (``None`` for no value); ``tooltip`` and ``popup`` name the keys they show,
    ``headings`` each key's heading. ``sources`` is each feature's escaped sources list (HTML) or
    ``None``. ``dense`` draws points on one clustered canvas, ``canvas`` draws paths on canvas.
    ``label`` and ``label_zoom`` give permanent labels and the zoom each shows from.
    """

    ids: Sequence[str]
    title: str = ""
    tooltip: Sequence[str] = ()
    popup: Sequence[str] = ()
    headings: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    sources: Sequence[str | None] | None = None
    dense: bool = False
    canvas: bool = False
    label: Sequence[str | None] | None = None
    label_zoom: Any = None  # NumPy array of zoom levels, or None
    label_all: bool = False  # label every point with its name where the label fits, not only ``label``
    status: Sequence[str | None] | None = None  # drawn by status (operating, planned …)
    precision: Sequence[str | None] | None = None  # drawn by location precision (exact … schematic)
    year: Sequence[int | None] | None = None  # the timeline hides a feature before its year
    names: dict[str, Sequence[str | None]] | None = None  # label text by language code (ru, kk, zh)

    def as_json_object(self) -> dict[str, Any]:
        """The object the page reads (its keys as the page script names them)."""
        value: dict[str, Any] = {
            "title": self.title,
            "ids": list(self.ids),
            "tooltip": list(self.tooltip),
            "popup": list(self.popup),
            "headings": self.headings,
            "values": self.values,
            "sources": self.sources,
            "dense": self.dense,
            "canvas": self.canvas,
        }
        if self.label is not None:
            value["label"] = self.label
            value["labelZoom"] = self.label_zoom
        extras = {"status": self.status, "precision": self.precision, "year": self.year, "names": self.names}
        value.update({key: extra for key, extra in extras.items() if extra is not None})
        if self.label_all:
            value["labelAll"] = True
        return value


def layer_data(gdf: gpd.GeoDataFrame, content: PageContent, *, precision_deg: float = 1e-5) -> PageJSON:
    """A layer's page data: its geometries (see :func:`encode_geometry`) and ``content``, as one JSON object.

    NumPy arrays in ``content`` are serialised natively.
    """
    value = {"geometry": encode_geometry(gdf.geometry.to_numpy(), precision_deg=precision_deg)}
    value.update(content.as_json_object())
    text = orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode("utf-8")
    return made_safe(text)
