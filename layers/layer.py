"""One kind of layer, whatever its origin: a declaration, its features, a display copy and its page data.

A catalog file, an upload, and later a drawing or a database table all arrive as a :class:`Layer`,
and everything downstream (map, legend, details, tables, metrics, analyses, exports) takes layers
without asking where they came from. A :class:`LayerSet` is one run's layers, in order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

import geopandas as gpd

from geo.detail import DetailPyramid
from geo.errors import Problem
from geo.filters import Filters
from layers.catalog import LayerSpec
from layers.payload import PageJSON
from layers.render import layer_payload

__all__ = ["Layer", "LayerSet"]

#: How many filter settings a layer keeps its filtered copy (and its page data) for.
_FILTERED_KEPT = 24


@dataclass(frozen=True, eq=False)
class Layer:
    """A layer ready for every consumer.

    ``frame`` holds the validated, full-precision features (WGS84); ``display`` is the copy the
    map and the images draw, index-aligned with ``frame`` (the same frame when it fits the vertex
    budget). ``key`` changes whenever the content does: caches of results are keyed by it.
    Where a layer came from is not recorded: nothing downstream may depend on it. ``shared``: the
    layer is the same for every session (a catalog layer), so results made from it may be kept
    for the whole server; a session's own layer (an upload) keeps its results in the session,
    and they go with it.
    """

    spec: LayerSpec
    frame: gpd.GeoDataFrame
    display: gpd.GeoDataFrame
    key: str
    notices: tuple[Problem, ...] = ()
    shared: bool = True
    detail: DetailPyramid | None = field(default=None, repr=False)  # full detail by zoom, when display is simplified
    _filtered: dict[Filters, Layer] = field(default_factory=dict, repr=False, compare=False)

    @property
    def id(self) -> str:
        """The layer's id (unique in a layer set)."""
        return self.spec.id

    @property
    def title(self) -> str:
        """The layer's title, as the toggles and tables show it."""
        return self.spec.title

    @property
    def kind(self) -> str:
        """``point``, ``line`` or ``polygon``."""
        return self.spec.geometry

    @cached_property
    def declaration_key(self) -> str:
        """A short digest of the declaration (title, style, roles …): it changes when the declaration does."""
        return hashlib.sha256(repr(self.spec).encode("utf-8")).hexdigest()[:16]

    @cached_property
    def page_data(self) -> PageJSON:
        """The data the page draws this layer from (serialised once per layer)."""
        return layer_payload(self.spec, self.display)

    def through(self, filters: Filters) -> Layer:
        """The layer as the filters show it: itself when every feature passes, else a smaller layer."""
        if filters in self._filtered:
            return self._filtered[filters]
        mask = filters.mask(self.frame)
        shown = self if bool(mask.all()) else self._subset(mask, filters)
        while len(self._filtered) >= _FILTERED_KEPT:
            self._filtered.pop(next(iter(self._filtered)), None)
        self._filtered[filters] = shown
        return shown

    def _subset(self, mask: object, filters: Filters) -> Layer:
        return Layer(
            spec=self.spec,
            frame=self.frame[mask],
            display=self.display[mask],
            key=f"{self.key}|{filters.statuses}|{filters.year}",
            notices=self.notices,
            shared=self.shared,
            detail=self.detail,
        )

    def declared(self, **changes: object) -> Layer:
        """The same features under a changed declaration (a title, roles …): a new layer sharing the frames."""
        spec = replace(self.spec, **changes)
        return Layer(spec, self.frame, self.display, self.key, self.notices, self.shared, self.detail)


@dataclass(frozen=True)
class LayerSet:
    """One run's layers, in order, and the error message of each layer that could not be loaded."""

    layers: tuple[Layer, ...]
    errors: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ids = [layer.id for layer in self.layers]
        if len(set(ids)) != len(ids):
            raise ValueError(f"layer ids repeat in a layer set: {ids}")

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __contains__(self, layer_id: object) -> bool:
        return any(layer.id == layer_id for layer in self.layers)

    def get(self, layer_id: str) -> Layer:
        """The layer with this id; ``KeyError`` naming the known ids if none has it."""
        for layer in self.layers:
            if layer.id == layer_id:
                return layer
        raise KeyError(f"unknown layer id {layer_id!r}; known layers: {', '.join(self.ids)}")

    @property
    def ids(self) -> tuple[str, ...]:
        """Layer ids in order."""
        return tuple(layer.id for layer in self.layers)

    @property
    def key(self) -> tuple[tuple[str, str], ...]:
        """What results made from these layers depend on: each layer's content key and declaration key."""
        return tuple((layer.key, layer.declaration_key) for layer in self.layers)

    @property
    def shared(self) -> bool:
        """Whether every layer is the same for every session (results from them may be kept server-wide)."""
        return all(layer.shared for layer in self.layers)

    def frames(self) -> dict[str, gpd.GeoDataFrame]:
        """Each layer's features by id (a fresh dict of the layers' own frames)."""
        return {layer.id: layer.frame for layer in self.layers}

    def with_role(self, role: str) -> LayerSet:
        """The layers declared with this role (see :data:`layers.catalog.ROLES`), in order."""
        return LayerSet(tuple(layer for layer in self.layers if role in layer.spec.roles))

    def of_kind(self, kind: str) -> LayerSet:
        """The layers of one geometry kind, in order."""
        return LayerSet(tuple(layer for layer in self.layers if layer.kind == kind))

    def only(self, layer_ids: Iterable[str]) -> LayerSet:
        """The layers whose ids are in ``layer_ids``, in this set's order."""
        wanted = set(layer_ids)
        return LayerSet(tuple(layer for layer in self.layers if layer.id in wanted))

    def through(self, filters: Filters) -> LayerSet:
        """Every layer as the filters show it."""
        return LayerSet(tuple(layer.through(filters) for layer in self.layers), self.errors)

    def __add__(self, other: LayerSet) -> LayerSet:
        return LayerSet(self.layers + other.layers, {**self.errors, **other.errors})
