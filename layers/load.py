"""Loading catalog layers and basemap parts from ``data/``: frames, and layers ready for every consumer."""

from __future__ import annotations

import geopandas as gpd

from geo.display import display_copy
from geo.errors import CorridorAtlasError
from geo.io import read_basemap_layer, read_layer
from layers.catalog import BasemapPart, Catalog, LayerSpec
from layers.layer import Layer, LayerSet

__all__ = ["catalog_layer", "catalog_layers", "load_basemap_part", "load_layer"]


def load_layer(spec: LayerSpec) -> gpd.GeoDataFrame:
    """Read and validate one catalog layer's file (see :func:`geo.io.read_layer` for the errors)."""
    return read_layer(spec.path, geometry_types=spec.geometry_types)


def catalog_layer(spec: LayerSpec) -> Layer:
    """A catalog layer read from its file (see :func:`load_layer` for the errors).

    Its key names the file and the size and time of the version read: another data folder or an
    edited file is another layer, and the file is not read a second time to hash it.
    """
    try:
        stat = spec.path.stat()
    except OSError as err:
        raise CorridorAtlasError(f"{spec.path}: the file cannot be read ({err.strerror or err})") from err
    frame = load_layer(spec)
    display, _ = display_copy(frame)
    return Layer(spec=spec, frame=frame, display=display, key=f"{spec.path}:{stat.st_size}:{stat.st_mtime_ns}")


def catalog_layers(catalog: Catalog) -> LayerSet:
    """Every catalog layer that loads, in catalog order, and the error message of each that does not."""
    layers, errors = [], {}
    for spec in catalog.layers:
        try:
            layers.append(catalog_layer(spec))
        except CorridorAtlasError as err:
            errors[spec.id] = str(err)
    return LayerSet(tuple(layers), errors)


def load_basemap_part(part: BasemapPart) -> gpd.GeoDataFrame:
    """Read one part of the offline basemap."""
    return read_basemap_layer(part.path)
