"""Reading the map in a real browser: its frame, and how many features it has drawn."""

from __future__ import annotations

import time

MAP_IFRAME = "iframe[title='app.mapview.corridor_atlas_map']"


def drawn(frame) -> int:
    """Features drawn as vector paths in the map frame."""
    return frame.locator("path.leaflet-interactive").count()


def map_frame(page):
    """The newest map frame, once it has drawn a feature (while Streamlit reruns, an old frame can linger)."""
    page.wait_for_selector(MAP_IFRAME, timeout=60_000)
    frame = page.frame_locator(MAP_IFRAME).last
    frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=60_000)
    return frame


def wait_for_count(frame, expected: int, timeout_s: float = 30) -> int:
    """The drawn count once it equals ``expected``, or the last count seen when the time is up."""
    deadline = time.monotonic() + timeout_s
    count = -1
    while time.monotonic() < deadline:
        count = drawn(frame)
        if count == expected:
            return count
        time.sleep(0.25)
    return count
