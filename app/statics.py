"""Files the map's page loads by URL from the app's own server: Leaflet, the page script and the basemap.

The map reaches the browser as a Streamlit component whose arguments are sent again whenever one
of them changes, a layer toggle included. What is the same for every map of the server (about
1 MB: Leaflet, the project's page script, the Natural Earth basemap) is published once as files in
the app's static folder (Streamlit's ``server.enableStaticServing``) and referred to by URL: the
component's arguments shrink to the layers' own data, and the browser caches the files across
maps and visits. Nothing leaves the app's server. Files are named by their content's hash, written
once per server process, never changed afterwards.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import os
import tempfile
from pathlib import Path

import streamlit as st

_LOG = logging.getLogger(__name__)

#: Streamlit serves ``<folder of streamlit_app.py>/static/<name>`` at ``<server>/app/static/<name>``.
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
#: From the map's frame (``<server>/component/<component name>/index.html``) to the static files.
FROM_COMPONENT_FRAME = "../../app/static/"

_EXTENSIONS = {"text/javascript": ".js", "text/css": ".css", "application/json": ".json"}


def serving() -> bool:
    """Whether the server serves the static folder (set in ``.streamlit/config.toml``)."""
    return bool(st.get_option("server.enableStaticServing"))


def publish(content: bytes, *, stem: str, suffix: str, folder: Path | None = None) -> str:
    """Write ``content`` as ``<stem>-<hash><suffix>`` in the static folder (once); its URL from the map's frame."""
    folder = STATIC_DIR if folder is None else folder
    name = f"{stem}-{hashlib.sha256(content).hexdigest()[:20]}{suffix}"
    path = folder / name
    if not path.exists():
        folder.mkdir(exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".writing-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            os.replace(temporary, path)  # atomic: a request never sees half a file
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return FROM_COMPONENT_FRAME + name


def published_link(link: str, *, stem: str) -> str:
    """A script or stylesheet link of the map: a base64 ``data:`` URI becomes a published file's URL.

    The link stays as it is when the file cannot be written (a read-only install): the page works
    the same, only its arguments are larger.
    """
    return _published_link(link, stem, STATIC_DIR)


@functools.lru_cache(maxsize=16)
def _published_link(link: str, stem: str, folder: Path) -> str:
    """:func:`published_link`, once per link and folder: every map of a server has the same links."""
    head, _, data = link.partition(",")
    if not head.startswith("data:") or not head.endswith(";base64"):
        return link
    mime = head.removeprefix("data:").removesuffix(";base64")
    if mime not in _EXTENSIONS:
        return link
    try:
        return publish(base64.b64decode(data), stem=stem, suffix=_EXTENSIONS[mime], folder=folder)
    except OSError as err:
        _LOG.warning("%s stays inline in the map: %s", stem, err)
        return link
