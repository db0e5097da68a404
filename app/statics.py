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


def published_scripts(links: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """The map's scripts (``(stem, link)`` in load order) as one published file, when all are inline.

    The map's frame loads its scripts one after another, each awaiting the last; one file (the
    scripts joined in order) is one request. Links that are not inline scripts are published
    one by one (:func:`published_link`) instead.
    """
    return _published_scripts(links, STATIC_DIR)


@functools.lru_cache(maxsize=4)
def _published_scripts(links: tuple[tuple[str, str], ...], folder: Path) -> tuple[str, ...]:
    parts = [_inline_script(link) for _, link in links]
    if len(links) < 2 or any(part is None for part in parts):
        return tuple(_published_link(link, stem, folder) for stem, link in links)
    joined = b"\n;\n".join(part for part in parts if part is not None)  # a file ending without ";" ends here
    try:
        return (publish(joined, stem="map_scripts", suffix=".js", folder=folder),)
    except OSError as err:
        _LOG.warning("the map's scripts stay inline in the map: %s", err)
        return tuple(link for _, link in links)


def _inline_script(link: str) -> bytes | None:
    head, _, data = link.partition(",")
    return base64.b64decode(data) if head == "data:text/javascript;base64" else None
