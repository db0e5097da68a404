"""Saved workspaces in the app: save, reopen by link, share read-only or editable, and save after every change.

A workspace is the session's uploads (the files as given), drawings, deck of scenes and view
(layers on, filters, year, selection, corridor, route, map view). It lives in PostgreSQL/PostGIS
when ``CORRIDOR_ATLAS_DATABASE_URL`` is set (every app server with it shares the workspaces), else
in the embedded database at ``CORRIDOR_ATLAS_WORKSPACES`` (default ``var/workspaces.db`` beside the
app); see :mod:`layers.workspace_store`. The link ``?ws=ID&key=TOKEN`` opens it in any session:
with the edit token every change is saved; with the view token nothing is. A database that
cannot be used is said, and the map keeps working.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st

from app.drawings import drawings, drawings_frame, replace_drawings
from app.scenes import deck, replace_deck
from app.state import keep_view, session, toggle_keys
from app.text import plain
from app.uploads import session_layers, take_saved_upload, upload_files
from geo.errors import CorridorAtlasError
from layers.drawings import drawings_geojson
from layers.scene import drawings_of
from layers.viewpoint import MapView
from layers.workspace_items import (
    DECK,
    DRAWINGS,
    UPLOAD,
    VIEW,
    SavedUpload,
    deck_item,
    drawings_item,
    read_upload,
    read_view,
    upload_item,
    view_item,
)
from layers.workspace_store import Item, SqlStore, StoreError, configured_place, open_store

__all__ = ["autosave", "open_linked_workspace", "workspace_section"]

#: The view's session keys a workspace keeps (beside the layer toggles).
VIEW_KEYS = ("f_status", "f_sector", "f_year", "feature", "corridor", "corridor_km", "route_from", "route_to", "lang")
_OPEN, _SAVED, _PROBLEM, _UNSAVED = "ws_open", "ws_saved", "ws_problem", "ws_unsaved"


@st.cache_resource(show_spinner=False)
def _store(path: Path, url: str) -> SqlStore:
    return open_store(path, url=url)


def store() -> SqlStore:
    """The server's workspace database (opened once per place); :class:`StoreError` if it cannot be used.

    A database that could not be opened is not cached, so it is tried again at the next use.
    """
    return _store(*configured_place())


# --- the session's workspace as items ---------------------------------------------------------------------------


def _view() -> dict[str, Any]:
    toggles = {key: bool(session.get(key)) for key in toggle_keys()}
    view = session.get("view")
    return {
        "toggles": toggles,
        **{key: session.get(key) for key in VIEW_KEYS},
        "view": [view.lat, view.lon, view.zoom] if view is not None else None,
    }


def current_items() -> dict[tuple[str, str], tuple[str, Callable[[], Item]]]:
    """Everything the session would save: by item key, a digest of it and how to make the item.

    An upload's digest is its id (the file's SHA-256) with its title and role, so a run does not
    read the file again to see whether it changed.
    """
    items: dict[tuple[str, str], tuple[str, Callable[[], Item]]] = {}
    for upload_id, layer in session_layers().items():
        if upload_id in upload_files():  # a layer without its file (made in a test) is not saved
            rail = "network" in layer.spec.roles
            items[(UPLOAD, upload_id)] = (f"{upload_id}|{layer.title}|{rail}", partial(_upload, upload_id, rail))
    if drawings():
        text = drawings_geojson(drawings_frame())
        items[(DRAWINGS, DRAWINGS)] = (_digest(text), partial(_drawings, text))
    if deck():
        from layers.deckfile import deck_toml

        text = deck_toml([scene for _, scene in deck()])
        items[(DECK, DECK)] = (_digest(text), partial(deck_item, text, len(deck())))
    view = view_item(_view())
    items[(VIEW, VIEW)] = (_digest(view.payload), lambda: view)
    return items


def _digest(content: str | bytes) -> str:
    return hashlib.sha256(content.encode("utf-8") if isinstance(content, str) else content).hexdigest()


def _upload(upload_id: str, rail: bool) -> Item:
    layer = session_layers()[upload_id]
    name, content = upload_files()[upload_id]
    return upload_item(upload_id, SavedUpload(name, layer.title, content, rail=rail), layer.frame)


def _drawings(text: str) -> Item:
    return drawings_item(text, drawings_frame())


# --- opening, saving ----------------------------------------------------------------------------------------------


def _apply_uploads(items: dict[tuple[str, str], Item]) -> list[str]:
    problems = []
    for (kind, _), item in items.items():
        if kind != UPLOAD:
            continue
        try:
            saved = read_upload(item)
            take_saved_upload(saved.name, saved.content, rail=saved.rail)
        except CorridorAtlasError as err:
            problems.append(str(err))
    return problems


def _apply_view(view: dict[str, Any]) -> None:
    for key, value in (view.get("toggles") or {}).items():
        session[key] = bool(value)
    for key in VIEW_KEYS:
        if key in view:
            session[key] = view[key]
    if isinstance(view.get("view"), list) and len(view["view"]) == 3:
        session["view"] = MapView(*(float(v) for v in view["view"]))
    keep_view()


def _apply(items: dict[tuple[str, str], Item]) -> list[str]:
    """Put a workspace's items into the session; the messages of items that could not be read back."""
    problems = _apply_uploads(items)
    if (DRAWINGS, DRAWINGS) in items:
        replace_drawings(drawings_of(items[(DRAWINGS, DRAWINGS)].payload.decode("utf-8")))
    if (DECK, DECK) in items:
        from layers.deckfile import deck_from_text

        try:
            replace_deck(deck_from_text(items[(DECK, DECK)].payload.decode("utf-8"), "the saved deck"))
        except CorridorAtlasError as err:
            problems.append(str(err))
    _apply_view(read_view(items[(VIEW, VIEW)]) if (VIEW, VIEW) in items else {})
    return problems


