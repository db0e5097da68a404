"""Snapshot views: an extent in lon/lat fitted to an image size, in the map's Web Mercator projection."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd

from geo.crs import from_mercator, to_mercator
from geo.errors import CorridorAtlasError

__all__ = [
    "MAX_DPI",
    "MAX_SIZE_PX",
    "MIN_DPI",
    "MIN_SIZE_PX",
    "SnapshotError",
    "View",
    "view_from_bbox",
    "view_from_center",
    "view_from_layers",
]

MIN_SIZE_PX, MAX_SIZE_PX = 200, 8000
MIN_DPI, MAX_DPI = 50, 600
_METRES_PER_PIXEL_Z0 = 156543.03392804097  # Web Mercator, 256 px tiles, zoom 0
_MAX_LAT = 85.0511


class SnapshotError(CorridorAtlasError):
    """A snapshot cannot be made as asked; ``argument`` names the option at fault."""

    def __init__(self, argument: str, message: str) -> None:
        self.argument = argument
        super().__init__(f"{argument}: {message}")


@dataclass(frozen=True)
class View:
    """What a snapshot shows: Web Mercator bounds that match the image's aspect ratio exactly."""

    x0: float
    y0: float
    x1: float
    y1: float
    width_px: int
    height_px: int
    dpi: int = 150

    @property
    def lonlat_bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees."""
        (west, east), (south, north) = from_mercator().transform([self.x0, self.x1], [self.y0, self.y1])
        return (west, south, east, north)

    @property
    def metres_per_pixel(self) -> float:
        """Web Mercator metres per image pixel (the same along both axes)."""
        return (self.x1 - self.x0) / self.width_px

    @property
    def zoom(self) -> float:
        """The equivalent interactive-map zoom level for this extent and width."""
        return math.log2(_METRES_PER_PIXEL_Z0 / self.metres_per_pixel)

    @property
    def centre_lonlat(self) -> tuple[float, float]:
        """Centre of the view in degrees (lon, lat)."""
        lon, lat = from_mercator().transform((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)
        return lon, lat


def _check_size(width_px: int, height_px: int, dpi: int) -> None:
    for name, value in (("width", width_px), ("height", height_px)):
        if not MIN_SIZE_PX <= value <= MAX_SIZE_PX:
            raise SnapshotError("--size", f"{name} {value} px is outside {MIN_SIZE_PX}–{MAX_SIZE_PX} px")
    if not MIN_DPI <= dpi <= MAX_DPI:
        raise SnapshotError("--dpi", f"{dpi} is outside {MIN_DPI}–{MAX_DPI}")


def view_from_bbox(
    bbox: tuple[float, float, float, float],
    *,
    width_px: int,
    height_px: int,
    dpi: int = 150,
    argument: str = "--bbox",
) -> View:
    """The smallest view of the image's aspect ratio that contains a lon/lat box, centred on it.

    Parameters
    ----------
    bbox
        (west, south, east, north) in degrees.
    width_px, height_px
        Image size in pixels.
    dpi
        Print resolution (changes text and line sizes in pixels, not the extent).
    argument
        Option name used in error messages.
    """
    _check_size(width_px, height_px, dpi)
    west, south, east, north = bbox
    if not (-180 <= west < east <= 180 and -_MAX_LAT <= south < north <= _MAX_LAT):
        raise SnapshotError(argument, f"{bbox} is empty or outside lon ±180 / lat ±{_MAX_LAT}")
    (x0, x1), (y0, y1) = to_mercator().transform([west, east], [south, north])
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    per_px = max((x1 - x0) / width_px, (y1 - y0) / height_px)
    half_w, half_h = per_px * width_px / 2, per_px * height_px / 2
    return View(cx - half_w, cy - half_h, cx + half_w, cy + half_h, width_px, height_px, dpi)


def view_from_center(lat: float, lon: float, zoom: float, *, width_px: int, height_px: int, dpi: int = 150) -> View:
    """The view an interactive map of this pixel size shows at this centre and zoom."""
    _check_size(width_px, height_px, dpi)
    if not (-_MAX_LAT < lat < _MAX_LAT and -180 <= lon <= 180):
        raise SnapshotError("--center", f"({lat}, {lon}) is not a lat,lon position on the map")
    if not 0 <= zoom <= 20:
        raise SnapshotError("--zoom", f"{zoom} is outside 0–20")
    per_px = _METRES_PER_PIXEL_Z0 / 2**zoom
    cx, cy = to_mercator().transform(lon, lat)
    half_w, half_h = per_px * width_px / 2, per_px * height_px / 2
    return View(cx - half_w, cy - half_h, cx + half_w, cy + half_h, width_px, height_px, dpi)


def view_from_layers(
    frames: Iterable[gpd.GeoDataFrame],
    *,
    width_px: int,
    height_px: int,
    dpi: int = 150,
    margin: float = 0.06,
) -> View:
    """A view fitted to the features of some layers, with a margin (fraction of each side)."""
    bounds = [gdf.total_bounds for gdf in frames if len(gdf)]
    if not bounds:
        raise SnapshotError("--fit", "the layers to fit have no features")
    west = min(b[0] for b in bounds)
    south = min(b[1] for b in bounds)
    east = max(b[2] for b in bounds)
    north = max(b[3] for b in bounds)
    pad_x = max((east - west) * margin, 0.05)
    pad_y = max((north - south) * margin, 0.05)
    box = (west - pad_x, south - pad_y, east + pad_x, north + pad_y)
    return view_from_bbox(box, width_px=width_px, height_px=height_px, dpi=dpi, argument="--fit")
