"""Where a map opens: a centre and a zoom, with no mapping library behind it (the app's first run reads it)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_VIEW", "MapView"]


@dataclass(frozen=True)
class MapView:
    """Where the map opens: centre (lat, lon) and zoom level."""

    lat: float
    lon: float
    zoom: float


#: Opens on the corridor from the Caspian to the Yellow Sea.
DEFAULT_VIEW = MapView(lat=42.0, lon=86.0, zoom=4)
