"""Loading catalog layers and basemap parts from ``data/`` into GeoDataFrames."""

from __future__ import annotations

import geopandas as gpd

from geo.io import read_basemap_layer, read_layer
from layers.catalog import BasemapPart, LayerSpec

__all__ = ["load_basemap_part", "load_layer"]


def load_layer(spec: LayerSpec) -> gpd.GeoDataFrame:
    """Read and validate one catalog layer's file (see :func:`geo.io.read_layer` for the errors)."""
    return read_layer(spec.path, geometry_types=spec.geometry_types)


def load_basemap_part(part: BasemapPart) -> gpd.GeoDataFrame:
    """Read one part of the offline basemap."""
    return read_basemap_layer(part.path)
