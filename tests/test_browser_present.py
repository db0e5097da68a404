"""Present mode in headless Chromium: the deck full-screen, arrow keys step, Esc ends and the workspace is as it was."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.mapframe import MAP_IFRAME

pytestmark = pytest.mark.browser


def _params(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query, keep_blank_values=True)


def test_present__keys_step_through_the_scenes_and_esc_gives_the_workspace_back(app_url, page):
    page.goto(f"{app_url}/?tab=Export&from=city-almaty&to=city-urumqi")
    add = page.get_by_role("button", name="Add this view to the deck")
    add.wait_for(timeout=90_000)
    page.get_by_label("Title", exact=True).fill("Rail to Ürümqi")
    page.get_by_label("Title", exact=True).press("Enter")
    page.wait_for_timeout(1500)
    add.click()
    page.get_by_text("Added scene 1").wait_for(timeout=30_000)
    page.get_by_label("Title", exact=True).fill("Second look")
    page.get_by_label("Title", exact=True).press("Enter")
    page.wait_for_timeout(1500)
    add.click()
    page.get_by_text("Added scene 2").wait_for(timeout=30_000)
    before = _params(page)
    assert before.get("from") == ["city-almaty"] and "sector" not in before

    page.get_by_role("button", name="Present the deck ▶").click()
    progress = page.get_by_text(re.compile(r"Scene \d of 2 · "))
    progress.wait_for(timeout=60_000)
    assert progress.inner_text().startswith("Scene 1 of 2 · Rail to Ürümqi")
    assert not page.locator("[data-testid='stSidebar']").is_visible()
    page.wait_for_selector(MAP_IFRAME, state="visible", timeout=60_000)
    frame_box = page.locator(MAP_IFRAME).last.bounding_box()
    assert frame_box["height"] >= 0.8 * 900  # the scene's map fills the screen under one row
    progress.click()  # focus on the page, not in the map's frame
    page.keyboard.press("ArrowRight")
    page.get_by_text("Scene 2 of 2 · Second look").wait_for(timeout=30_000)
    page.keyboard.press("ArrowLeft")
    page.get_by_text("Scene 1 of 2 · Rail to Ürümqi").wait_for(timeout=30_000)
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Add this view to the deck").wait_for(timeout=60_000)
    page.wait_for_timeout(2000)
    after = _params(page)
    for key in ("sector", "status", "year", "from", "to", "layers", "tab"):
        assert after.get(key) == before.get(key), key
    assert page.get_by_text(re.compile(r"Showing 99 of 99 features in 13 layers")).count() == 1