def open_linked_workspace() -> None:
    """Once per session: open the workspace the URL's ``ws`` and ``key`` name, if any."""
    workspace_id, token = session.get("ws_id"), session.get("ws_key")
    if not workspace_id or not token or session.get(_OPEN):
        return
    try:
        workspace = store().open(workspace_id, token)
    except StoreError as err:
        session[_PROBLEM] = str(err)
        session["ws_id"] = session["ws_key"] = None
        return
    problems = _apply(workspace.items)
    session[_OPEN] = {
        "id": workspace.id,
        "name": workspace.name,
        "edit": workspace.can_edit,
        "revision": workspace.revision,
    }
    session[_SAVED] = {key: digest for key, (digest, _) in current_items().items()}
    session[_PROBLEM] = "; ".join(problems) or None


def _save(force: bool = False) -> None:
    opened = session.get(_OPEN)
    if not opened or not opened["edit"]:
        return
    items = current_items()
    digests = {key: digest for key, (digest, _) in items.items()}
    saved = session.get(_SAVED) or {}
    changed = [make() for key, (digest, make) in items.items() if saved.get(key) != digest]
    removed = [key for key in saved if key not in items]
    if not (changed or removed or force):
        return
    try:
        opened["revision"] = store().save(opened["id"], session["ws_key"], changed, removed)
    except StoreError as err:
        session[_PROBLEM] = f"Not saved: {err}. Your work is still here; it is saved with the next change."
        session[_UNSAVED] = True
        return
    session[_SAVED] = digests
    session[_PROBLEM] = session[_UNSAVED] = None


def autosave(status: Any = None) -> None:
    """Save what changed since the last save (at the end of every run of an editable workspace).

    ``status`` is the workspace section's status slot, redrawn with the outcome.
    """
    before = (session.get(_PROBLEM), (session.get(_OPEN) or {}).get("revision"))
    _save()
    if status is not None and before != (session.get(_PROBLEM), (session.get(_OPEN) or {}).get("revision")):
        _show_status(status)


