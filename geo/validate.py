"""Validation of a layer's features: collects every problem of a file, then raises once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from numbers import Real
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.columns import is_missing
from geo.errors import LayerValidationError, Problem
from geo.schema import PRECISIONS, REQUIRED_PROPERTIES, STATUSES

__all__ = ["feature_label", "layer_problems", "out_of_range", "validate_layer"]

_NULLABLE = frozenset({"year", "operator"})
_MIN_YEAR, _MAX_YEAR = 1850, 2100


def feature_label(gdf: gpd.GeoDataFrame, position: int) -> str:
    """Name a feature for messages: its ``id`` when it has a usable one, else ``#<index>``."""
    if "id" in gdf.columns:
        value = gdf["id"].iloc[position]
        if isinstance(value, str) and value.strip():
            return repr(value)
    return f"#{position}"


def _text_problems(name: str, value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, str) or not value.strip():
        return [(name, f"must be a non-empty string, got {value!r}")]
    return []


def _choice_problems(name: str, value: Any, allowed: tuple[str, ...]) -> list[tuple[str, str]]:
    if value not in allowed:
        return [(name, f"must be one of {', '.join(allowed)}; got {value!r}")]
    return []


def _year_problems(name: str, value: Any) -> list[tuple[str, str]]:
    ok = isinstance(value, Real) and float(value).is_integer()
    if not ok or not _MIN_YEAR <= int(value) <= _MAX_YEAR:
        return [(name, f"must be a whole year between {_MIN_YEAR} and {_MAX_YEAR}; got {value!r}")]
    return []


def _property_problems(name: str, value: Any) -> list[tuple[str, str]]:
    """Return ``(field, message)`` pairs for one property value."""
    if is_missing(value) and not isinstance(value, str):  # empty text is checked as text
        return [] if name in _NULLABLE else [(name, "is missing or null; every feature needs it")]
    if name == "status":
        return _choice_problems(name, value, STATUSES)
    if name == "location_precision":
        return _choice_problems(name, value, PRECISIONS)
    if name == "year":
        return _year_problems(name, value)
    if name == "sources":
        return _sources_problems(value)
    return _text_problems(name, value)


def _sources_problems(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, list) or not value:
        return [("sources", "must be a non-empty list of {title, url} objects")]
    problems: list[tuple[str, str]] = []
    for i, source in enumerate(value):
        if not isinstance(source, dict):
            problems.append((f"sources[{i}]", "must be an object with a title"))
            continue
        title = source.get("title")
        if not isinstance(title, str) or not title.strip():
            problems.append((f"sources[{i}].title", "must be a non-empty string"))
        url = source.get("url")
        if url is not None and (not isinstance(url, str) or not url.lower().startswith(("http://", "https://"))):
            problems.append((f"sources[{i}].url", f"must be an http(s) address or null; got {url!r}"))
    return problems


def out_of_range(geom: Any) -> str | None:
    """Describe the first coordinate outside lon ±180 / lat ±90, or ``None`` when all are in range."""
    coords = shapely.get_coordinates(geom)
    bad = coords[(np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)]
    if len(bad) == 0:
        return None
    return f"coordinate ({bad[0, 0]:g}, {bad[0, 1]:g}) is outside lon ±180 / lat ±90"


def _geometry_problems(geom: Any, allowed: frozenset[str]) -> list[tuple[str, str]]:
    if geom is None or shapely.is_empty(geom):
        return [("geometry", "is missing or empty")]
    if geom.geom_type not in allowed:
        return [("geometry", f"type {geom.geom_type} not allowed here; expected {', '.join(sorted(allowed))}")]
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        return [("geometry", "has non-finite coordinates")]
    message = out_of_range(geom)
    if message:
        return [("geometry", message)]
    if not shapely.is_valid(geom):
        return [("geometry", f"is invalid: {shapely.is_valid_reason(geom)}")]
    return []


def layer_problems(
    gdf: gpd.GeoDataFrame,
    *,
    path: str,
    geometry_types: Iterable[str],
    required: Sequence[str] = REQUIRED_PROPERTIES,
) -> list[Problem]:
    """List every problem of a layer: missing properties, bad values, bad geometry, duplicate ids.

    Parameters
    ----------
    gdf
        The layer as read, one row per feature.
    path
        File name used in messages.
    geometry_types
        Geometry type names allowed in this layer.
    required
        Properties every feature must carry.
    """
    allowed = frozenset(geometry_types)
    problems: list[Problem] = []
    if len(gdf) == 0:
        return [Problem(path, "-", "features", "the layer has no features")]
    columns = set(gdf.columns)
    for position in range(len(gdf)):
        label = feature_label(gdf, position)
        row = gdf.iloc[position]
        for name in required:
            value = row[name] if name in columns else None
            problems.extend(Problem(path, label, f, m) for f, m in _property_problems(name, value))
        problems.extend(Problem(path, label, f, m) for f, m in _geometry_problems(row.geometry, allowed))
    if "id" in columns:
        counts = Counter(v for v in gdf["id"] if isinstance(v, str))
        for value, n in sorted(counts.items()):
            if n > 1:
                problems.append(Problem(path, repr(value), "id", f"is used by {n} features; ids must be unique"))
    return problems


def validate_layer(
    gdf: gpd.GeoDataFrame,
    *,
    path: str,
    geometry_types: Iterable[str],
    required: Sequence[str] = REQUIRED_PROPERTIES,
) -> None:
    """Raise :class:`LayerValidationError` listing every problem, or return when there is none."""
    problems = layer_problems(gdf, path=path, geometry_types=geometry_types, required=required)
    if problems:
        raise LayerValidationError(path, problems)
