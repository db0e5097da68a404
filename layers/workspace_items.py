"""What a workspace's items hold, and how they are read back: uploads, drawings, the deck and the view.

An upload is saved as the file the planner gave (with its name and whether it is routed on), so
reopening reads it again through the same path as any upload: the layer that comes back is the
same record, never a second kind of layer. Drawings are saved as GeoJSON, the deck as its TOML
deck file, and the view (layers on, filters, selection, corridor, route, notes) as JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from geo.errors import CorridorAtlasError
from geo.footprint import footprint
from layers.workspace_store import Item

__all__ = [
    "DECK",
    "DRAWINGS",
    "UPLOAD",
    "VIEW",
    "SavedUpload",
    "deck_item",
    "drawings_item",
    "read_upload",
    "read_view",
    "upload_item",
    "view_item",
]

UPLOAD, DRAWINGS, DECK, VIEW = "upload", "drawings", "deck", "view"
_SEPARATOR = b"\0"


@dataclass(frozen=True)
class SavedUpload:
    """An upload as saved: the file's name and bytes, the title it was shown under, and whether it is routed on."""

    name: str
    title: str
    content: bytes
    rail: bool = False


def _extent(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    shape = footprint(frame)
    return {"features": len(frame), "bounds": shape.bounds if shape is not None else None, "footprint": shape}


def upload_item(upload_id: str, saved: SavedUpload, frame: gpd.GeoDataFrame) -> Item:
    """An upload as a workspace item: a JSON head line, a NUL byte, then the file as given; extent from ``frame``."""
    head = json.dumps({"name": saved.name, "title": saved.title, "rail": saved.rail}, ensure_ascii=False)
    return Item(UPLOAD, upload_id, head.encode("utf-8") + _SEPARATOR + saved.content, **_extent(frame))


def read_upload(item: Item) -> SavedUpload:
    """The upload an item holds, or an error naming the item."""
    head, separator, content = item.payload.partition(_SEPARATOR)
    try:
        meta = json.loads(head.decode("utf-8")) if separator else None
    except (UnicodeDecodeError, ValueError):
        meta = None
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
        raise CorridorAtlasError(f"saved layer {item.item_id}: the saved file cannot be read back")
    return SavedUpload(meta["name"], str(meta.get("title") or meta["name"]), content, bool(meta.get("rail")))


def drawings_item(geojson: str, frame: gpd.GeoDataFrame) -> Item:
    """The drawings as one item (GeoJSON text); their extent from ``frame``."""
    return Item(DRAWINGS, DRAWINGS, geojson.encode("utf-8"), **_extent(frame))


def deck_item(toml: str, scenes: int) -> Item:
    """The deck as one item (its deck file)."""
    return Item(DECK, DECK, toml.encode("utf-8"), scenes)


def view_item(view: dict[str, Any]) -> Item:
    """The view (JSON: layers on, filters, selection, corridor, route, notes) as one item."""
    return Item(VIEW, VIEW, json.dumps(view, ensure_ascii=False, sort_keys=True).encode("utf-8"))


def read_view(item: Item) -> dict[str, Any]:
    """The view an item holds (an empty one when it cannot be read)."""
    try:
        view = json.loads(item.payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return view if isinstance(view, dict) else {}
