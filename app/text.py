"""Text for Streamlit elements: Markdown escaping of names that come from files and users."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from layers.popup import safe_url

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """Escape Markdown so that Streamlit shows text (file names, ids, titles) literally."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


class Link(NamedTuple):
    """A table cell that links to ``url`` (http(s) only; anything else shows the text alone)."""

    text: str
    url: str | None


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str | Link]]) -> str:
    """A Markdown table whose every cell shows its text literally (and links only to http(s) URLs).

    For the few rows of the opening tab: Streamlit draws a Markdown table as plain HTML, where a
    data frame loads and starts a grid component (about 0.4 s each in the browser on 2 cores).
    """
    lines = [_row([plain(h) for h in header]), _row(["---"] * len(header))]
    lines += [_row([_cell(cell) for cell in row]) for row in rows]
    return "\n".join(lines)


def _cell(cell: str | Link) -> str:
    if isinstance(cell, Link):
        url = safe_url(cell.url)
        text = plain(" ".join(cell.text.split()))
        return f"[{text}]({url.replace('(', '%28').replace(')', '%29')})" if url else text
    return plain(" ".join(cell.split()))


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"
