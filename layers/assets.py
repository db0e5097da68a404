"""Offline page assets as data URIs: Leaflet, Leaflet.draw (both from PyPI packages) and the project's scripts.

Leaflet comes from ``django-js-lib-leaflet``, Leaflet.draw from ``django-leaflet``.
The map never loads a script, stylesheet, font or image from a CDN. Leaflet's CSS refers to its
images by relative URL; those are inlined too, so the stylesheet works from a ``data:`` URI, inside
Streamlit's component frame and in a standalone HTML file alike.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path

__all__ = [
    "LEAFLET_VERSION",
    "atlas_css_uri",
    "atlas_js_uri",
    "draw_css_uri",
    "draw_js_uri",
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
#: Leaflet.draw, as the ``django-leaflet`` package ships it (its images are referenced as ``url('images/…')``).
_DRAW_DISTRIBUTION, _DRAW_PACKAGE, _DRAW_DIR = "django-leaflet", "leaflet", "static/leaflet/draw"
_DRAW_IMAGE = re.compile(r"url\('(images/[A-Za-z0-9_.-]+\.(png|svg))'\)")
_IMAGE_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


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


def _read_draw(name: str) -> bytes:
    # Located through the distribution's files: importing the package would need Django's settings.
    path = metadata.distribution(_DRAW_DISTRIBUTION).locate_file(f"{_DRAW_PACKAGE}/{_DRAW_DIR}/{name}")
    return Path(str(path)).read_bytes()


@lru_cache(maxsize=1)
def draw_js_uri() -> str:
    """Leaflet.draw's minified script (drawing and measuring lines, polygons and points) as a ``data:`` URI."""
    return _data_uri("text/javascript", _read_draw("leaflet.draw.js"))


@lru_cache(maxsize=1)
def draw_css_uri() -> str:
    """Leaflet.draw's stylesheet as a ``data:`` URI, its toolbar images inlined."""
    css = _read_draw("leaflet.draw.css").decode("utf-8")
    css = _DRAW_IMAGE.sub(lambda m: f"url({_data_uri(_IMAGE_TYPES[m.group(2)], _read_draw(m.group(1)))})", css)
    return _data_uri("text/css", css.encode("utf-8"))


@lru_cache(maxsize=1)
def atlas_css_uri() -> str:
    """The project's own stylesheet (popups, legend, labels, controls) as a ``data:`` URI."""
    return _data_uri("text/css", resources.files("layers").joinpath("css/corridor_atlas.css").read_bytes())


@lru_cache(maxsize=1)
def atlas_js_uri() -> str:
    """The project's page scripts as one ``data:`` URI: layer data to Leaflet layers, the workspace, decks."""
    scripts = resources.files("layers").joinpath("js")
    parts = [scripts.joinpath(f"{name}.js").read_bytes() for name in ("corridor_atlas", "workspace", "deck")]
    return _data_uri("text/javascript", b"\n".join(parts))


def offline_js(*, draw: bool = False) -> list[tuple[str, str]]:
    """Folium ``default_js`` entries: Leaflet, Leaflet.draw when ``draw``, then the project's page scripts."""
    extra = [("leaflet_draw", draw_js_uri())] if draw else []
    return [("leaflet", leaflet_js_uri()), *extra, ("corridor_atlas", atlas_js_uri())]


def offline_css(*, draw: bool = False) -> list[tuple[str, str]]:
    """Folium ``default_css`` entries: Leaflet's stylesheet, Leaflet.draw's when ``draw``, then the project's."""
    extra = [("leaflet_draw_css", draw_css_uri())] if draw else []
    return [("leaflet_css", leaflet_css_uri()), *extra, ("corridor_atlas_css", atlas_css_uri())]
