"""The page's frame: its title and layout, its stylesheet and the sidebar's heading, the same in every run."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, NamedTuple

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

#: The browser tab's icon: a route between two places (an SVG file is sent as it is; an emoji icon would
#: load Streamlit's list of emoji in a server's first run, 0.2 s).
APP_ICON = Path(__file__).with_name("icon.svg")
#: The page's own styles: the map fills the window, no empty band above it (Streamlit wraps a CSS file in a style tag).
APP_CSS = Path(__file__).with_name("css") / "app.css"
#: The key of the search row's container: its place is kept (app/css/app.css) while it is still empty.
SEARCH_ROW = "search_row"


def configure_page() -> None:
    """The browser tab's title and icon, and the wide layout (the first thing a run asks of Streamlit)."""
    st.set_page_config(page_title="Corridor Atlas", page_icon=APP_ICON, layout="wide")


def page_frame() -> None:
    """The page's stylesheet, and the app's name at the top of the sidebar."""
    st.html(APP_CSS)
    st.sidebar.title("Corridor Atlas")
    st.sidebar.caption("Kazakhstan–China infrastructure corridors")


def search_place() -> DeltaGenerator:
    """The search row's place over the map, drawn into later: the map area comes first, as the browser loads it."""
    return st.container(key=SEARCH_ROW)


class Status(NamedTuple):
    """The status line over the map: ``caption`` (what it shows), ``warning`` or ``info``, and its markdown text."""

    kind: Literal["caption", "warning", "info"]
    text: str


def show_status(status: Status) -> None:
    """Draw the status line (its text is escaped already)."""
    {"caption": st.caption, "warning": st.warning, "info": st.info}[status.kind](status.text)
