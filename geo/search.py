"""Search by name and alias across layers, forgiving of case, accents, dashes and spelling variants."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

from geo.columns import is_missing
from geo.places import label_column

__all__ = ["normalise", "search_features"]

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """Fold case and accents and turn punctuation and dashes into single spaces (CJK kept)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", stripped.casefold()).strip()


def _score(query: str, candidate: str) -> float:
    if not candidate:
        return 0.0
    if candidate == query:
        return 3.0
    if candidate.startswith(query):
        return 2.0
    if f" {query}" in f" {candidate}":
        return 1.5
    if query in candidate:
        return 1.0
    return 0.0


def search_features(frames: Mapping[str, gpd.GeoDataFrame], query: str, *, limit: int = 20) -> pd.DataFrame:
    """Features whose name or an alias matches the query, best first.

    Parameters
    ----------
    frames
        Layer id → features with ``name`` and (optionally) ``aliases``.
    query
        What the user typed; e.g. ``Horgos``, ``Druzhba``, ``Alataw Pass`` or ``霍尔果斯``.
    limit
        Most results returned.

    Returns
    -------
    pandas.DataFrame
        ``layer``, ``feature_id``, ``name``, ``matched`` (the name or alias that matched), ``score``.
    """
    wanted = normalise(query)
    columns = ["layer", "feature_id", "name", "matched", "score"]
    if not wanted:
        return pd.DataFrame(columns=columns)
    rows = []
    for layer, gdf in frames.items():
        aliases = gdf["aliases"] if "aliases" in gdf.columns else pd.Series([[]] * len(gdf), index=gdf.index)
        names = gdf[label_column(gdf)] if len(gdf) else pd.Series([], dtype=object)  # a user's layer: its naming field
        for feature_id, raw, alias_list in zip(gdf.index, names, aliases, strict=True):
            name = str(feature_id) if is_missing(raw) else str(raw)
            name_score = _score(wanted, normalise(name))
            best, matched = (name_score + 0.5 if name_score else 0.0), str(name)  # names outrank aliases
            for alias in alias_list if isinstance(alias_list, list) else []:
                score = _score(wanted, normalise(str(alias)))
                if score > best:
                    best, matched = score, str(alias)
            if best > 0:
                rows.append({"layer": layer, "feature_id": feature_id, "name": name, "matched": matched, "score": best})
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["score", "name"], ascending=[False, True], ignore_index=True).head(limit)
