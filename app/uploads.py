"""Users' own layers: read on upload, kept in this session only."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import geopandas as gpd
import streamlit as st

from app.data import current_catalog
from app.state import keep_view
from app.text import plain
from geo.errors import CorridorAtlasError
from layers.catalog import LayerSpec
from layers.payload import PageJSON

if TYPE_CHECKING:  # imported where used, after the map: uploads, analyses (networkx), exports (matplotlib)
    from geo.ingest import Ingested

# --- users' own layers ---------------------------------------------------------------------------
# Uploads live in this session only: {upload id: (title, Ingested)}. A failed upload adds an error
# message and leaves every loaded layer as it was.

MAX_UPLOAD_MB = int(os.environ.get("CORRIDOR_ATLAS_MAX_UPLOAD_MB", "50"))


def session_uploads() -> dict[str, tuple[str, Ingested]]:
    """The session's uploads: ``{upload id: (file name, layer)}``."""
    return st.session_state.setdefault("uploads", {})


def take_uploads() -> None:
    """Read newly uploaded files; each succeeds or fails on its own."""
    from geo.ingest import IngestLimits, ingest

    seen: set[str] = st.session_state.setdefault("upload_seen", set())
    errors: list[str] = st.session_state.setdefault("upload_errors", [])
    for file in st.session_state.get("uploader") or []:
        if file.file_id in seen:
            continue
        seen.add(file.file_id)
        try:
            layer = ingest(file.name, file.getvalue(), limits=IngestLimits(max_bytes=MAX_UPLOAD_MB * 1024 * 1024))
        except CorridorAtlasError as err:
            errors.append(str(err))
            continue
        upload_id = f"up_{layer.digest[:16]}"
        if upload_id in session_uploads():
            errors.append(f"{file.name}: this file is already loaded")
            continue
        session_uploads()[upload_id] = (file.name, layer)
        st.session_state[f"layer_{upload_id}"] = True
        keep_view()


def remove_upload(upload_id: str) -> None:
    """Forget an uploaded layer."""
    session_uploads().pop(upload_id, None)
    st.session_state.pop(f"layer_{upload_id}", None)
    keep_view()


def uploads_section() -> None:
    """Add your own layers (several at once), toggle and remove them, read what was repaired."""
    from geo.ingest import SUPPORTED_SUFFIXES
    from layers.uploads import UPLOAD_GROUP

    st.sidebar.subheader(UPLOAD_GROUP)
    st.sidebar.file_uploader(
        "Add GeoJSON, GeoPackage, zipped Shapefile, KML, FlatGeobuf or CSV (lon/lat or WKT)",
        type=[s.lstrip(".") for s in SUPPORTED_SUFFIXES],
        accept_multiple_files=True,
        key="uploader",
        on_change=take_uploads,
        help=f"Up to {MAX_UPLOAD_MB} MB each. Files stay in this browser session only.",
    )
    for message in st.session_state.get("upload_errors", []):
        st.sidebar.error(plain(message))
    for upload_id, (title, layer) in list(session_uploads().items()):
        toggle, remove = st.sidebar.columns([5, 1])
        toggle.checkbox(plain(f"{title} ({len(layer.frame)})"), key=f"layer_{upload_id}")
        remove.button(
            "✕", key=f"remove_{upload_id}", on_click=remove_upload, args=(upload_id,), help="Remove this layer"
        )
        if layer.notices:
            with st.sidebar.expander(f"{len(layer.notices)} notice(s)"):
                for notice in layer.notices:
                    st.caption(plain(str(notice)))


def upload_extra() -> dict[str, tuple[str, gpd.GeoDataFrame]]:
    """The uploads taking part in analyses: ``(geometry kind, full-precision frame)`` by id."""
    return {uid: (layer.geometry_kind, layer.frame) for uid, (_, layer) in session_uploads().items()}


def upload_key() -> tuple[tuple[str, ...]]:
    """Cache key part naming the uploads (ids are content hashes)."""
    return (tuple(sorted(session_uploads())),)


def spec_of(layer_id: str) -> LayerSpec:
    """The declaration of a catalog layer or of an uploaded one."""
    for spec, _ in upload_layers():
        if spec.id == layer_id:
            return spec
    return current_catalog().get(layer_id)


def upload_page_data(spec: LayerSpec, layer: Ingested) -> PageJSON:
    """An upload's page data, serialised once per session (from its display copy)."""
    from layers.uploads import upload_payload

    cache: dict[str, PageJSON] = st.session_state.setdefault("upload_payloads", {})
    if spec.id not in cache:
        cache[spec.id] = upload_payload(spec, layer.display)
    return cache[spec.id]


def upload_layers() -> list[tuple[LayerSpec, Ingested]]:
    """Each uploaded layer with its automatic declaration."""
    if not session_uploads():
        return []
    from layers.uploads import upload_spec

    return [
        (upload_spec(upload_id, title, layer.geometry_kind, i), layer)
        for i, (upload_id, (title, layer)) in enumerate(session_uploads().items())
    ]
