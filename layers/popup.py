"""HTML for tooltips, popups and detail panels: every value escaped, links only to http(s)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FIELD_LABELS", "format_value", "popup_html", "safe_url", "sources_html", "tooltip_html"]

FIELD_LABELS: dict[str, str] = {
    "name": "Name",
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


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if np.ndim(value) != 0:
        return False  # a list or array is a value, even when empty
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_value(field: str, value: Any) -> str | None:
    """Human text for a property value (not yet escaped), or ``None`` when there is nothing to show."""
    if _is_missing(value):
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
        publisher = source.get("publisher")
        suffix = f" — {escape(str(publisher))}" if publisher else ""
        url = safe_url(source.get("url"))
        if url:
            title = f'<a href="{escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">{title}</a>'
        items.append(f"<li>{title}{suffix}</li>")
    if not items:
        return ""
    return '<ol class="ca-sources">' + "".join(items) + "</ol>"


def tooltip_html(row: Mapping[str, Any], fields: Iterable[str]) -> str:
    """Short hover text: the first field bold, the rest after it."""
    parts = []
    for i, field in enumerate(fields):
        text = format_value(field, row.get(field))
        if text is None:
            continue
        parts.append(f"<b>{escape(text)}</b>" if i == 0 else escape(text))
    return " · ".join(parts)


def popup_html(row: Mapping[str, Any], fields: Iterable[str], *, layer_title: str) -> str:
    """Click popup: a table of the chosen fields, then the sources as links."""
    rows = []
    for field in fields:
        text = format_value(field, row.get(field))
        if text is None:
            continue
        label = escape(FIELD_LABELS.get(field, field.replace("_", " ").capitalize()))
        rows.append(f"<tr><th>{label}</th><td>{escape(text)}</td></tr>")
    sources = sources_html(row.get("sources") or [])
    head = f'<div class="ca-layer">{escape(layer_title)}</div>'
    table = '<table class="ca-props">' + "".join(rows) + "</table>"
    tail = f'<div class="ca-sources-head">Sources</div>{sources}' if sources else ""
    return f'<div class="ca-popup">{head}{table}{tail}</div>'


def attributes_html(row: Mapping[str, Any], *, layer_title: str, max_chars: int = 300) -> str:
    """Popup for a user's layer: every attribute (keys and values escaped, long values cut)."""
    rows = []
    for key, value in row.items():
        if key in {"geometry", "id"}:
            continue
        text = format_value(str(key), value)
        if text is None:
            continue
        if len(text) > max_chars:
            text = text[: max_chars - 1] + "…"
        rows.append(f"<tr><th>{escape(str(key)[:60])}</th><td>{escape(text)}</td></tr>")
    head = f'<div class="ca-layer">{escape(layer_title)}</div>'
    return f'<div class="ca-popup">{head}<table class="ca-props">{"".join(rows)}</table></div>'
