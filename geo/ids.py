"""Feature ids unique across layers: an upload's ids that another layer already uses are renamed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import replace
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from geo.errors import Problem

if TYPE_CHECKING:
    from geo.ingest import Ingested

__all__ = ["free_ids", "id_renames", "rename_ids"]

#: Renamed ids listed one by one in a layer's notices; past this many, one notice sums up the rest.
_LISTED = 10


def id_renames(ids: Iterable[str], taken: AbstractSet[str], *, tag: str) -> dict[str, str]:
    """New ids for the ``ids`` that ``taken`` holds: ``<id>~<tag>``, or ``<id>~<tag>-2`` … if that is used too.

    Parameters
    ----------
    ids
        A layer's feature ids (unique within the layer).
    taken
        Ids other layers use.
    tag
        What tells this layer's renamed ids apart, e.g. ``up2`` for the session's second upload.

    Returns
    -------
    dict
        ``{old id: new id}`` for the ids that change only; a new id is neither taken nor one of ``ids``.
    """
    own = list(ids)
    used = set(taken) | set(own)
    renames: dict[str, str] = {}
    for old in own:
        if old not in taken:
            continue
        new, n = f"{old}~{tag}", 1
        while new in used:
            n += 1
            new = f"{old}~{tag}-{n}"
        used.add(new)
        renames[old] = new
    return renames


def rename_ids(frame: gpd.GeoDataFrame, renames: Mapping[str, str]) -> gpd.GeoDataFrame:
    """A copy of a layer whose index (the feature id) and ``id`` column, which mirrors it, are renamed."""
    if not renames:
        return frame
    index = pd.Index([renames.get(i, i) for i in frame.index], name=frame.index.name)
    renamed = frame.set_axis(index, axis=0)
    if "id" in renamed.columns:
        renamed["id"] = [renames.get(i, i) for i in renamed["id"]]
    return renamed


def free_ids(layer: Ingested, taken: AbstractSet[str], *, tag: str) -> tuple[Ingested, list[Problem]]:
    """A layer whose feature ids that ``taken`` holds are renamed, in its frame and its display copy alike.

    Two layers with a feature of the same id would make a lookup by id (a route's end, the
    selected feature) return two rows.

    Parameters
    ----------
    layer
        An uploaded layer, its frames indexed by feature id.
    taken
        Feature ids of the catalog's layers and of the other uploads.
    tag
        What tells this layer's renamed ids apart (see :func:`id_renames`).

    Returns
    -------
    tuple
        The layer (unchanged when no id is taken; otherwise a new one whose notices say what was
        renamed) and the notices added.
    """
    renames = id_renames(map(str, layer.frame.index), taken, tag=tag)
    if not renames:
        return layer, []
    notices = [
        Problem(layer.name, repr(old), "id", f"another layer has a feature with this id; renamed {new}")
        for old, new in list(renames.items())[:_LISTED]
    ]
    if len(renames) > _LISTED:
        rest = len(renames) - _LISTED
        notices.append(Problem(layer.name, "-", "id", f"{rest:,} more ids used by other layers; renamed <id>~{tag}"))
    renamed = replace(
        layer,
        frame=rename_ids(layer.frame, renames),
        display=rename_ids(layer.display, renames),
        notices=[*layer.notices, *notices],
    )
    return renamed, notices
