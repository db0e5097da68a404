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
from typing import Any

import geopandas as gpd
import shapely

__all__ = ["PageJSON", "feature_collection", "page_json"]

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
    return _made_safe(json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")))


_GLOBAL_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)
_TEMPLATE_OPENERS = ("{{", "{%", "{#")


def _made_safe(text: str) -> PageJSON:
    """Escape JSON text for the page in one pass when it can be done globally.

    ``< > &`` and the line separators never occur in JSON structure, so they are escaped across the
    whole text at once. Braces are escaped only inside string literals, and that slower pass runs
    only when a template opener actually occurs somewhere in the text.
    """
    if any(opener in text for opener in _TEMPLATE_OPENERS):
        return PageJSON(_STRING_LITERAL.sub(lambda match: match.group(0).translate(_ESCAPES), text))
    return PageJSON(text.translate(_GLOBAL_ESCAPES))


def feature_collection(
    gdf: gpd.GeoDataFrame,
    properties: dict[str, list[Any]],
    *,
    precision_deg: float = 1e-5,
) -> PageJSON:
    """Serialise geometries plus prepared per-feature properties as a GeoJSON FeatureCollection.

    Geometry text comes straight from GEOS (numbers and type names only, nothing to escape);
    properties go through :func:`page_json`. No per-coordinate Python work.

    Parameters
    ----------
    gdf
        Features in WGS84; only the geometry column is read.
    properties
        Column name → one value per row of ``gdf``.
    precision_deg
        Grid the coordinates are rounded to (1e-5° ≈ 1 m), to keep the page small.
    """
    rounded = shapely.set_precision(gdf.geometry.to_numpy(), precision_deg, mode="pointwise")
    geometries = shapely.to_geojson(rounded)
    names = list(properties)
    dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
    features = [
        f'{{"type":"Feature","geometry":{geometry},"properties":{dumps({n: properties[n][i] for n in names})}}}'
        for i, geometry in enumerate(geometries)
    ]
    return _made_safe('{"type":"FeatureCollection","features":[' + ",".join(features) + "]}")
