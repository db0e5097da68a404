"""Users' own layers: read on upload, kept in this session only."""

from __future__ import annotations

import hashlib
import logging
import os
from typing import TYPE_CHECKING

import geopandas as gpd
import streamlit as st

from app.data import current_catalog, forget_upload_analyses, loaded_layers
from app.state import keep_view
from app.text import plain
from geo.errors import CorridorAtlasError, LayerReadError
from layers.catalog import LayerSpec
from layers.payload import PageJSON

if TYPE_CHECKING:  # imported where used, after the map: uploads, analyses (networkx), exports (matplotlib)
    from geo.budget import ReadBudget
    from geo.ingest import Ingested

# --- users' own layers ---------------------------------------------------------------------------
# Uploads live in this session only: {upload id: (title, Ingested)}. A failed upload adds an error
# message and leaves every loaded layer as it was. Each file is read in a worker process under a time
# and memory budget (geo.budget), and the session keeps at most CORRIDOR_ATLAS_SESSION_UPLOAD_MB of
# files. Sizes, notices and page data of an upload are dropped with it.

_LOG = logging.getLogger(__name__)

_MB = 1024 * 1024
MAX_UPLOAD_MB = int(os.environ.get("CORRIDOR_ATLAS_MAX_UPLOAD_MB", "50"))
#: Session state: file size by upload id, and how many uploads the session has taken (ids' tags).
_SIZES = "upload_sizes"
_COUNT = "upload_count"


def _env_number(name: str, default: float) -> float:
    """A positive number from the environment, or ``default`` (with a warning in the log if it is not one)."""
    text = os.environ.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        _LOG.warning("%s=%r is not a positive number; using %g", name, text, default)
        return default
    return value


def session_upload_mb() -> float:
    """How many MB of files one session may keep loaded (``CORRIDOR_ATLAS_SESSION_UPLOAD_MB``, default 200)."""
    return _env_number("CORRIDOR_ATLAS_SESSION_UPLOAD_MB", 200.0)


def read_budget() -> ReadBudget:
    """The time and memory budget of reading one upload: :class:`~geo.budget.ReadBudget`'s, or the environment's.

    ``CORRIDOR_ATLAS_UPLOAD_SECONDS`` and ``…_SECONDS_PER_MB`` set the wall-clock budget,
    ``CORRIDOR_ATLAS_UPLOAD_MEMORY_MB`` and ``…_MEMORY_PER_MB`` the memory budget (read on each upload).
    """
    from geo.budget import ReadBudget

    default = ReadBudget()
    return ReadBudget(
        base_seconds=_env_number("CORRIDOR_ATLAS_UPLOAD_SECONDS", default.base_seconds),
        seconds_per_mb=_env_number("CORRIDOR_ATLAS_UPLOAD_SECONDS_PER_MB", default.seconds_per_mb),
        base_memory_mb=_env_number("CORRIDOR_ATLAS_UPLOAD_MEMORY_MB", default.base_memory_mb),
        memory_per_mb=_env_number("CORRIDOR_ATLAS_UPLOAD_MEMORY_PER_MB", default.memory_per_mb),
    )


#: How many upload errors (the newest) and notices per layer the sidebar lists.
_ERRORS_SHOWN, _NOTICES_SHOWN = 5, 50


def session_uploads() -> dict[str, tuple[str, Ingested]]:
    """The session's uploads: ``{upload id: (file name, layer)}``."""
    return st.session_state.setdefault("uploads", {})


def _sizes() -> dict[str, int]:
    return st.session_state.setdefault(_SIZES, {})


def take_uploads() -> None:
    """Read newly uploaded files; each succeeds or fails on its own."""
    seen: set[str] = st.session_state.setdefault("upload_seen", set())
    errors: list[str] = st.session_state.setdefault("upload_errors", [])
    for file in st.session_state.get("uploader") or []:
        if file.file_id in seen:
            continue
        seen.add(file.file_id)
        try:
            _take(file.name, file.getvalue())
        except CorridorAtlasError as err:
            errors.append(str(err))


