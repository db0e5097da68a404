"""One type per column of a user's layer, decided once at ingest; known fields coerced or reported, never trusted.

Every consumer after ingest (page data, details, tables, metrics, charts, analyses, exports) reads
columns of these types only:

- ``number``: ``float64`` with NaN where missing;
- ``integer``: nullable ``Int64``;
- ``text``: pandas strings, missing where empty;
- ``date``: ``datetime64`` with NaT where missing;
- ``sources``: a list of ``{title, url, publisher, date, note, retrieved_via}`` dicts per feature (maybe empty);
- ``list``: a list of texts per feature (``aliases``).

A known field whose value cannot be read as its type (``"year": "next year"``) is left missing in
that field, kept verbatim in ``<field> (as given)`` and reported with the feature's id.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from enum import StrEnum
from numbers import Integral, Real
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.citation import SOURCE_KEYS
from geo.errors import Problem

__all__ = ["KNOWN_FIELDS", "RESERVED_COLUMNS", "ColumnType", "Typed", "is_missing", "type_columns"]


class ColumnType(StrEnum):
    """The types a column of a user's layer can have after ingest."""

    NUMBER = "number"
    INTEGER = "integer"
    TEXT = "text"
    DATE = "date"
    SOURCES = "sources"
    LIST = "list"


#: Fields the atlas reads with a meaning (timeline, metrics, charts, sources): their type is fixed.
KNOWN_FIELDS: dict[str, ColumnType] = {
    "id": ColumnType.TEXT,
    "name": ColumnType.TEXT,
    "kind": ColumnType.TEXT,
    "status": ColumnType.TEXT,
    "operator": ColumnType.TEXT,
    "location_precision": ColumnType.TEXT,
    "description": ColumnType.TEXT,
    "capacity": ColumnType.TEXT,
    "capacity_unit": ColumnType.TEXT,
    "year": ColumnType.INTEGER,
    "population": ColumnType.INTEGER,
    "investment_usd": ColumnType.NUMBER,
    "capacity_value": ColumnType.NUMBER,
    "length_km_reported": ColumnType.NUMBER,
    "sources": ColumnType.SOURCES,
    "aliases": ColumnType.LIST,
}

#: Column names the atlas adds to its own tables; a user's column of that name is renamed.
RESERVED_COLUMNS: frozenset[str] = frozenset(
    {"layer", "length_km", "distance_km", "nearest_line", "feature_id", "along", "label", "sector", "metric"}
)

_YEARS = (1800, 2200)
#: Control characters (but tab and newline): never meaningful in a name or a note, and no font draws them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MAX_TEXT = 10_000  # characters kept of one text value


def is_missing(value: Any) -> bool:
    """Whether a single value stands for "no value" (None, NaN, NA, NaT, empty text)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, dict, np.ndarray)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Typed:
    """A layer's columns after typing: the frame, each column's type, and what was reported."""

    frame: gpd.GeoDataFrame
    types: dict[str, ColumnType]
    notices: list[Problem]


def _as_text(value: Any) -> str | None:
    if is_missing(value):
        return None
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple, dict)):
        text = json.dumps(value, ensure_ascii=False, default=str)
    elif isinstance(value, (bool, np.bool_)):
        text = "true" if value else "false"
    elif isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        text = str(int(value))
    else:
        text = str(value).strip()
    return _CONTROL.sub("", text[:_MAX_TEXT]).strip() or None


def _as_number(value: Any) -> float | None:
    """A finite number from a number or a numeric text; ``None`` when it is not one."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, Real):
        number = float(value)
    elif isinstance(value, str):
        cleaned = value.strip().replace(",", "").replace("_", "").replace(" ", "")
        try:
            number = float(cleaned)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _as_integer(value: Any) -> int | None:
    number = _as_number(value)
    if number is None or not number.is_integer() or abs(number) > 2**53:
        return None
    return int(number)


def _as_year(value: Any) -> int | None:
    year = _as_integer(value)
    return year if year is not None and _YEARS[0] <= year <= _YEARS[1] else None


def _parsed_json(value: Any) -> Any:
    if isinstance(value, str) and value.strip()[:1] in {"[", "{"}:
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value.tolist() if isinstance(value, np.ndarray) else value


