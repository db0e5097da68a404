"""The layer catalog: every layer declared once in ``catalog.toml``, loaded into frozen dataclasses."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from geo.errors import CorridorAtlasError
from geo.schema import LINE_TYPES, POINT_TYPES, POLYGON_TYPES
from layers.style import Style

__all__ = [
    "BASEMAP_LABELS",
    "BASEMAP_ROLES",
    "CATALOG_PATH",
    "DATA_DIR",
    "GROUPS",
    "ROLES",
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
#: What a layer is for, beyond being drawn: ``network`` lines are routable, ``pipeline`` lines are measured by
#: country in the metrics, ``facility`` points count as facilities.
ROLES: tuple[str, ...] = ("network", "pipeline", "facility")
#: What a basemap part is for, beyond being drawn: the ``countries`` polygons decide which country a place is in.
BASEMAP_ROLES: tuple[str, ...] = ("countries",)
#: How a point part of the basemap may be drawn as labels only: country names, or places with a dot.
BASEMAP_LABELS: tuple[str, ...] = ("country", "place")
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
    tooltip: tuple[str, ...] | None = ("name",)  # None: the features' naming attribute, whatever it is called
    popup: tuple[str, ...] | None = ("name",)  # None: every attribute (a layer nobody declared the fields of)
    label: str | None = None
    label_rank: str | None = None
    label_rank_min: float = 0.0
    roles: tuple[str, ...] = ()
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
    """One context layer of the offline vector basemap: its kind says how it is drawn, its roles what it is for."""

    id: str
    file: str
    style: Style
    geometry: str = "line"
    roles: tuple[str, ...] = ()
    data_dir: Path = DATA_DIR
    labels: str | None = None  # a point part drawn as labels only: "country" or "place" (see BASEMAP_LABELS)
    min_zoom: str | None = None  # column giving the zoom from which each label shows

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

    def with_role(self, role: str) -> BasemapPart:
        """The part with this role (one of :data:`BASEMAP_ROLES`); :class:`CatalogError` if the catalog gives none."""
        for part in self.parts:
            if role in part.roles:
                return part
        raise CatalogError(f"the catalog gives no basemap part the {role!r} role")


@dataclass(frozen=True)
class Catalog:
    """Every layer and the basemap, in declaration order, and the analysis overlays' styles."""

    layers: tuple[LayerSpec, ...]
    basemap: Basemap
    analysis: dict[str, tuple[str, Style]] = field(default_factory=dict, compare=False)
    figures: Path | None = None  # the headline figures file (layers.figures), if the catalog declares one

    @cached_property
    def colours(self) -> frozenset[str]:
        """Every colour the catalog's layers are drawn in (line and fill; upper case): uploads take none of them."""
        return frozenset(
            colour.upper()
            for spec in self.layers
            for colour in (spec.style.colour, spec.style.fill_colour)
            if isinstance(colour, str)
        )

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

    def with_role(self, role: str) -> tuple[LayerSpec, ...]:
        """Layers the catalog gives this role (one of :data:`ROLES`), in catalog order."""
        return tuple(spec for spec in self.layers if role in spec.roles)


#: What catalog values may look like: they reach pages, stylesheets and images as data, so they are checked as such.
_COLOUR = re.compile(r"#(?:[0-9A-Fa-f]{3,4}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})")
_DASH = re.compile(r"(?:\d{1,3}(?:\.\d+)?(?:[ ,]+\d{1,3}(?:\.\d+)?)*)?")
_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}")
#: Numeric style keys and their allowed ranges.
_NUMBERS: dict[str, tuple[float, float]] = {
    "weight": (0.0, 50.0),
    "opacity": (0.0, 1.0),
    "fill_opacity": (0.0, 1.0),
    "radius": (0.0, 100.0),
}


def _colour(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str) or not _COLOUR.fullmatch(value):
        raise CatalogError(f'{where}: {key} must be a hex colour such as "#D55E00"; got {value!r}')
    return value