def _take(name: str, content: bytes) -> None:
    """Read one file and keep it as a layer of this session, or raise an error that says why not."""
    from geo.budget import read_within_budget
    from geo.ids import free_ids
    from geo.ingest import IngestLimits

    upload_id = f"up_{hashlib.sha256(content).hexdigest()[:16]}"  # the same file is the same layer
    if upload_id in session_uploads():
        raise LayerReadError(f"{name}: this file is already loaded")
    _check_session_room(name, len(content))
    layer = read_within_budget(name, content, limits=IngestLimits(max_bytes=MAX_UPLOAD_MB * _MB), budget=read_budget())
    count = st.session_state[_COUNT] = st.session_state.get(_COUNT, len(session_uploads())) + 1
    layer, _ = free_ids(layer, _taken_ids(), tag=f"up{count}")
    session_uploads()[upload_id] = (_free_title(name), layer)
    _sizes()[upload_id] = len(content)
    st.session_state[f"layer_{upload_id}"] = True
    forget_upload_analyses()
    keep_view()


def _check_session_room(name: str, size: int) -> None:
    """Refuse a file that would take the session's uploads over their total."""
    limit_mb = session_upload_mb()
    loaded = sum(_sizes().get(uid, 0) for uid in session_uploads())
    if loaded + size > limit_mb * _MB:
        layers = len(session_uploads())
        raise LayerReadError(
            f"{name}: {size / _MB:,.1f} MB more would take this session's uploads over {limit_mb:,.0f} MB "
            f"({loaded / _MB:,.1f} MB loaded in {layers} layer(s)); remove a layer first (✕ beside it), "
            "then upload the file again"
        )


def _free_title(name: str) -> str:
    """The file name, or ``name (2)``, ``name (3)`` … if another upload has that title."""
    titles = {title for title, _ in session_uploads().values()}
    title, n = name, 1
    while title in titles:
        n += 1
        title = f"{name} ({n})"
    return title


def _taken_ids() -> set[str]:
    """Feature ids of the catalog's loaded layers and of the uploads, and the corridor choices naming whole layers."""
    frames, _ = loaded_layers()
    frames.update({uid: layer.frame for uid, (_, layer) in session_uploads().items()})
    taken = {str(fid) for gdf in frames.values() for fid in gdf.index}
    return taken | {f"layer:{lid}" for lid in frames}


def remove_upload(upload_id: str) -> None:
    """Forget an uploaded layer, and everything this session made from it."""
    session_uploads().pop(upload_id, None)
    st.session_state.pop(f"layer_{upload_id}", None)
    _sizes().pop(upload_id, None)
    st.session_state.setdefault("upload_payloads", {}).pop(upload_id, None)
    forget_upload_analyses()
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
        help=(
            f"Up to {MAX_UPLOAD_MB} MB each, {session_upload_mb():,.0f} MB in all. "
            "Files stay in this browser session only."
        ),
    )
    errors = st.session_state.get("upload_errors", [])
    for message in errors[-_ERRORS_SHOWN:]:
        st.sidebar.error(plain(message))
    if errors:
        st.sidebar.button("Dismiss these messages", key="upload_errors_clear", on_click=errors.clear)
    for upload_id, (title, layer) in list(session_uploads().items()):
        toggle, remove = st.sidebar.columns([5, 1])
        toggle.checkbox(plain(f"{title} ({len(layer.frame)})"), key=f"layer_{upload_id}")
        remove.button(
            "✕", key=f"remove_{upload_id}", on_click=remove_upload, args=(upload_id,), help="Remove this layer"
        )
        if layer.notices:
            with st.sidebar.expander(f"{len(layer.notices)} notice(s)"):
                for notice in layer.notices[:_NOTICES_SHOWN]:
                    st.caption(plain(str(notice)))
                if len(layer.notices) > _NOTICES_SHOWN:
                    st.caption(f"… and {len(layer.notices) - _NOTICES_SHOWN:,} more")


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
