"""Headline figures of the corridor (FDI, agreements, trade, …): not map features, but cited data all the same.

They are declared in the catalog's ``[figures]`` table, which names a JSON file under ``data/``: a list of
``{id, label, value, unit, year, scope, sources}`` records, checked here as strictly as the layers are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from geo.citation import SOURCE_KEYS
from geo.errors import CorridorAtlasError

__all__ = ["FigureError", "HeadlineFigure", "load_figures", "usd_bn"]

_UNITS = ("US$", "count", "year", "percent", "t", "TEU")


class FigureError(CorridorAtlasError):
    """The figures file is unreadable or a record breaks the rules."""


@dataclass(frozen=True)
class HeadlineFigure:
    """One published figure with the year it refers to and the sources that state it."""

    id: str
    label: str
    value: float
    unit: str
    year: int
    scope: str
    sources: tuple[dict[str, str | None], ...]

    @property
    def shown(self) -> str:
        """The value as a reader expects it: ``$17.0 bn``, ``33``, ``2001``, ``12.5 %``."""
        if self.unit == "US$":
            return f"${usd_bn(self.value):,.1f} bn" if self.value >= 1e9 else f"${self.value / 1e6:,.0f} million"
        if self.unit == "year":
            return str(int(self.value))
        if self.unit == "percent":
            return f"{self.value:g} %"
        number = f"{self.value:,.0f}" if float(self.value).is_integer() else f"{self.value:,g}"
        return number if self.unit == "count" else f"{number} {self.unit}"


def usd_bn(value: float) -> float:
    """US dollars in billions."""
    return value / 1e9


def _source(raw: Any, where: str) -> dict[str, str | None]:
    if not isinstance(raw, dict) or not isinstance(raw.get("title"), str) or not raw["title"].strip():
        raise FigureError(f"{where}: each source needs a title")
    unknown = set(raw) - set(SOURCE_KEYS)
    if unknown:
        raise FigureError(f"{where}: unknown source key(s) {sorted(unknown)}")
    for key in SOURCE_KEYS:
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise FigureError(f"{where}: source {key} must be text; got {raw[key]!r}")
    return {key: raw.get(key) for key in SOURCE_KEYS}


def _figure(raw: Any, where: str) -> HeadlineFigure:
    if not isinstance(raw, dict):
        raise FigureError(f"{where}: a figure must be an object")
    for key in ("id", "label", "unit", "scope"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise FigureError(f"{where}: {key} must be non-empty text; got {raw.get(key)!r}")
    where = f"{where} ({raw['id']})"
    value, year = raw.get("value"), raw.get("year")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < 0:
        raise FigureError(f"{where}: value must be a number of 0 or more; got {value!r}")
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2100:
        raise FigureError(f"{where}: year must be a whole year from 1900 to 2100; got {year!r}")
    if raw["unit"] not in _UNITS:
        raise FigureError(f"{where}: unit must be one of {_UNITS}; got {raw['unit']!r}")
    sources = raw.get("sources")
    if not isinstance(sources, list) or not sources:
        raise FigureError(f"{where}: sources must be a non-empty list")
    return HeadlineFigure(
        id=raw["id"],
        label=raw["label"],
        value=float(value),
        unit=raw["unit"],
        year=year,
        scope=raw["scope"],
        sources=tuple(_source(s, f"{where}: source #{i + 1}") for i, s in enumerate(sources)),
    )


@lru_cache(maxsize=4)
def load_figures(path: Path) -> tuple[HeadlineFigure, ...]:
    """Read and check a figures file (cached per path; the file is project data, not user input).

    Raises
    ------
    FigureError
        The file cannot be read, is not a JSON list, a record lacks a field or breaks its rule, or an id repeats.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise FigureError(f"{path.name}: the figures file cannot be read ({err})") from err
    if not isinstance(raw, list):
        raise FigureError(f"{path.name}: the figures file must hold a JSON list of figures")
    figures = tuple(_figure(item, f"{path.name}: figure #{i + 1}") for i, item in enumerate(raw))
    ids = [f.id for f in figures]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise FigureError(f"{path.name}: figure id(s) declared twice: {repeated}")
    return figures