def _create() -> None:
    try:
        share = store().create(str(session.get("ws_name") or ""))
    except StoreError as err:
        session[_PROBLEM] = str(err)
        return
    session["ws_id"], session["ws_key"] = share.workspace_id, share.edit_token
    session["ws_view_key"] = share.view_token
    session[_OPEN] = {"id": share.workspace_id, "name": share.name, "edit": True, "revision": 0}
    session[_SAVED] = {}
    _save(force=True)


def _close() -> None:
    for key in (_OPEN, _SAVED, _UNSAVED, "ws_id", "ws_key", "ws_view_key"):
        session[key] = None


def _rename() -> None:
    opened = session.get(_OPEN)
    if not opened or not opened["edit"]:
        return
    try:
        opened["name"] = store().rename(opened["id"], session["ws_key"], str(session.get("ws_rename") or ""))
    except StoreError as err:
        session[_PROBLEM] = f"Not renamed: {err}"
        return
    session[_PROBLEM] = None


def _delete() -> None:
    opened = session.get(_OPEN)
    if not opened or not opened["edit"] or not session.get("ws_delete_sure"):
        return
    try:
        store().delete(opened["id"], session["ws_key"])
    except StoreError as err:
        session[_PROBLEM] = f"Not deleted: {err}"
        return
    _close()
    session["ws_delete_sure"] = False
    session[_PROBLEM] = None
    session["ws_notice"] = f"Workspace {opened['name']} deleted; its links open nothing now. Your map is still here."


def _show_status(slot: Any) -> None:
    """Whether the workspace is saved, and any problem, in the section's status slot (drawn anew after a save)."""
    opened = session.get(_OPEN)
    with slot.container():
        if session.get(_PROBLEM):
            st.warning(plain(session[_PROBLEM]))
        if session.get("ws_notice"):
            st.info(plain(session["ws_notice"]))
        if opened and opened["edit"] and session.get(_UNSAVED):
            st.caption(plain(f"{opened['name']}: not saved yet (last saved: revision {opened['revision']})."))
        elif opened and opened["edit"]:
            st.caption(plain(f"{opened['name']}: saved (revision {opened['revision']}); every change is saved."))
        elif opened:
            st.info(plain(f"{opened['name']}: read-only link. Changes you make here are not saved."))


def workspace_section() -> Any:
    """Save the session as a workspace, or say which one is open, its links and whether it is saved.

    Returns the status slot, which :func:`autosave` redraws at the end of the run, so a save that
    fails says so in the run that tried it.
    """
    st.subheader("Workspace")
    status = st.empty()
    _show_status(status)
    session["ws_notice"] = None
    opened = session.get(_OPEN)
    if not opened:
        st.text_input("Workspace name", key="ws_name", placeholder="e.g. Khorgos bypass study")
        st.button("Save as a workspace", key="ws_create", on_click=_create, width="stretch",
                  help="Keeps your layers, drawings, deck and view; every change after is saved too.")  # fmt: skip
        return status
    base = (st.context.url or "").split("?")[0]
    if opened["edit"] and session.get("ws_view_key"):
        st.caption("Read-only link (share to show):")
        st.code(f"{base}?ws={opened['id']}&key={session['ws_view_key']}", language=None, wrap_lines=True)
    if opened["edit"]:
        st.caption("Edit link (anyone with it can change the workspace):")
        st.code(f"{base}?ws={opened['id']}&key={session['ws_key']}", language=None, wrap_lines=True)
    st.button("Close the workspace", key="ws_close", on_click=_close, width="stretch")
    if opened["edit"]:
        _manage(opened)
    return status


def _manage(opened: dict[str, Any]) -> None:
    """Rename or delete the open workspace (an edit link only)."""
    with st.expander("Rename or delete"):
        if session.get("ws_rename") is None:
            session["ws_rename"] = opened["name"]
        st.text_input("New name", key="ws_rename", max_chars=200)
        st.button("Rename", key="ws_rename_do", on_click=_rename, width="stretch")
        st.checkbox("Yes, delete this workspace for everyone with its links", key="ws_delete_sure")
        st.button("Delete the workspace", key="ws_delete", on_click=_delete, width="stretch", type="secondary",
                  disabled=not session.get("ws_delete_sure"))  # fmt: skip
