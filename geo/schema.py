"""The feature schema every project layer follows: required properties and their allowed values."""

from __future__ import annotations

__all__ = [
    "LINE_TYPES",
    "NAME_LANGUAGES",
    "OPTIONAL_PROPERTIES",
    "POINT_TYPES",
    "POLYGON_TYPES",
    "PRECISIONS",
    "REQUIRED_PROPERTIES",
    "STATUSES",
]

STATUSES: tuple[str, ...] = ("operating", "under construction", "planned", "agreed")
PRECISIONS: tuple[str, ...] = ("exact", "approximate", "city-level", "schematic")

#: Properties every feature carries (value may be null where the schema says so).
REQUIRED_PROPERTIES: tuple[str, ...] = (
    "id",
    "name",
    "kind",
    "status",
    "year",
    "operator",
    "sources",
    "location_precision",
)

#: Properties that may be absent; shown when present.
#: Languages a feature may be named in besides English: ``name_ru``, ``name_kk``, ``name_zh`` (Kazakh in Cyrillic,
#: Chinese simplified). The map's labels switch between them.
NAME_LANGUAGES: tuple[str, ...] = ("ru", "kk", "zh")

OPTIONAL_PROPERTIES: tuple[str, ...] = (
    "aliases",
    *(f"name_{lang}" for lang in NAME_LANGUAGES),  # the name in NAME_LANGUAGES, where a source gives it
    "capacity",
    "capacity_value",
    "capacity_unit",
    "length_km_reported",
    "investment_usd",
    "description",
    "population",
)

LINE_TYPES = frozenset({"LineString", "MultiLineString"})
POINT_TYPES = frozenset({"Point", "MultiPoint"})
POLYGON_TYPES = frozenset({"Polygon", "MultiPolygon"})
