"""A plain link's opening, kept on disk: a fresh server's first run shows the map from it, no geodata library loaded.

Before a server can make the map it imports pandas, geopandas and folium and reads every layer:
about 1.5 s of one core on this machine. What the first run of a link that names nothing shows
(the map's page, the layers switched on, the status line) is the same for every session of one
catalog, data and code, so the warm start (:mod:`app.server`) keeps it on disk, in a file named by
the hash of all three (:func:`source_key`), in ``var/opening/`` (``CORRIDOR_ATLAS_OPENINGS`` names
another folder). A later server's first run of such a link reads it and draws the map area from
it, in the places the whole page puts them, while the warm start waits; the map's first report
starts the next run, which is the whole page (:mod:`app.main`). A change to the catalog, the data,
the code or the libraries makes a new key: the warm start then keeps a new opening.

This module, like everything it imports, loads no geodata or mapping library.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import NamedTuple

import streamlit as st

from app.catalog import Source, load_current_catalog, source
from app.frame import Status, configure_page, page_frame, search_place, show_status
from app.mapview import MapAsk, MapPage, page_theme, show_map
from app.state import UrlState, session
from app.statics import FROM_COMPONENT_FRAME, STATIC_DIR, serving
from layers.catalog import CatalogError

__all__ = [
    "OPENED",
    "OPENINGS",
    "WHOLE_PAGE_ASKED",
    "Opening",
    "keep_opening",
    "kept_opening",
    "opened",
    "openings_folder",
    "source_key",
]

_LOG = logging.getLogger(__name__)
_ROOT = Path(__file__).resolve().parent.parent
#: The environment variable that names the folder openings are kept in (``opening-<source key>.json``; only
#: the newest stays); by default ``var/opening`` (``var/`` is not in git).
OPENINGS = "CORRIDOR_ATLAS_OPENINGS"
DEFAULT_OPENINGS = _ROOT / "var" / "opening"
#: The project's code a map page is made by: any change to it makes a new key.
_CODE = (_ROOT / "app", _ROOT / "layers", _ROOT / "geo", _ROOT / "streamlit_app.py")
#: The libraries a map page is made by, by their installed versions.
_LIBRARIES = ("streamlit", "streamlit-folium", "folium", "branca", "jinja2", "geopandas", "shapely", "pandas", "numpy")
#: Session key: the session has had a run.
OPENED = "_opened"
#: Set once a run needs the whole page: the warm start (app.server) waits for it while an opening is kept.
WHOLE_PAGE_ASKED = threading.Event()
_PUBLISHED = re.compile(re.escape(FROM_COMPONENT_FRAME) + r"([\w.-]+)")


class Opening(NamedTuple):
    """What a plain link's first run shows: the map's page and what it is asked, and the status line.

    ``ask`` has no theme: it is the browser's, read when the opening is shown. No layer of an opening is
    drawn in full detail (the detail is fetched from the session that offers it), so it has no detail call.
    """

    page: MapPage
    visible: tuple[str, ...]
    ask: MapAsk
    analysis: str
    status: Status


def opened() -> bool:
    """Show this run from the kept opening, when it is a plain link's first run in a browser; whether it did.

    Otherwise (a link with parameters, a later run, no browser, no opening kept for this catalog,
    data and code) nothing is drawn and the whole page runs.
    """
    opening = None
    if not session.get(OPENED) and not st.query_params and st.context.headers:
        opening = kept_opening(source())
    if opening is None or not _catalog_loads():
        WHOLE_PAGE_ASKED.set()
        return False
    configure_page()
    UrlState.seed()  # the session's state from here on, as the whole page's first run would set it
    page_frame()
    # In the places of the whole page (app.main.main), so that the next run, which draws the rest, leaves the
    # map's frame as it is: the search row's place (kept empty until then), then the map area's block.
    search_place().empty()  # an empty element: the place shows, kept at the row's height (app/css/app.css)
    with st.container():
        show_status(opening.status)
        ask = opening.ask._replace(theme=page_theme())
        show_map(opening.page, opening.visible, ask, "", opening.analysis)
    session[OPENED] = True
    return True


def _catalog_loads() -> bool:
    try:
        load_current_catalog()
    except CatalogError:  # the whole page says what is wrong with it
        return False
    return True


def openings_folder() -> Path:
    """Where this process keeps openings: ``CORRIDOR_ATLAS_OPENINGS``, else ``var/opening``."""
    return Path(os.environ.get(OPENINGS) or DEFAULT_OPENINGS)


def kept_opening(src: Source, folder: Path | None = None) -> Opening | None:
    """The opening kept for this catalog, data and code; None when there is none or a file it loads is gone."""
    try:
        key = source_key(src)
    except OSError:  # the catalog or a data file cannot be read: the whole page says so
        return None
    return _read((folder or openings_folder()) / f"opening-{key}.json")


def keep_opening(opening: Opening, src: Source, folder: Path | None = None) -> Path | None:
    """Keep ``opening`` for this catalog, data and code (written whole or not at all); older ones go.

    Nothing is kept where the folder cannot be written (a read-only install): first runs then make the page.
    """
    folder = folder or openings_folder()
    path = folder / f"opening-{source_key(src)}.json"
    if path.exists():
        return path
    temporary = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".writing-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(opening, out)
        os.replace(temporary, path)
        for older in folder.glob("opening-*.json"):
            if older != path:
                older.unlink(missing_ok=True)
    except OSError as err:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)  # a half-written file (a full disk) is not left behind
        _LOG.warning("Corridor Atlas: the opening is not kept on disk: %s", err)
        return None
    return path


def _read(path: Path) -> Opening | None:
    """The opening in ``path`` (read once: only the newest is kept, and never changed), or None."""
    if path in _READ:
        return _READ[path]
    try:
        page, visible, ask, analysis, status = json.loads(path.read_text(encoding="utf-8"))
        page = MapPage._make(page)
        opening = Opening(
            page=page._replace(css_links=tuple(page.css_links), js_links=tuple(page.js_links)),  # JSON has lists
            visible=tuple(visible),
            ask=MapAsk._make(ask),
            analysis=analysis,
            status=Status(*status),
        )
    except (OSError, ValueError, TypeError):
        return None
    loaded = _PUBLISHED.findall(" ".join((opening.page.script, *opening.page.css_links, *opening.page.js_links)))
    if not all((STATIC_DIR / name).is_file() for name in loaded):
        return None  # the static folder was emptied: the whole page publishes them again
    _READ[path] = opening
    return opening


#: Openings read, by file: one is written once, whole, and never changed (none yet: read again next time).
_READ: dict[Path, Opening] = {}


@functools.cache
def source_key(src: Source) -> str:
    """The hash of what a map page is made from: the catalog, its data folder, the code and the libraries."""
    digest = hashlib.sha256()
    files = [Path(src.catalog_file)]
    for root in (Path(src.data_folder), *_CODE):
        found = [root] if root.is_file() else root.rglob("*")
        files.extend(sorted(p for p in found if p.is_file() and "__pycache__" not in p.parts))
    for path in files:
        content = path.read_bytes()
        digest.update(f"{path}\0{len(content)}\0".encode())
        digest.update(content)
    for library in _LIBRARIES:
        digest.update(f"{library}={_version(library)}\0".encode())
    digest.update(f"serving={serving()}".encode())
    return digest.hexdigest()[:24]


def _version(library: str) -> str:
    try:
        return importlib.metadata.version(library)
    except importlib.metadata.PackageNotFoundError:
        return "absent"
