"""Text for Streamlit elements: Markdown escaping of names that come from files and users."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used, after the map: uploads, analyses (networkx), exports (matplotlib)
    pass

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """Escape Markdown so that Streamlit shows text (file names, ids, titles) literally."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


# The whole script runs again on every rerun, definitions included: records are NamedTuples (a frozen
# dataclass costs about 1 ms to create, each time), cache decorators are applied when a function is