def _one_source(item: Any) -> dict[str, str | None] | None:
    if isinstance(item, dict):
        entry = {key: _as_text(item.get(key)) for key in SOURCE_KEYS}
        url = entry["url"]
        if url is not None and not url.lower().startswith(("http://", "https://")):
            entry["url"] = None
        if entry["title"] is None:
            entry["title"] = entry["url"] or entry["publisher"]
        return entry if entry["title"] else None
    text = _as_text(item)
    if text is None:
        return None
    is_link = text.lower().startswith(("http://", "https://")) and " " not in text
    entry = dict.fromkeys(SOURCE_KEYS)
    entry.update(title=text, url=text if is_link else None)
    return entry


def _as_sources(value: Any) -> tuple[list[dict[str, str | None]], bool]:
    """A feature's sources as a list of dicts, and whether anything had to be changed or dropped."""
    if is_missing(value):
        return [], False
    parsed = _parsed_json(value)
    items = parsed if isinstance(parsed, list) else [parsed]
    sources = [s for s in (_one_source(item) for item in items) if s is not None]
    clean = isinstance(parsed, list) and all(
        isinstance(item, dict) and isinstance(item.get("title"), str) and item.get("title", "").strip()
        for item in parsed
    )
    return sources, not clean or len(sources) != len(items)


def _as_list(value: Any) -> list[str]:
    if is_missing(value):
        return []
    parsed = _parsed_json(value)
    items = parsed if isinstance(parsed, list) else [parsed]
    return [text for text in (_as_text(item) for item in items) if text is not None]


def _label(ids: pd.Series, position: int) -> str:
    return repr(str(ids.iloc[position]))


def _bad_values_notice(file: str, field: str, bad: list[tuple[str, Any]], what: str) -> Problem:
    """One notice per field: the values that are not ``what``, the first few with their features."""
    use = "on the timeline" if field == "year" else "in metrics, charts or tables of figures"
    if len(bad) == 1:
        value = repr(bad[0][1])[:80]
        return Problem(
            file, bad[0][0], field, f"{value} is not {what}: kept as text in '{field} (as given)', not used {use}"
        )
    shown = "; ".join(f"{label}: {value!r}"[:80] for label, value in bad[:3])
    more = f" and {len(bad) - 3:,} more" if len(bad) > 3 else ""
    return Problem(
        file,
        f"{len(bad):,} features",
        field,
        f"values are not {what} ({shown}{more}): kept as text in '{field} (as given)', not used {use}",
    )


_KNOWN_PARSERS: dict[ColumnType, Callable[[Any], Any]] = {
    ColumnType.NUMBER: _as_number,
    ColumnType.INTEGER: _as_integer,
}


def _known_number(
    file: str, field: str, column: pd.Series, ids: pd.Series, kind: ColumnType
) -> tuple[dict[str, pd.Series], Problem | None]:
    parse = _as_year if field == "year" else _KNOWN_PARSERS[kind]
    values, bad = [], []
    for position, raw in enumerate(column.tolist()):
        if is_missing(raw):
            values.append(None)
            continue
        parsed = parse(raw)
        values.append(parsed)
        if parsed is None:
            bad.append((_label(ids, position), raw))
    dtype = "Int64" if kind is ColumnType.INTEGER else "float64"
    result = pd.Series([np.nan if v is None else v for v in values], index=column.index, dtype="float64")
    out = {field: result.round().astype(dtype) if kind is ColumnType.INTEGER else result}
    if not bad:
        return out, None
    out[f"{field} (as given)"] = pd.Series(
        [_as_text(raw) if parsed is None else None for raw, parsed in zip(column.tolist(), values, strict=True)],
        index=column.index,
        dtype="str",
    )
    if field == "year":
        what = f"a year from {_YEARS[0]} to {_YEARS[1]}"
    else:
        what = "a whole number" if kind is ColumnType.INTEGER else "a number"
    return out, _bad_values_notice(file, field, bad, what)


def _text_column(column: pd.Series) -> pd.Series:
    return pd.Series([_as_text(v) for v in column.tolist()], index=column.index, dtype="str")


