"""Saved workspaces in headless Chromium: upload, save, reopen in a new browser session, and a read-only link."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator

import pytest

from tests.conftest import feature, point
from tests.mapframe import map_frame

pytestmark = pytest.mark.browser
SIDEBAR = "section[data-testid='stSidebar']"


@pytest.fixture(scope="module", autouse=True)
def workspace_database(tmp_path_factory) -> Iterator[None]:
    """The app server of this module keeps its workspaces in a database of its own (set before it starts)."""
    before = os.environ.get("CORRIDOR_ATLAS_WORKSPACES")
    os.environ["CORRIDOR_ATLAS_WORKSPACES"] = str(tmp_path_factory.mktemp("ws") / "workspaces.db")
    yield
    if before is None:
        os.environ.pop("CORRIDOR_ATLAS_WORKSPACES", None)
    else:
        os.environ["CORRIDOR_ATLAS_WORKSPACES"] = before


def _link(page, caption: str) -> str:
    """The link shown under a caption of the sidebar's workspace section."""
    block = page.locator(SIDEBAR).get_by_text(caption).locator("xpath=following::code[1]")
    return block.inner_text().strip()


def test_workspace__saved_in_one_browser_session_reopens_in_another(app_url, browser, tmp_path):
    depots = tmp_path / "depots.geojson"
    depots.write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature("d0", point(80.5, 44.2), name="Depot Zharkent")]})
    )
    first = browser.new_context(viewport={"width": 1400, "height": 900})
    page = first.new_page()
    page.goto(app_url)
    map_frame(page)  # the app has drawn its map: an upload now is taken, not lost in the first runs
    page.locator(f"{SIDEBAR} input[type='file']").set_input_files([str(depots)])
    page.locator(SIDEBAR).get_by_text("depots.geojson (1)").wait_for(timeout=90_000)
    page.locator(SIDEBAR).get_by_label("Workspace name").fill("Zharkent depots")
    page.locator(SIDEBAR).get_by_label("Workspace name").press("Enter")
    page.wait_for_timeout(1000)
    page.locator(SIDEBAR).get_by_role("button", name="Save as a workspace").click()
    page.locator(SIDEBAR).get_by_text(re.compile(r"Zharkent depots: saved \(revision \d+\)")).wait_for(timeout=60_000)
    edit_link, view_link = _link(page, "Edit link"), _link(page, "Read-only link")
    assert re.search(r"\?ws=[\w-]+&key=[\w-]{40,}$", edit_link) and edit_link != view_link
    first.close()

    second = browser.new_context(viewport={"width": 1400, "height": 900})  # a new browser session
    again = second.new_page()
    again.goto(edit_link)
    again.locator(SIDEBAR).get_by_text("depots.geojson (1)").wait_for(timeout=90_000)
    again.locator(SIDEBAR).get_by_text(re.compile(r"Zharkent depots: saved")).wait_for(timeout=30_000)
    second.close()

    third = browser.new_context(viewport={"width": 1400, "height": 900})
    viewer = third.new_page()
    viewer.goto(view_link)
    viewer.locator(SIDEBAR).get_by_text("depots.geojson (1)").wait_for(timeout=90_000)
    viewer.locator(SIDEBAR).get_by_text(re.compile(r"read-only link")).wait_for(timeout=30_000)
    assert viewer.locator(SIDEBAR).get_by_text("Edit link").count() == 0
    third.close()
