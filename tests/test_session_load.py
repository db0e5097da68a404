"""The load client (bench/sessions_bench.py): sessions over Streamlit's websocket, no browser, on a real server.

A short run with five sessions: every session opens the page and acts (toggles, pans, corridor
queries), and each action's effect is checked on what the server sends back.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from session_client import Run, Session  # noqa: E402
from sessions_bench import _tier  # noqa: E402

from layers.catalog import GROUPS, default_catalog  # noqa: E402


def test_session_client__a_toggle_and_a_corridor_query_show_on_what_the_server_sends(app_url):
    async def drive() -> tuple[list[str], list[str], list[str], list[str], list[str] | None]:
        session = Session(app_url, "view=44,80,6")
        await session.open()
        before = session.shown_layers() or []
        await session.set("layer_cities", bool_value=False)
        after = session.shown_layers() or []
        await session.set("layer_cities", bool_value=True)
        again = session.shown_layers() or []
        await session.set("tab", string_value="Corridor")
        await session.set("corridor", string_value="All gas pipelines")
        texts = session.last.texts if session.last else []
        analyses = session.shown_analyses()
        await session.close()
        return before, after, again, texts, analyses

    before, after, again, texts, analyses = asyncio.run(drive())
    on_by_default = [spec for spec in default_catalog().layers if spec.visible]
    assert len(before) == len(on_by_default) and len(after) == len(before) - 1
    assert set(after) < set(before) and again == before
    assert any(text.startswith("Corridor length, km (geodesic): ") for text in texts)
    assert analyses == ["Corridor buffer (50 km)"]  # and the map the session has shows its buffer


def test_sessions_bench__five_sessions_open_act_and_see_no_error(app_url):
    tier = asyncio.run(_tier(app_url, 5, seconds=12, think=(0.5, 1.5), seed=11))
    assert tier.errors == []
    assert tier.actions.get("open") == 5
    assert {"toggle", "pan", "corridor query"} <= set(tier.actions)
    assert len(tier.round_trips_s) == sum(tier.actions.values())


def test_a_browser_session_gets_the_map_first_and_the_rest_once_the_map_reports(app_url):
    """The first run sends the map, its toggles and the search; the tabs and sidebar tools follow the map's report.

    So for a link that names a view (a plain link's first run is the kept opening: see below).
    """

    async def drive() -> tuple[set[str], set[str], list[str]]:
        session = Session(app_url, "view=42,86,4")
        first = await session.open(report_map=False)
        then = await session.report_map_view()
        await session.close()
        return set(first.widgets), set(then.widgets), first.exceptions + then.exceptions

    first, then, exceptions = asyncio.run(drive())
    assert not exceptions
    assert any(key.startswith("map_") for key in first) and {"layer_cities", "q"} <= first
    assert not {"tab", "f_status", "uploader"} & first  # not yet: the page lays out the map first
    assert {"tab", "f_status", "uploader"} <= then and any(key.startswith("map_") for key in then)


def test_the_map_frame_s_hashed_files_are_cached_for_a_year_and_its_page_is_not(app_url):
    import json
    import re
    import urllib.parse
    import urllib.request

    async def visit() -> list[str]:  # a session declares the map component with the server
        session = Session(app_url)
        await session.open()
        scripts = json.loads(session.widget(next(iter(session.keys("map_")))).json_args)["js_links"]
        await session.close()
        return scripts

    scripts = asyncio.run(visit())
    frame = f"{app_url}/component/app.mapview.corridor_atlas_map/"

    def fetch(url: str) -> tuple[str, str]:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read().decode("utf-8", "replace"), response.headers.get("Cache-Control", "")

    page, page_caching = fetch(frame + "index.html")
    bundle = re.search(r'src="\./(static/js/main\.[0-9a-f]+\.js)"', page)
    assert bundle and "no-cache" in page_caching  # the page names the bundle: asked for again each time
    _, bundle_caching = fetch(frame + bundle.group(1))
    assert "max-age=31536000" in bundle_caching and "immutable" in bundle_caching
    assert len(scripts) == 1 and "/map_scripts-" in scripts[0]  # the file the map loads, by its URL from the frame
    _, published_caching = fetch(urllib.parse.urljoin(frame + "index.html", scripts[0]))
    assert "immutable" in published_caching


def test_a_plain_link_opens_from_the_kept_opening_and_the_whole_page_follows_around_the_same_map(tmp_path):
    """A fresh server keeps its opening; a plain link's first run is then the map alone, the same map the page keeps."""
    import time

    from tests.conftest import running_app

    with running_app(tmp_path) as url:
        deadline = time.monotonic() + 90
        while not list((tmp_path / "openings").glob("opening-*.json")) and time.monotonic() < deadline:
            time.sleep(0.5)  # the warm start keeps it once it has made the page (it waits 3 s for a visit first)
        assert list((tmp_path / "openings").glob("opening-*.json")), "the warm start kept no opening"

        async def drive() -> tuple[Run, Run, str, str, list[str] | None]:
            session = Session(url)
            first = await session.open(report_map=False)
            key = next(iter(session.keys("map_")))
            opened_id = session.ids[key]
            await session.pan_without_waiting(42.0, 86.0, 4)  # the map reports, and again at once, and again
            await asyncio.sleep(0.02)
            await session.pan_without_waiting(42.5, 86.0, 4)
            then = await session.report_map_view()
            shown = session.shown_layers()
            await session.close()
            return first, then, key, opened_id, shown

        first, then, key, opened_id, shown = asyncio.run(drive())

    assert not first.exceptions and not then.exceptions
    assert set(first.widgets) == {key}  # the map alone: no toggle, search box or tab yet
    assert any(text.startswith("Showing ") for text in first.texts)  # and the status line over it
    assert {"layer_cities", "q", "tab", "f_status", "uploader"} <= set(then.widgets)
    assert then.widgets[key].id == opened_id  # the same map element: the page keeps its frame
    assert then.widgets[key].json_args == first.widgets[key].json_args  # and sends it the same page
    # the whole page's first run, stopped by the second report, left the opening state as it was
    assert shown is not None and len(shown) == len([spec for spec in default_catalog().layers if spec.visible])
    assert list(then.widgets["f_sector"].raw_values) == list(GROUPS)