def _guess(column: pd.Series) -> ColumnType:
    """The type of a column the atlas gives no meaning to, from what it holds."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return ColumnType.TEXT
    if pd.api.types.is_integer_dtype(dtype):
        return ColumnType.INTEGER
    if pd.api.types.is_float_dtype(dtype):
        return ColumnType.NUMBER
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return ColumnType.DATE
    present = [v for v in column.tolist() if not is_missing(v)]
    if present and all(isinstance(v, Real) and not isinstance(v, (bool, np.bool_)) for v in present):
        integral = all(isinstance(v, Integral) for v in present)
        return ColumnType.INTEGER if integral else ColumnType.NUMBER
    return ColumnType.TEXT


def _generic(column: pd.Series, kind: ColumnType) -> pd.Series:
    if kind is ColumnType.DATE:
        return column
    if kind is ColumnType.TEXT:
        return _text_column(column)
    numbers = pd.Series([_as_number(v) for v in column.tolist()], index=column.index, dtype="float64")
    if kind is ColumnType.INTEGER:
        whole = numbers.dropna()
        if (whole.abs() <= 2**53).all() and (whole == whole.round()).all():
            return numbers.astype("Int64")
    return numbers


def _column_names(gdf: gpd.GeoDataFrame, file: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Give every column a unique text name that the atlas does not use for its own columns."""
    notices, names, taken = [], {}, set()
    geometry = gdf.geometry.name
    for column in gdf.columns:
        if column == geometry:
            continue
        name = str(column).strip() or "column"
        if name.casefold() in RESERVED_COLUMNS or name == "geometry":
            name = f"{name} (file)"
        while name in taken:
            name = f"{name}*"
        taken.add(name)
        if name != column:
            names[column] = name
            notices.append(
                Problem(file, "-", str(column), f"column renamed '{name}' (the atlas uses that name for its own)")
            )
    return (gdf.rename(columns=names) if names else gdf), notices


def _typed_column(
    file: str, name: Hashable, column: pd.Series, ids: pd.Series
) -> tuple[ColumnType, dict[str, pd.Series], list[Problem]]:
    field = str(name)
    kind = KNOWN_FIELDS.get(field) or _guess(column)
    if field in KNOWN_FIELDS and kind in _KNOWN_PARSERS:
        out, notice = _known_number(file, field, column, ids, kind)
        return kind, out, [notice] if notice else []
    if kind is ColumnType.SOURCES:
        pairs = [_as_sources(v) for v in column.tolist()]
        changed = [_label(ids, i) for i, (_, flag) in enumerate(pairs) if flag]
        notices = []
        if changed:
            example = changed[0] if len(changed) == 1 else f"{len(changed)} features"
            notices.append(
                Problem(
                    file,
                    example,
                    "sources",
                    "not a list of {title, url} objects everywhere: read as titles; links kept only for http(s)",
                )
            )
        return kind, {field: pd.Series([s for s, _ in pairs], index=column.index, dtype=object)}, notices
    if kind is ColumnType.LIST:
        return kind, {field: pd.Series([_as_list(v) for v in column.tolist()], index=column.index, dtype=object)}, []
    return kind, {field: _generic(column, kind)}, []


def type_columns(gdf: gpd.GeoDataFrame, *, file: str) -> Typed:
    """Decide each column's type once, coerce known fields, and report what could not be read.

    Parameters
    ----------
    gdf
        A layer as read, with an ``id`` column naming its features.
    file
        The file's name, for messages.

    Returns
    -------
    Typed
        The frame with typed columns (same index and row order), the type of each column, notices.
    """
    gdf, notices = _column_names(gdf, file)
    ids = gdf["id"] if "id" in gdf.columns else pd.Series([f"#{i}" for i in range(len(gdf))], index=gdf.index)
    columns: dict[str, pd.Series] = {}
    types: dict[str, ColumnType] = {}
    for name in gdf.columns:
        if name == gdf.geometry.name:
            continue
        kind, out, problems = _typed_column(file, name, gdf[name], ids)
        types[str(name)] = kind
        for key, series in out.items():
            columns[key] = series
            types.setdefault(key, ColumnType.TEXT)
        notices.extend(problems)
    frame = gpd.GeoDataFrame(columns, geometry=gdf.geometry, crs=gdf.crs, index=gdf.index)
    return Typed(frame=frame, types=types, notices=notices)
