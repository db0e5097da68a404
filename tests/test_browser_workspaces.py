"""Saved workspaces in headless Chromium: upload, save, reopen in a new browser session, and a read-only link.

On the embedded database with one app server; on PostGIS with two app servers (two processes, two
ports, one database), saving on one and opening on the other, as replicas behind a load balancer do.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.conftest import database_for, running_app
from tests.workspace_pages import SIDEBAR, save_with_an_upload

pytestmark = pytest.mark.browser


@pytest.fixture(params=["sqlite", "postgis"])
def servers(request, tmp_path) -> Iterator[tuple[str, str]]:
    """The app servers a planner and a colleague reach: one server on the embedded file, two on one PostGIS."""
    database = database_for(request, request.param, tmp_path)
    with running_app(tmp_path, database.env) as first:
        if database.kind == "sqlite":
            yield first, first
            return
        with running_app(tmp_path, database.env) as second:
            yield first, second


def test_workspace__saved_in_one_browser_session_reopens_in_another(servers, browser, tmp_path):
    app_url, other_url = servers
    saved = save_with_an_upload(browser, app_url, tmp_path, "Zharkent depots")
    edit_link, view_link = saved.edit_link, saved.view_link
    assert re.search(r"\?ws=[\w-]+&key=[\w-]{40,}$", edit_link) and edit_link != view_link

    second = browser.new_context(viewport={"width": 1400, "height": 900})  # a new browser session
    again = second.new_page()
    again.goto(edit_link.replace(app_url, other_url))  # on PostGIS, the other app server
    assert again.url.startswith(other_url)
    again.locator(SIDEBAR).get_by_text("depots.geojson (1)").wait_for(timeout=90_000)
    again.locator(SIDEBAR).get_by_text(re.compile(r"Zharkent depots: saved")).wait_for(timeout=30_000)
    second.close()

    third = browser.new_context(viewport={"width": 1400, "height": 900})
    viewer = third.new_page()
    viewer.goto(view_link.replace(app_url, other_url))
    viewer.locator(SIDEBAR).get_by_text("depots.geojson (1)").wait_for(timeout=90_000)
    viewer.locator(SIDEBAR).get_by_text(re.compile(r"read-only link")).wait_for(timeout=30_000)
    assert viewer.locator(SIDEBAR).get_by_text("Edit link").count() == 0
    third.close()
