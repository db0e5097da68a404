"""Coordinate reference systems used by the project, created once and reused."""

from __future__ import annotations

import math

import geopandas as gpd
from pyproj import CRS, Geod, Transformer

from geo.errors import CRSError

__all__ = [
    "BUFFER_EXTENT",
    "GEOD",
    "REGION_BBOX",
    "REGION_CRS",
    "WEB_MERCATOR",
    "WGS84",
    "aeqd_transformer",
    "degrees_spanning_km",
    "from_mercator",
    "require_wgs84",
    "to_mercator",
]

#: Geographic lon/lat on WGS84: what every data file is stored in (RFC 7946).
WGS84 = CRS.from_epsg(4326)

#: The region the project maps (west, south, east, north in degrees): the Caspian to the Yellow
#: Sea. The offline basemap is clipped to it, and the interactive map stays inside it.
REGION_BBOX: tuple[float, float, float, float] = (44.0, 26.0, 124.0, 56.0)

#: Equidistant conic fitted to the corridor region (standard parallels 35 and 50 N, centred on 85 E).
#: Distances along meridians are true; along parallels the scale is within 1 % from 33 to 52 N and
#: within 2 % from 30 to 55 N (pyproj get_factors), good enough for drawing buffers across
#: Kazakhstan and China. Web Mercator would be 30-40 % long here. Membership in a buffer is decided
#: by geodesic distance, not by this projection.
REGION_CRS = CRS.from_proj4("+proj=eqdc +lat_1=35 +lat_2=50 +lat_0=42.5 +lon_0=85 +datum=WGS84 +units=m +no_defs")

#: Where :data:`REGION_CRS` may draw a buffer (west, south, east, north): parallels scale within 6 %
#: from 20 to 60 N, and the projection stays far from its seam at 95 W. Lines outside are refused.
BUFFER_EXTENT: tuple[float, float, float, float] = (10.0, 20.0, 160.0, 60.0)

#: Web Mercator, the projection of the interactive map; static snapshots use it too, so an exported
#: view looks like the view on screen. Never measure in it (lengths are 1/cos(lat) too long).
WEB_MERCATOR = CRS.from_epsg(3857)

#: The WGS84 ellipsoid for geodesic lengths, areas and distances.
GEOD = Geod(ellps="WGS84")


def degrees_spanning_km(km: float, highest_lat: float) -> float:
    """Degrees that surely span ``km`` up to a latitude: two places farther apart in degrees are farther in km.

    A degree spans at least 110.5 km of latitude and 111.3·cos(φ) km of longitude, least at the
    highest latitude φ; for coarse searches in lon/lat before a geodesic measure.
    """
    return km / min(110.5, 111.3 * math.cos(math.radians(min(89.0, abs(highest_lat)))))


def aeqd_transformer(lon: float, lat: float) -> Transformer:
    """Lon/lat → azimuthal equidistant metres centred on a point (geodesic distances from it).

    Built from a PROJ pipeline string, which takes microseconds, not the ~10 ms of a CRS lookup.
    """
    return Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=aeqd +lat_0={lat:.8f} +lon_0={lon:.8f} +ellps=WGS84"
    )


#: PROJ pipelines, lon/lat (degrees) → Web Mercator and → :data:`REGION_CRS`: the same numbers as
#: ``Transformer.from_crs(WGS84, …, always_xy=True)`` (checked in tests), made in microseconds. A
#: transformer made from CRSs takes ~10 ms, and pyproj makes it again in each thread that uses it;
#: Streamlit runs each script run in a new thread.
_MERCATOR = "+proj=webmerc +ellps=WGS84"
_REGION = "+proj=eqdc +lat_1=35 +lat_2=50 +lat_0=42.5 +lon_0=85 +ellps=WGS84"


def _forward(projection: str) -> Transformer:
    return Transformer.from_pipeline(
        f"+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step {projection}"
    )


def _inverse(projection: str) -> Transformer:
    return Transformer.from_pipeline(
        f"+proj=pipeline +step +inv {projection} +step +proj=unitconvert +xy_in=rad +xy_out=deg"
    )


def to_mercator() -> Transformer:
    """Return a lon/lat → Web Mercator transformer."""
    return _forward(_MERCATOR)


def from_mercator() -> Transformer:
    """Return a Web Mercator → lon/lat transformer."""
    return _inverse(_MERCATOR)


def to_region() -> Transformer:
    """Return a lon/lat → :data:`REGION_CRS` transformer."""
    return _forward(_REGION)


def from_region() -> Transformer:
    """Return a :data:`REGION_CRS` → lon/lat transformer."""
    return _inverse(_REGION)


def require_wgs84(gdf: gpd.GeoDataFrame, what: str = "layer", *, fix: str = "convert it to EPSG:4326 first") -> None:
    """Refuse a frame whose CRS is missing or not WGS84 lon/lat: the one CRS guard (measures and data files).

    ``what`` names the frame in the message; ``fix`` says what to do about another CRS.
    """
    if gdf.crs is None:
        raise CRSError(f"{what} declares no CRS; set it explicitly (data files are WGS84, EPSG:4326)")
    if not gdf.crs.equals(WGS84):
        raise CRSError(f"{what} is in {gdf.crs.to_string()}; {fix}")
