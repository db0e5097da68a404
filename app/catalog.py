"""The layer catalog a server uses and where its files are: read without any geodata library.

The catalog file and data folder can be pointed elsewhere with CORRIDOR_ATLAS_CATALOG and
CORRIDOR_ATLAS_DATA; the cached functions of the app take them as one :class:`Source`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import streamlit as st

from layers.catalog import CATALOG_PATH, DATA_DIR, Catalog, load_catalog

__all__ = ["Source", "catalog", "current_catalog", "load_current_catalog", "source"]


class Source(NamedTuple):
    """Where the server's layers come from: the catalog file and the folder its files are in (a cache key)."""

    catalog_file: str
    data_folder: str


def source() -> Source:
    """The catalog file and the data folder this server uses (read from the environment on each call)."""
    return Source(
        os.environ.get("CORRIDOR_ATLAS_CATALOG", str(CATALOG_PATH)),
        os.environ.get("CORRIDOR_ATLAS_DATA", str(DATA_DIR)),
    )


@st.cache_resource(show_spinner=False)
def catalog(src: Source) -> Catalog:
    """The layer catalog (immutable, shared by every session)."""
    return load_catalog(Path(src.catalog_file), data_dir=Path(src.data_folder))


#: The catalog each run uses, by :func:`source`: set once a run by :func:`load_current_catalog`, so
#: the dozen lookups of a run skip Streamlit's cache machinery (about 0.3 ms each). Values are the
#: cached, immutable catalogs themselves.
_CATALOG_OF_RUN: dict[Source, Catalog] = {}


def load_current_catalog() -> Catalog:
    """Load (or take from the cache) the catalog of :func:`source`; :class:`CatalogError` if it cannot be used."""
    where = source()
    _CATALOG_OF_RUN[where] = cat = catalog(where)
    return cat


def current_catalog() -> Catalog:
    """The catalog of this run (:func:`load_current_catalog` has loaded it)."""
    where = source()
    return _CATALOG_OF_RUN.get(where) or catalog(where)
