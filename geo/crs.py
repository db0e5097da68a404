"""Coordinate reference systems used by the project, created once and reused."""

from __future__ import annotations

from functools import lru_cache

from pyproj import CRS, Geod, Transformer

__all__ = [
    "GEOD",
    "REGION_CRS",
    "WEB_MERCATOR",
    "WGS84",
    "aeqd_transformer",
    "from_mercator",
    "from_region",
    "local_aeqd",
    "to_mercator",
    "to_region",
]

#: Geographic lon/lat on WGS84: what every data file is stored in (RFC 7946).
WGS84 = CRS.from_epsg(4326)

#: Equidistant conic fitted to the corridor region (lat 35–50 N, centred on 85 E). Distances along
#: meridians are true and scale errors stay under ~1 % between 30 N and 55 N, which is what buffers
#: drawn across Kazakhstan and China need. Web Mercator would be ~30-40 % long here.
REGION_CRS = CRS.from_proj4("+proj=eqdc +lat_1=35 +lat_2=50 +lat_0=42.5 +lon_0=85 +datum=WGS84 +units=m +no_defs")

#: Web Mercator, the projection of the interactive map; static snapshots use it too, so an exported
#: view looks like the view on screen. Never measure in it (lengths are 1/cos(lat) too long).
WEB_MERCATOR = CRS.from_epsg(3857)

#: The WGS84 ellipsoid for geodesic lengths, areas and distances.
GEOD = Geod(ellps="WGS84")


@lru_cache(maxsize=1)
def _region_transformers() -> tuple[Transformer, Transformer]:
    fwd = Transformer.from_crs(WGS84, REGION_CRS, always_xy=True)
    inv = Transformer.from_crs(REGION_CRS, WGS84, always_xy=True)
    return fwd, inv


def to_region() -> Transformer:
    """Return the shared lon/lat → region-metric transformer."""
    return _region_transformers()[0]


def from_region() -> Transformer:
    """Return the shared region-metric → lon/lat transformer."""
    return _region_transformers()[1]


def aeqd_transformer(lon: float, lat: float) -> Transformer:
    """Lon/lat → azimuthal equidistant metres centred on a point (geodesic distances from it).

    Built from a PROJ pipeline string, which takes microseconds, not the ~10 ms of a CRS lookup.
    """
    return Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=aeqd +lat_0={lat:.8f} +lon_0={lon:.8f} +ellps=WGS84"
    )


@lru_cache(maxsize=512)
def local_aeqd(lon: float, lat: float) -> CRS:
    """Azimuthal equidistant CRS centred on a point: distances from that point are geodesic.

    Parameters
    ----------
    lon, lat
        Centre in degrees (WGS84).
    """
    return CRS.from_proj4(f"+proj=aeqd +lat_0={lat:.6f} +lon_0={lon:.6f} +datum=WGS84 +units=m +no_defs")


@lru_cache(maxsize=1)
def _mercator_transformers() -> tuple[Transformer, Transformer]:
    return (
        Transformer.from_crs(WGS84, WEB_MERCATOR, always_xy=True),
        Transformer.from_crs(WEB_MERCATOR, WGS84, always_xy=True),
    )


def to_mercator() -> Transformer:
    """Return the shared lon/lat → Web Mercator transformer."""
    return _mercator_transformers()[0]


def from_mercator() -> Transformer:
    """Return the shared Web Mercator → lon/lat transformer."""
    return _mercator_transformers()[1]
