"""Data the map's page script fetches from the app's own server, without a rerun of the app.

A session offers a source of page data (e.g. the full detail of a large layer for a view) under a URL
only it knows, ``/_atlas/data/<token>``: the page script asks it with query parameters, and the answer
is made from the query in a worker thread. A source is served while the session keeps it (the
session holds it; this registry only looks it up), so a closed session's URLs stop answering.

The server's routes are :func:`routes`, mounted by ``streamlit_app.py`` under the server's
``server.baseUrlPath`` like Streamlit's own. This module imports no geodata library, so the server
starts without them.
"""

from __future__ import annotations

import secrets
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import orjson
import streamlit as st
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["PREFIX", "Answer", "Offered", "offer", "routes"]

#: Where page data is served: the server's base path, then ``PREFIX + token``.
PREFIX = "/_atlas/data/"


def _base_path() -> str:
    """The server's ``server.baseUrlPath`` as a path prefix ("" at the root, else "/<path>")."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


#: What a source answers a query with: JSON-ready data, or ``ValueError`` with a message for the page.
Answer = Callable[[Mapping[str, str]], Any]


@dataclass(eq=False)
class _Source:
    answer: Answer


#: Every offered source by its token, while a session holds it.
_OFFERED: weakref.WeakValueDictionary[str, _Source] = weakref.WeakValueDictionary()

#: A session's offered sources by name, with their tokens: kept in the session's state.
Offered = dict[str, tuple[str, _Source]]


def offer(kept: Offered, name: str, answer: Answer) -> str:
    """Serve ``answer`` under ``name`` while ``kept`` (the session's, see :data:`Offered`) lives; its URL.

    The URL is the same for a name while ``kept`` lasts: offering the name again replaces what it
    answers with, so a page already made keeps working.
    """
    token, source = kept.get(name, (secrets.token_urlsafe(18), _Source(answer)))
    source.answer = answer
    kept[name] = (token, source)
    _OFFERED[token] = source
    return _base_path() + PREFIX + token


def _json(data: Any, status: int = 200) -> Response:
    body = orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY)
    return Response(body, status_code=status, media_type="application/json", headers={"Cache-Control": "no-store"})


async def _serve(request: Request) -> Response:
    source = _OFFERED.get(request.path_params["token"])
    if source is None:
        return _json({"error": "This map's data are no longer served: reload the page."}, status=404)
    query = dict(request.query_params)
    try:
        data = await anyio.to_thread.run_sync(source.answer, query)
    except ValueError as exc:
        return _json({"error": str(exc)}, status=400)
    return _json(data)


def routes() -> list[Route]:
    """The app's own routes, beside Streamlit's, under the same base path."""
    return [Route(_base_path() + PREFIX + "{token}", _serve, methods=["GET"])]
