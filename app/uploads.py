"""Users' own layers: read on upload, kept in this session only."""

from __future__ import annotations

import hashlib
import logging
import os
from typing import TYPE_CHECKING

import streamlit as st

from app.catalog import current_catalog, source
from app.data import catalog_layer_set
from app.state import forget_session_results, keep_view, session
from app.text import plain
from geo.errors import CorridorAtlasError, LayerReadError
from layers.layer import Layer, LayerSet

if TYPE_CHECKING:  # imported where used, after the map: uploads, analyses (networkx), exports (matplotlib)
    from geo.budget import ReadBudget

# --- users' own layers ---------------------------------------------------------------------------
# Uploads live in this session only: {upload id: Layer}. A failed upload adds an error
# message and leaves every loaded layer as it was. Each file is read in a worker process under a time
# and memory budget (geo.budget), and the session keeps at most CORRIDOR_ATLAS_SESSION_UPLOAD_MB of
# files. An upload is a layer like any catalog layer (layers.uploads.upload_layer); its size and the
# results made from it are dropped with it.

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


def session_layers() -> dict[str, Layer]:
    """The session's uploads: ``{upload id: layer}``, in the order they were taken."""
    return session.setdefault("uploads", {})


def current_layers() -> LayerSet:
    """The layers of this run: the catalog's that load (with the errors of those that do not), then the session's."""
    from app.drawings import drawing_layers

    return catalog_layer_set(source()) + LayerSet(tuple(session_layers().values())) + drawing_layers()


def _sizes() -> dict[str, int]:
    return session.setdefault(_SIZES, {})


def take_uploads() -> None:
    """Read newly uploaded files; each succeeds or fails on its own."""
    seen: set[str] = session.setdefault("upload_seen", set())
    errors: list[str] = session.setdefault("upload_errors", [])
    for file in session.get("uploader") or []:
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
    from layers.uploads import upload_layer

    upload_id = f"up_{hashlib.sha256(content).hexdigest()[:16]}"  # the same file is the same layer
    if upload_id in session_layers():
        raise LayerReadError(f"{name}: this file is already loaded")
    _check_session_room(name, len(content))
    ingested = read_within_budget(
        name, content, limits=IngestLimits(max_bytes=MAX_UPLOAD_MB * _MB), budget=read_budget()
    )
    count = session[_COUNT] = session.get(_COUNT, len(session_layers())) + 1
    ingested, _ = free_ids(ingested, _taken_ids(), tag=f"up{count}")
    session_layers()[upload_id] = upload_layer(
        upload_id, _free_title(name), ingested, colour_index=count - 1, colours_taken=current_catalog().colours
    )
    _sizes()[upload_id] = len(content)
    upload_files()[upload_id] = (name, content)  # what a saved workspace keeps of it
    session[f"layer_{upload_id}"] = True
    forget_session_results()
    keep_view()


def _check_session_room(name: str, size: int) -> None:
    """Refuse a file that would take the session's uploads over their total."""
    limit_mb = session_upload_mb()
    loaded = sum(_sizes().get(uid, 0) for uid in session_layers())
    if loaded + size > limit_mb * _MB:
        layers = len(session_layers())
        raise LayerReadError(
            f"{name}: {size / _MB:,.1f} MB more would take this session's uploads over {limit_mb:,.0f} MB "
            f"({loaded / _MB:,.1f} MB loaded in {layers} layer(s)); remove a layer first (✕ beside it), "
            "then upload the file again"
        )


def _free_title(name: str) -> str:
    """The file name, or ``name (2)``, ``name (3)`` … if another upload has that title."""
    titles = {layer.title for layer in session_layers().values()}
    title, n = name, 1
    while title in titles:
        n += 1
        title = f"{name} ({n})"
    return title


def _taken_ids() -> set[str]:
    """Feature ids of every layer, and the corridor choices naming whole layers."""
    layers = current_layers()
    taken = {str(fid) for layer in layers for fid in layer.frame.index}
    return taken | {f"layer:{lid}" for lid in layers.ids}


def remove_upload(upload_id: str) -> None:
    """Forget an uploaded layer, and everything this session made from it; no other layer changes."""
    session_layers().pop(upload_id, None)
    session.pop(f"layer_{upload_id}", None)
    session.pop(f"rail_{upload_id}", None)
    _sizes().pop(upload_id, None)
    upload_files().pop(upload_id, None)
    forget_session_results()
    keep_view()


def upload_files() -> dict[str, tuple[str, bytes]]:
    """The files the session's uploads were read from: ``{upload id: (file name, bytes)}``."""
    return session.setdefault("upload_files", {})


def take_saved_upload(name: str, content: bytes, *, rail: bool) -> str | None:
    """Read a file a saved workspace kept, as any upload is read; its id (``None`` if it is loaded already)."""
    upload_id = f"up_{hashlib.sha256(content).hexdigest()[:16]}"
    if upload_id in session_layers():
        return None
    _take(name, content)
    if rail:
        session[f"rail_{upload_id}"] = True
        mark_as_rail(upload_id)
    return upload_id


def mark_as_rail(upload_id: str) -> None:
    """Give an uploaded line layer the ``network`` role, or take it away, as its "Route on it" box says."""
    layer = session_layers().get(upload_id)
    if layer is None:
        return
    routable = bool(session.get(f"rail_{upload_id}"))
    roles = tuple(r for r in layer.spec.roles if r != "network") + (("network",) if routable else ())
    session_layers()[upload_id] = layer.declared(roles=roles)
    forget_session_results()
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
    errors = session.get("upload_errors", [])
    for message in errors[-_ERRORS_SHOWN:]:
        st.sidebar.error(plain(message))
    if errors:
        st.sidebar.button("Dismiss these messages", key="upload_errors_clear", on_click=errors.clear)
    for upload_id, layer in list(session_layers().items()):
        _upload_row(upload_id, layer)


def _upload_row(upload_id: str, layer: Layer) -> None:
    """One upload in the sidebar: its toggle, ✕, "Route on it" for lines, and its notices."""
    toggle, remove = st.sidebar.columns([5, 1])
    toggle.checkbox(plain(f"{layer.title} ({len(layer.frame)})"), key=layer.spec.widget_key)
    remove.button("✕", key=f"remove_{upload_id}", on_click=remove_upload, args=(upload_id,), help="Remove this layer")
    if layer.kind == "line":
        session.setdefault(f"rail_{upload_id}", "network" in layer.spec.roles)
        st.sidebar.checkbox(
            "Route on it (rail)",
            key=f"rail_{upload_id}",
            on_change=mark_as_rail,
            args=(upload_id,),
            help="Adds these lines to the rail network the Route tab finds routes on.",
        )
    if layer.notices:
        with st.sidebar.expander(f"{len(layer.notices)} notice(s)"):
            for notice in layer.notices[:_NOTICES_SHOWN]:
                st.caption(plain(str(notice)))
            if len(layer.notices) > _NOTICES_SHOWN:
                st.caption(f"… and {len(layer.notices) - _NOTICES_SHOWN:,} more")
