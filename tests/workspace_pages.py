"""Saving a workspace in a real browser, as a planner does: upload a file, name the workspace, save it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import feature, point
from tests.mapframe import map_frame

SIDEBAR = "section[data-testid='stSidebar']"


def link(page, caption: str) -> str:
    """The link shown under a caption of the sidebar's workspace section."""
    return page.locator(SIDEBAR).get_by_text(caption).locator("xpath=following::code[1]").inner_text().strip()


@dataclass(frozen=True)
class Saved:
    """A workspace saved in a browser: the links the sidebar showed and the cookies the browser kept."""

    edit_link: str
    view_link: str
    cookies: list[Any]


def save_with_an_upload(browser, url: str, folder: Path, name: str) -> Saved:
    """Open the app at ``url`` in a new browser session, upload depots.geojson and save it as workspace ``name``."""
    depots = folder / "depots.geojson"
    depots.write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature("d0", point(80.5, 44.2), name="Depot Zharkent")]})
    )
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(url)
    map_frame(page)  # the app has drawn its map: an upload now is taken, not lost in the first runs
    page.locator(f"{SIDEBAR} input[type='file']").set_input_files([str(depots)])
    page.locator(SIDEBAR).get_by_text("depots.geojson (1)").wait_for(timeout=90_000)
    page.locator(SIDEBAR).get_by_label("Workspace name").fill(name)
    page.locator(SIDEBAR).get_by_label("Workspace name").press("Enter")
    page.wait_for_timeout(1000)
    page.locator(SIDEBAR).get_by_role("button", name="Save as a workspace").click()
    page.locator(SIDEBAR).get_by_text(re.compile(rf"{re.escape(name)}: saved \(revision \d+\)")).wait_for(
        timeout=60_000
    )
    saved = Saved(link(page, "Edit link"), link(page, "Read-only link"), context.cookies())
    context.close()
    return saved
