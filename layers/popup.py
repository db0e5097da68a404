"""Property values as text for tooltips, popups and panels; sources as escaped HTML with http(s) links only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.citation import credit
from geo.columns import is_missing

__all__ = [
    "FIELD_LABELS",
    "column_text",
    "field_heading",
    "format_value",
    "safe_url",
    "sources_html",
]

FIELD_LABELS: dict[str, str] = {
    "name": "Name",
    "name_ru": "Name in Russian",
    "name_kk": "Name in Kazakh",
    "name_zh": "Name in Chinese",
    "kind": "Kind",
    "status": "Status",
    "year": "Year",
    "operator": "Operator / owners",
    "capacity": "Capacity",
    "length_km_reported": "Reported length",
    "investment_usd": "Investment",
    "location_precision": "Location precision",
    "description": "About",
    "population": "Population",
}


def format_value(field: str, value: Any) -> str | None:
    """Human text for a property value (not yet escaped), or ``None`` when there is nothing to show."""
    if is_missing(value):
        return None
    if field == "investment_usd":
        amount = float(value)
        if amount >= 1e9:
            return f"US${amount / 1e9:,.2f} billion".replace(".00 ", " ")
        return f"US${amount / 1e6:,.0f} million"
    if field == "length_km_reported":
        return f"{float(value):,.0f} km"
    if field in {"year", "population"}:
        return f"{int(value)}" if field == "year" else f"{int(value):,}"
    if isinstance(value, (list, tuple, np.ndarray)):
        return ", ".join(str(v) for v in value) or None
    text = str(value).strip()
    return text or None


#: Fields whose values are formatted (money, km, counts), not shown as they are.
_FORMATTED = frozenset({"investment_usd", "length_km_reported", "year", "population"})


def field_heading(field: str) -> str:
    """The heading a field gets in popups and tables (plain text)."""
    return FIELD_LABELS.get(field, field.replace("_", " ").capitalize())


def column_text(values: pd.Series, field: str, *, max_chars: int | None = None) -> list[str | None]:
    """:func:`format_value` of a whole column, not yet escaped: ``None`` where there is nothing to show.

    Plain strings and plain numbers take a fast path (no per-value formatting call), so a column of
    a hundred thousand values costs milliseconds. Texts longer than ``max_chars`` are cut with "…".
    """
    if field in _FORMATTED:
        texts = [format_value(field, v) for v in values.tolist()]
    elif pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        missing = values.isna().to_numpy()
        texts = [None if gap else text for text, gap in zip(values.astype(str).tolist(), missing, strict=True)]
    elif isinstance(values.dtype, pd.StringDtype):
        trimmed = pc.utf8_trim_whitespace(pa.array(values, type=pa.string()))  # in Arrow, not value by value
        texts = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed).to_pylist()
    else:
        texts = [(v.strip() or None) if type(v) is str else format_value(field, v) for v in values.tolist()]
    if max_chars is not None:
        texts = [t if t is None or len(t) <= max_chars else t[: max_chars - 1] + "…" for t in texts]
    return texts


def safe_url(url: Any) -> str | None:
    """The URL when it is a plain http(s) address, else ``None`` (no ``javascript:``, ``data:`` …)."""
    if not isinstance(url, str):
        return None
    candidate = url.strip()
    if candidate.lower().startswith(("http://", "https://")) and not any(c in candidate for c in "\"'<> \n\r\t"):
        return candidate
    return None


def sources_html(sources: Iterable[Mapping[str, Any]]) -> str:
    """An ordered list of sources; titles escaped, links only for http(s) URLs."""
    items = []
    for source in sources:
        if not isinstance(source, Mapping):
            continue
        title = escape(str(source.get("title") or "untitled source"))
        who = credit(source)
        suffix = f" — {escape(who)}" if who else ""
        url = safe_url(source.get("url"))
        if url:
            title = f'<a href="{escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">{title}</a>'
        items.append(f"<li>{title}{suffix}</li>")
    if not items:
        return ""
    return '<ol class="ca-sources">' + "".join(items) + "</ol>"
