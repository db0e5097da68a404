"""How a source is credited in words: its original publisher and date first, a mirror only as "retrieved via"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["SOURCE_KEYS", "cited", "credit"]

#: The keys of one source, in the order they are written: every source of every feature and figure has these.
SOURCE_KEYS: tuple[str, ...] = ("title", "url", "publisher", "date", "note", "retrieved_via")


def _text(source: Mapping[str, Any], key: str) -> str:
    value = source.get(key)
    return value.strip() if isinstance(value, str) else ""


def credit(source: Mapping[str, Any]) -> str:
    """``Publisher, date; retrieved via Mirror`` for one source (parts it lacks are left out; may be empty).

    >>> credit({"publisher": "Kazinform", "date": "2015-08-31", "retrieved_via": "MENAFN"})
    'Kazinform, 2015-08-31; retrieved via MENAFN'
    """
    head = ", ".join(part for part in (_text(source, "publisher"), _text(source, "date")) if part)
    via = _text(source, "retrieved_via")
    return "; ".join(part for part in (head, f"retrieved via {via}" if via else "") if part)


def cited(source: Mapping[str, Any]) -> str:
    """``Title — Publisher, date; retrieved via Mirror``: a source in one line of text.

    >>> cited({"title": "Oil flows", "publisher": "Xinhua", "date": "2006"})
    'Oil flows — Xinhua, 2006'
    """
    return " — ".join(part for part in (_text(source, "title"), credit(source)) if part)