def _text(raw: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise CatalogError(f"{where}: {key} must be text; got {value!r}")
    return value


def _style(raw: Any, where: str) -> Style:
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: style must be a table")
    known = set(Style.__dataclass_fields__)
    unknown = set(raw) - known
    if unknown:
        raise CatalogError(f"{where}: unknown style key(s) {sorted(unknown)}; allowed: {sorted(known)}")
    for key in ("colour", "fill_colour"):
        if key in raw:
            _colour(raw[key], where, f"style.{key}")
    for key, (low, high) in _NUMBERS.items():
        value = raw.get(key)
        if key in raw and (isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high):
            raise CatalogError(f"{where}: style.{key} must be a number from {low:g} to {high:g}; got {value!r}")
    dash = raw.get("dash", "")
    if not isinstance(dash, str) or not _DASH.fullmatch(dash):
        raise CatalogError(f'{where}: style.dash must be numbers separated by spaces, like "12 6"; got {dash!r}')
    return Style(**raw)


def _layer(raw: dict[str, Any], where: str, data_dir: Path) -> LayerSpec:
    required = ("id", "title", "group", "file", "geometry", "legend", "style")
    missing = [key for key in required if key not in raw]
    if missing:
        raise CatalogError(f"{where}: missing key(s) {missing}")
    for key in ("id", "title", "group", "file", "geometry", "legend"):
        _text(raw, key, where)
    if not _ID.fullmatch(raw["id"]):
        raise CatalogError(f"{where}: id must be letters, digits, '_', '-' or '.' (up to 64); got {raw['id']!r}")
    for key in ("tooltip", "popup"):
        fields = raw.get(key, [])
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise CatalogError(f"{where}: {key} must be a list of field names; got {fields!r}")
    if not isinstance(raw.get("visible", True), bool):
        raise CatalogError(f"{where}: visible must be true or false; got {raw['visible']!r}")
    if raw["group"] not in GROUPS:
        raise CatalogError(f"{where}: group {raw['group']!r} is not one of {GROUPS}")
    if raw["geometry"] not in _GEOMETRY_TYPES:
        raise CatalogError(f"{where}: geometry must be one of {sorted(_GEOMETRY_TYPES)}")
    roles = _roles(raw, where)
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
        roles=tuple(roles),
        data_dir=data_dir,
    )


def _roles(raw: dict[str, Any], where: str) -> list[str]:
    roles = raw.get("roles", [])
    if not isinstance(roles, list) or not all(role in ROLES for role in roles):
        raise CatalogError(f"{where}: roles must be a list of {ROLES}; got {roles!r}")
    for role in ("network", "pipeline"):
        if role in roles and raw["geometry"] != "line":
            raise CatalogError(f"{where}: only a line layer can have the {role} role")
    return roles


def _basemap_part(raw: dict[str, Any], where: str, data_dir: Path) -> BasemapPart:
    geometry = raw.get("geometry", "line")
    if geometry not in _GEOMETRY_TYPES:
        raise CatalogError(f"{where}: geometry must be one of {sorted(_GEOMETRY_TYPES)}; got {geometry!r}")
    roles = raw.get("roles", [])
    if not isinstance(roles, list) or not all(role in BASEMAP_ROLES for role in roles):
        raise CatalogError(f"{where}: roles must be a list of {BASEMAP_ROLES}; got {roles!r}")
    if roles and geometry != "polygon":
        raise CatalogError(f"{where}: only a polygon part can have the countries role")
    labels = raw.get("labels")
    if labels is not None and (labels not in BASEMAP_LABELS or geometry != "point"):
        raise CatalogError(f"{where}: labels must be one of {BASEMAP_LABELS}, on a point part; got {labels!r}")
    return BasemapPart(
        labels=labels,
        min_zoom=raw.get("min_zoom"),
        id=raw["id"],
        file=raw["file"],
        style=_style(raw["style"], where),
        geometry=geometry,
        roles=tuple(roles),
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
    if not isinstance(base, dict):
        raise CatalogError(f"{path.name}: [basemap] must be a table")
    parts = []
    for i, part in enumerate(base.get("part", [])):
        where = f"{path.name}: line {part_lines[i]}: basemap part #{i + 1}"
        if not isinstance(part, dict) or "file" not in part or "id" not in part or "style" not in part:
            raise CatalogError(f"{where}: a basemap part needs id, file and style")
        _inside_data(_text(part, "file", where), where, data_dir)
        if not _ID.fullmatch(_text(part, "id", where)):
            raise CatalogError(f"{where}: id must be letters, digits, '_', '-' or '.'; got {part['id']!r}")
        parts.append(_basemap_part(part, where, data_dir))
    where = f"{path.name}: [basemap]"
    basemap = Basemap(
        title=_text(base, "title", where, "Offline basemap"),
        background=_colour(base.get("background", "#FFFFFF"), where, "background"),
        attribution=_text(base, "attribution", where, ""),
        parts=tuple(parts),
    )
    analysis = {
        key: (str(entry.get("title", key)), _style(entry.get("style", {}), f"{path.name}: analysis.{key}"))
        for key, entry in raw.get("analysis", {}).items()
    }
    figures = _figures_file(raw.get("figures", {}), f"{path.name}: [figures]", data_dir)
    return Catalog(layers=layers, basemap=basemap, analysis=analysis, figures=figures)


def _figures_file(raw: Any, where: str, data_dir: Path) -> Path | None:
    if not isinstance(raw, dict):
        raise CatalogError(f"{where} must be a table")
    if "file" not in raw:
        return None
    _inside_data(_text(raw, "file", where), where, data_dir)
    return data_dir / raw["file"]


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The project's catalog, read once per process."""
    return load_catalog()
