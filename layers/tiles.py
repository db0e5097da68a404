"""Optional raster backgrounds for static snapshots: XYZ tiles fetched when the machine is online."""

from __future__ import annotations

import io
import math
import urllib.error
import urllib.request
from collections.abc import Callable

import numpy as np
import xyzservices
from PIL import Image

from layers.static import TileImage
from layers.view import SnapshotError, View

__all__ = ["TILE_PROVIDERS", "fetch_tiles", "provider"]

_HALF_WORLD = 20037508.342789244
_TILE_PX = 256
MAX_TILES = 80

#: Names accepted by ``--tiles``.
TILE_PROVIDERS: dict[str, str] = {"osm": "OpenStreetMap.Mapnik", "imagery": "Esri.WorldImagery"}


def provider(name: str) -> xyzservices.TileProvider:
    """The tile provider for a ``--tiles`` name (``osm``, ``imagery``) or an xyzservices name."""
    key = TILE_PROVIDERS.get(name, name)
    try:
        return xyzservices.providers.query_name(key)
    except ValueError as err:
        choices = ", ".join(TILE_PROVIDERS)
        raise SnapshotError("--tiles", f"unknown tile source {name!r}; use one of {choices}") from err


def _fetch(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "corridor-atlas snapshot (+offline-first map)"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def fetch_tiles(
    view: View,
    source: xyzservices.TileProvider,
    *,
    timeout: float = 10.0,
    fetch: Callable[[str, float], bytes] = _fetch,
) -> TileImage:
    """Fetch and stitch the tiles covering a view at the zoom that matches its pixel size.

    Raises
    ------
    SnapshotError
        The tiles cannot be fetched (for example, the machine is offline) or too many are needed.
    """
    max_zoom = int(source.get("max_zoom", 19))
    zoom = max(0, min(max_zoom, math.ceil(view.zoom - 0.1)))
    n = 2**zoom
    size = 2 * _HALF_WORLD / n
    tx0 = max(0, math.floor((view.x0 + _HALF_WORLD) / size))
    tx1 = min(n - 1, math.floor((view.x1 + _HALF_WORLD) / size))
    ty0 = max(0, math.floor((_HALF_WORLD - view.y1) / size))
    ty1 = min(n - 1, math.floor((_HALF_WORLD - view.y0) / size))
    count = (tx1 - tx0 + 1) * (ty1 - ty0 + 1)
    if count > MAX_TILES:
        raise SnapshotError("--tiles", f"the view needs {count} tiles (more than {MAX_TILES}); use a smaller size")
    mosaic = Image.new("RGB", ((tx1 - tx0 + 1) * _TILE_PX, (ty1 - ty0 + 1) * _TILE_PX))
    for tx in range(tx0, tx1 + 1):
        for ty in range(ty0, ty1 + 1):
            url = source.build_url(x=tx, y=ty, z=zoom)
            try:
                tile = Image.open(io.BytesIO(fetch(url, timeout))).convert("RGB").resize((_TILE_PX, _TILE_PX))
            except (urllib.error.URLError, OSError, ValueError) as err:
                raise SnapshotError("--tiles", f"could not fetch tiles from {source.name} ({err}); offline?") from err
            mosaic.paste(tile, ((tx - tx0) * _TILE_PX, (ty - ty0) * _TILE_PX))
    bounds = (
        tx0 * size - _HALF_WORLD,
        _HALF_WORLD - (ty1 + 1) * size,
        (tx1 + 1) * size - _HALF_WORLD,
        _HALF_WORLD - ty0 * size,
    )
    return TileImage(pixels=np.asarray(mosaic), bounds=bounds, attribution=str(source.get("attribution", "")))
