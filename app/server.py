"""What the app adds to Streamlit's server: its own routes, cache headers, and a warm start.

``streamlit_app.py`` gives these to ``st.App``. At start the server makes, in a thread of its own,
what a session's first run needs (the page's modules, the catalog and its layers, the basemap's
page data and published files, and the map page, counts and Metrics of the opening state) while
the first browser is still loading Streamlit's page, so the first run finds them made. A failure
there is left for that run to meet and report. Files named by their content's hash are served
with a year's cache (:class:`HashedFilesCached`).
"""

from __future__ import annotations

import gc
import logging
import re
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from starlette.middleware import Middleware

from app.page_data import routes

__all__ = ["HashedFilesCached", "lifespan", "middleware", "routes", "warm_up"]

_LOG = logging.getLogger(__name__)
_THREAD = "corridor-atlas-warm-up"


def _not_from_warm_up(record: logging.LogRecord) -> bool:
    return record.threadName != _THREAD  # it runs outside any session's script: Streamlit warns of that


# Streamlit's warning that a thread runs outside a script, given for each cached call the warm start makes.
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_not_from_warm_up)


def streamlit_ready() -> None:
    """Load what Streamlit itself loads in a process's first script run, so that run need not.

    PyArrow (a component's call imports it: 0.2 s), its once-per-process check for a REPL, which
    walks the stack (0.1 s in a script run), and the map of loaded modules by file that
    ``inspect.getmodule`` builds on first use (0.14 s: declaring a component names it after its
    module so). The opening's modules are imported too.
    """
    import inspect

    import pyarrow  # noqa: F401
    from streamlit import delta_generator

    import app.opening  # noqa: F401  (the first run's modules)

    getattr(delta_generator, "_maybe_print_use_warning", lambda: None)()
    inspect.getmodule(inspect.currentframe())


def warm_up(quiet_start_s: float = 0.0) -> None:
    """Import the page and make the shared, cached data of a first run (no session needed).

    With ``quiet_start_s`` and an opening kept on disk (:mod:`app.opening`), the page's imports and
    data wait until a run needs the whole page, or that long: a first browser then loads Streamlit's
    page and the map from the kept opening without sharing the interpreter with them, and the map's
    first report asks for the whole page.
    """
    try:
        streamlit_ready()
        from app.catalog import source
        from app.opening import WHOLE_PAGE_ASKED, keep_opening, kept_opening

        src = source()
        if quiet_start_s and kept_opening(src) is not None:
            WHOLE_PAGE_ASKED.wait(timeout=quiet_start_s)

        from app.data import basemap_page_data, basemap_urls, catalog_layer_set
        from app.main import prepare_opening

        basemap_page_data(src)
        basemap_urls(src)
        opening = prepare_opening(catalog_layer_set(src))
        if opening is not None:
            keep_opening(opening, src)
        # What the warm start made lives as long as the server: kept out of the collector's full passes, which
        # would otherwise walk it all again, now and then, in the middle of a user's run (~0.1 s each).
        gc.collect()
        gc.freeze()
    except Exception:  # the first run makes them again, and says what is wrong where a user sees it
        _LOG.warning("Corridor Atlas: the warm start did not finish", exc_info=True)


#: With an opening kept on disk, the warm start waits at most this long for a run that needs the whole page (s).
QUIET_START_S = 3.0


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """The server's life: the warm start begins with it, beside the server's own work."""
    threading.Thread(target=warm_up, args=(QUIET_START_S,), name=_THREAD, daemon=True).start()
    yield


#: Files named by their content's hash: the map component's bundle (``main.<hash>.js``, its build's
#: naming) and the app's published files (``<stem>-<20 hex>.<ext>``, see app.statics).
_HASHED = re.compile(r"/(?:component/[^/]+/.*\.[0-9a-f]{8,}\.(?:js|css)|app/static/[\w-]+-[0-9a-f]{20}\.[a-z]+)$")
#: A year: a file named by its content never changes, so a browser need not ask again.
_IMMUTABLE = b"public, max-age=31536000, immutable"

_Scope = MutableMapping[str, Any]
_Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
_Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class HashedFilesCached:
    """Long-lived cache headers on the content-hashed files the map's frame loads.

    Streamlit serves a component's files with ``Cache-Control: public`` and nothing to revalidate
    by, and the static folder with no cache header, so a new tab fetched the map component's
    bundle (55 kB) again, or asked whether Leaflet had changed. Named by their content, these
    files never change: a browser keeps them for a year. Any other response is left as it is.
    """

    def __init__(self, app: Callable[[_Scope, _Receive, _Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        """Answer as the app does; a hashed file's answer carries the year's cache header."""
        if scope["type"] != "http" or not _HASHED.search(scope.get("path", "")):
            await self.app(scope, receive, send)
            return

        async def send_cached(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 200:
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                message = {**message, "headers": [*headers, (b"cache-control", _IMMUTABLE)]}
            await send(message)

        await self.app(scope, receive, send_cached)


def middleware() -> list[Middleware]:
    """What the app adds to every request Streamlit's server answers."""
    return [Middleware(HashedFilesCached)]
