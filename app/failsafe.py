"""Each part of the page fails alone: a short message in its place, the rest of the page and every loaded layer kept."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from app.text import plain
from geo.errors import CorridorAtlasError

__all__ = ["PAGE_PARTS", "part", "user_message"]

_LOG = logging.getLogger(__name__)

#: What to tell the user to do when a part fails on something the project did not foresee.
_WHAT_TO_DO = (
    "The rest of the page still works. If this started after you added a layer, remove it with ✕ in the "
    "sidebar or fix the field named above; otherwise reload the page."
)
#: Parts of the page, by key: the name a failure message gives them.
PAGE_PARTS: dict[str, str] = {
    "map": "The map",
    "search": "Search and share",
    "toggles": "The layer list",
    "uploads": "Your layers",
    "drawings": "Your drawings",
    "filters": "Filters",
    "Metrics": "The Metrics tab",
    "Visible features": "The Visible features tab",
    "Corridor": "The Corridor tab",
    "Route": "The Route tab",
    "Charts": "The Charts tab",
    "Export": "The Export tab",
    "present": "The presentation",
    "workspace": "The saved workspace",
}

_PATHS = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.\-~]+){2,}")


def user_message(name: str, err: Exception) -> str:
    """A short message for a part that failed: what failed, why in one line (no server paths), what to do."""
    if isinstance(err, CorridorAtlasError):
        return f"{name} cannot be shown: {err}"
    lines = str(err).strip().splitlines()
    reason = _PATHS.sub("…", lines[0])[:200] if lines else ""
    detail = f"{type(err).__name__}: {reason}" if reason else type(err).__name__
    return f"{name} failed on the data shown ({detail}). {_WHAT_TO_DO}"


@contextmanager
def part(key: str) -> Iterator[None]:
    """Run one part of the page; if it fails, show why in its place and go on with the next part.

    The project's own errors carry a message for the user and are shown as they are. Anything
    else is logged with its traceback for the team and shown as one line: a user never sees a
    traceback, and a bad layer cannot take the page, the sidebar or the other layers with it.
    Streamlit's reruns and stops are not errors and pass through (they are not ``Exception``).
    """
    name = PAGE_PARTS.get(key, key)
    try:
        yield
    except CorridorAtlasError as err:
        st.error(plain(user_message(name, err)))
    except Exception as err:  # the boundary of one page part: logged in full, shown in one line
        _LOG.exception("%s failed", name)
        st.error(plain(user_message(name, err)))
