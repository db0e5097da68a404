"""Offline page assets as data URIs: Leaflet from the ``django-js-lib-leaflet`` package, and the project's script.

The map never loads a script, stylesheet, font or image from a CDN. Leaflet's CSS refers to its
images by relative URL; those are inlined too, so the stylesheet works from a ``data:`` URI, inside
Streamlit's component frame and in a standalone HTML file alike.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from importlib import resources

__all__ = [
    "LEAFLET_VERSION",
    "atlas_css_uri",
    "atlas_js_uri",
    "leaflet_css_uri",
    "leaflet_js_uri",
    "offline_css",
    "offline_js",
]

_PACKAGE = "js_lib_leaflet"
_DIR = "static/js_lib_leaflet"
LEAFLET_VERSION = "1.9.4"
_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)
_CSS_IMAGE = re.compile(r"url\((images/[A-Za-z0-9_.-]+\.png)\)")


def _read(name: str) -> bytes:
    return resources.files(_PACKAGE).joinpath(f"{_DIR}/{name}").read_bytes()


def _data_uri(mime: str, payload: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


@lru_cache(maxsize=1)
def leaflet_js_uri() -> str:
    """Leaflet's minified script as a ``data:`` URI (source-map comment removed)."""
    text = _SOURCE_MAP.sub("", _read("leaflet.js").decode("utf-8"))
    return _data_uri("text/javascript", text.encode("utf-8"))


@lru_cache(maxsize=1)
def leaflet_css_uri() -> str:
    """Leaflet's stylesheet as a ``data:`` URI, its images inlined."""
    css = _read("leaflet.css").decode("utf-8")
    css = _CSS_IMAGE.sub(lambda m: f"url({_data_uri('image/png', _read(m.group(1)))})", css)
    return _data_uri("text/css", css.encode("utf-8"))


@lru_cache(maxsize=1)
def atlas_css_uri() -> str:
    """The project's own stylesheet (popups, legend, labels, controls) as a ``data:`` URI."""
    return _data_uri("text/css", resources.files("layers").joinpath("css/corridor_atlas.css").read_bytes())


@lru_cache(maxsize=1)
def atlas_js_uri() -> str:
    """The project's own page script (layer data to Leaflet layers, popups, dense points) as a ``data:`` URI."""
    return _data_uri("text/javascript", resources.files("layers").joinpath("js/corridor_atlas.js").read_bytes())


def offline_js() -> list[tuple[str, str]]:
    """Folium ``default_js`` entries: Leaflet, then the project's page script, both served from the package."""
    return [("leaflet", leaflet_js_uri()), ("corridor_atlas", atlas_js_uri())]


def offline_css() -> list[tuple[str, str]]:
    """Folium ``default_css`` entries: Leaflet's stylesheet, then the project's, both served from the package."""
    return [("leaflet_css", leaflet_css_uri()), ("corridor_atlas_css", atlas_css_uri())]
