"""What the app adds to Streamlit's server: its own routes, and a warm start.

``streamlit_app.py`` gives these to ``st.App``. At start the server makes, in a thread of its own,
what every session's first run needs (the page's modules, the catalog and its layers, the basemap's
page data and published files) while the first browser is still loading Streamlit's page, so the
first run finds them made. A failure there is left for that run to meet and report.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from app.page_data import routes

__all__ = ["lifespan", "routes", "warm_up"]

_LOG = logging.getLogger(__name__)
_THREAD = "corridor-atlas-warm-up"


def _not_from_warm_up(record: logging.LogRecord) -> bool:
    return record.threadName != _THREAD  # it runs outside any session's script: Streamlit warns of that


# Streamlit's warning that a thread runs outside a script, given for each cached call the warm start makes.
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_not_from_warm_up)


def warm_up() -> None:
    """Import the page and make the shared, cached data of a first run (no session needed)."""
    try:
        import streamlit.emojis  # noqa: F401  (the page icon's check reads Streamlit's emoji list: 0.2 s)
        from streamlit import delta_generator

        # Streamlit checks once per process for a REPL by walking the stack: 0.1 s in a script run, little here.
        getattr(delta_generator, "_maybe_print_use_warning", lambda: None)()

        from app.data import basemap_page_data, basemap_urls, catalog_layer_set, source
        from app.main import prepare_opening

        src = source()
        basemap_page_data(src)
        basemap_urls(src)
        prepare_opening(catalog_layer_set(src))
    except Exception:  # the first run makes them again, and says what is wrong where a user sees it
        _LOG.warning("Corridor Atlas: the warm start did not finish", exc_info=True)


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """The server's life: the warm start begins with it, beside the server's own work."""
    threading.Thread(target=warm_up, name=_THREAD, daemon=True).start()
    yield
