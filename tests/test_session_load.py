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

from session_client import Session  # noqa: E402
from sessions_bench import _tier  # noqa: E402

from layers.catalog import default_catalog  # noqa: E402


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
