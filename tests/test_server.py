"""The app's additions to Streamlit's server: the warm start makes a first run's shared data, or says why not."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

from app import server
from app.catalog import source
from app.data import basemap_page_data, catalog_layer_set
from app.page_data import PREFIX
from app.server import warm_up


def test_the_warm_start_makes_what_a_first_run_takes_from_the_cache() -> None:
    catalog_layer_set.clear()
    basemap_page_data.clear()
    warm_up()
    made = catalog_layer_set(source())
    assert len(made.layers) > 0 and not made.errors
    assert catalog_layer_set(source()) is made  # the first run finds it made
    assert basemap_page_data(source())[0]


def test_a_warm_start_that_fails_is_logged_and_left_to_the_first_run(monkeypatch, tmp_path, caplog) -> None:
    monkeypatch.setenv("CORRIDOR_ATLAS_CATALOG", str(tmp_path / "missing.toml"))
    with caplog.at_level(logging.WARNING, logger="app.server"):
        warm_up()  # does not raise
    assert "warm start did not finish" in caplog.text


def test_the_server_starts_its_warm_start_in_a_thread_beside_it(monkeypatch) -> None:
    ran: list[str] = []
    waits: list[float] = []
    done = threading.Event()

    def record(quiet_start_s: float = 0.0) -> None:
        ran.append(threading.current_thread().name)
        waits.append(quiet_start_s)
        done.set()

    monkeypatch.setattr(server, "warm_up", record)

    async def live() -> None:
        async with server.lifespan(None):
            pass  # the server serves here; the warm start does not hold it up

    asyncio.run(live())
    assert done.wait(5) and ran == ["corridor-atlas-warm-up"]
    assert waits == [server.QUIET_START_S] and 0 < server.QUIET_START_S <= 5  # a kept opening's first visit comes first
    assert [route.path for route in server.routes()] == [PREFIX + "{token}"]


def test_after_the_warm_start_a_first_run_makes_no_map_page_and_no_metrics(monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    from app import mappage, panels

    warm_up()
    made: list[str] = []

    def recording(name, real):
        def call(*args, **kwargs):
            made.append(name)
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(mappage, "component_page", recording("map page", mappage.component_page))
    monkeypatch.setattr(panels, "_metrics", recording("metrics", panels._metrics))
    run = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "streamlit_app.py"), default_timeout=60).run()
    assert not run.exception and not run.error
    assert run.tabs[0].label == "Metrics" and run.metric  # the Metrics tab was shown, from the cache
    assert made == []
