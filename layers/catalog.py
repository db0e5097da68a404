"""The layer catalog: every layer declared once in ``catalog.toml``, loaded into frozen dataclasses."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from geo.errors import CorridorAtlasError
from geo.schema import LINE_TYPES, POINT_TYPES, POLYGON_TYPES
from layers.style import Style

__all__ = [
    "CATALOG_PATH",
    "DATA_DIR",
    "GROUPS",
    "Basemap",
    "BasemapPart",
    "Catalog",
    "CatalogError",
    "LayerSpec",
    "default_catalog",
    "load_catalog",
]

CATALOG_PATH = Path(__file__).with_name("catalog.toml")
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
GROUPS: tuple[str, ...] = ("Energy", "Logistics", "Industry", "Context")
_GEOMETRY_TYPES = {"line": LINE_TYPES, "point": POINT_TYPES, "polygon": POLYGON_TYPES}


class CatalogError(CorridorAtlasError):
    """The catalog file is malformed or declares something impossible."""


@dataclass(frozen=True)
class LayerSpec:
    """One toggleable map layer as declared in the catalog."""

    id: str
    title: str
    group: str
    file: str
    geometry: str
    legend: str
    style: Style
    visible: bool = True
    tooltip: tuple[str, ...] = ("name",)
    popup: tuple[str, ...] = ("name",)
    label: str | None = None
    label_rank: str | None = None
    label_rank_min: float = 0.0
    data_dir: Path = DATA_DIR

    @property
    def path(self) -> Path:
        """Absolute path of the layer's data file."""
        return self.data_dir / self.file

    @property
    def geometry_types(self) -> frozenset[str]:
        """Geometry type names allowed in the layer's file."""
        return _GEOMETRY_TYPES[self.geometry]

    @property
    def widget_key(self) -> str:
        """Key of the layer's toggle in the app (derived from the id)."""
        return f"layer_{self.id}"


@dataclass(frozen=True)
class BasemapPart:
    """One context layer of the offline vector basemap."""

    id: str
    file: str
    style: Style
    data_dir: Path = DATA_DIR

    @property
    def path(self) -> Path:
        """Absolute path of the part's data file."""
        return self.data_dir / self.file


@dataclass(frozen=True)
class Basemap:
    """The offline vector basemap: parts drawn in order over a background colour."""

    title: str
    background: str
    attribution: str
    parts: tuple[BasemapPart, ...]


@dataclass(frozen=True)
class Catalog:
    """Every layer and the basemap, in declaration order, and the analysis overlays' styles."""

    layers: tuple[LayerSpec, ...]
    basemap: Basemap
    analysis: dict[str, tuple[str, Style]] = field(default_factory=dict, compare=False)
    _by_id: dict[str, LayerSpec] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({spec.id: spec for spec in self.layers})

    def get(self, layer_id: str) -> LayerSpec:
        """Return the layer with this id, or raise :class:`CatalogError` naming the known ids."""
        try:
            return self._by_id[layer_id]
        except KeyError:
            known = ", ".join(self._by_id)
            raise CatalogError(f"unknown layer id {layer_id!r}; known layers: {known}") from None

    @property
    def ids(self) -> tuple[str, ...]:
        """Layer ids in catalog order."""
        return tuple(spec.id for spec in self.layers)

    def in_group(self, group: str) -> tuple[LayerSpec, ...]:
        """Layers of one group, in catalog order."""
        return tuple(spec for spec in self.layers if spec.group == group)


def _style(raw: Any, where: str) -> Style:
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: style must be a table")
    known = set(Style.__dataclass_fields__)
    unknown = set(raw) - known
    if unknown:
        raise CatalogError(f"{where}: unknown style key(s) {sorted(unknown)}; allowed: {sorted(known)}")
    return Style(**raw)


def _layer(raw: dict[str, Any], where: str, data_dir: Path) -> LayerSpec:
    required = ("id", "title", "group", "file", "geometry", "legend", "style")
    missing = [key for key in required if key not in raw]
    if missing:
        raise CatalogError(f"{where}: missing key(s) {missing}")
    if raw["group"] not in GROUPS:
        raise CatalogError(f"{where}: group {raw['group']!r} is not one of {GROUPS}")
    if raw["geometry"] not in _GEOMETRY_TYPES:
        raise CatalogError(f"{where}: geometry must be one of {sorted(_GEOMETRY_TYPES)}")
    _inside_data(raw["file"], where, data_dir)
    return LayerSpec(
        id=raw["id"],
        title=raw["title"],
        group=raw["group"],
        file=raw["file"],
        geometry=raw["geometry"],
        legend=raw["legend"],
        style=_style(raw["style"], where),
        visible=bool(raw.get("visible", True)),
        tooltip=tuple(raw.get("tooltip", ("name",))),
        popup=tuple(raw.get("popup", ("name",))),
        label=raw.get("label"),
        label_rank=raw.get("label_rank"),
        label_rank_min=float(raw.get("label_rank_min", 0.0)),
        data_dir=data_dir,
    )


def _inside_data(file: str, where: str, data_dir: Path) -> None:
    resolved = (data_dir / file).resolve()
    if not resolved.is_relative_to(data_dir.resolve()):
        raise CatalogError(f"{where}: file {file!r} points outside data/")


def _header_lines(text: str, header: str) -> list[int]:
    """Line numbers (1-based) of each ``[[table]]`` header, so messages can point at the entry."""
    return [n for n, line in enumerate(text.splitlines(), start=1) if line.strip().startswith(header)]


def load_catalog(path: Path = CATALOG_PATH, *, data_dir: Path = DATA_DIR) -> Catalog:
    """Read and check a catalog file.

    Parameters
    ----------
    path
        The catalog TOML file.
    data_dir
        Folder the entries' ``file`` paths are relative to; no entry may point outside it.

    Raises
    ------
    CatalogError
        The file cannot be read or is not valid TOML, an entry lacks a key, a group or geometry is unknown, an id
        repeats, or a file path leaves ``data/``.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise CatalogError(f"{path}: the catalog file cannot be read ({reason})") from err
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise CatalogError(f"{path}: not valid TOML ({err})") from err
    layer_lines = _header_lines(text, "[[layer]]")
    part_lines = _header_lines(text, "[[basemap.part]]")
    layers = tuple(
        _layer(entry, f"{path.name}: line {layer_lines[i]}: layer #{i + 1}", data_dir)
        for i, entry in enumerate(raw.get("layer", []))
    )
    seen: set[str] = set()
    for spec in layers:
        if spec.id in seen:
            raise CatalogError(f"{path.name}: layer id {spec.id!r} is declared twice")
        seen.add(spec.id)
    base = raw.get("basemap", {})
    parts = []
    for i, part in enumerate(base.get("part", [])):
        where = f"{path.name}: line {part_lines[i]}: basemap part #{i + 1}"
        _inside_data(part["file"], where, data_dir)
        parts.append(
            BasemapPart(id=part["id"], file=part["file"], style=_style(part["style"], where), data_dir=data_dir)
        )
    basemap = Basemap(
        title=base.get("title", "Offline basemap"),
        background=base.get("background", "#FFFFFF"),
        attribution=base.get("attribution", ""),
        parts=tuple(parts),
    )
    analysis = {
        key: (str(entry.get("title", key)), _style(entry.get("style", {}), f"{path.name}: analysis.{key}"))
        for key, entry in raw.get("analysis", {}).items()
    }
    return Catalog(layers=layers, basemap=basemap, analysis=analysis)


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The project's catalog, read once per process."""
    return load_catalog()
