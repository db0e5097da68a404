"""A browser session without a browser: Streamlit's own websocket protocol, spoken from Python.

One :class:`Session` is one browser tab as the server sees it: it connects to ``/_stcore/stream``,
asks for script runs (``BackMsg.rerun_script`` with the query string and its widget states, as
the page does), and reads the server's ``ForwardMsg`` stream until the run finishes. It learns the
widgets' ids from the elements the server sends, so an action names a widget by its key
(``layer_cities``, ``corridor``, the map) as the app's code does. Many sessions share one
asyncio loop in one process: the load on the server is the sessions', not the client's.

What a real page does that this does not: draw the map (so the map never reports its view back on
its own; a pan here sends the value the map would send) and fetch static files.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

__all__ = ["Run", "Session", "SessionError"]

#: How long one run may take before the session counts it as an error.
RUN_TIMEOUT_S = 120.0
#: The view a session's map reports once drawn (latitude, longitude, zoom): the corridor from the Caspian to China.
OPENING = (44.0, 80.0, 5.0)


class SessionError(RuntimeError):
    """The server closed the session, a run failed, or it did not finish in time."""


@dataclass
class Run:
    """One script run as the session saw it: round trip (send → finished), what was shown, what went wrong."""

    seconds: float
    status: int
    texts: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    widgets: dict[str, Any] = field(default_factory=dict)  # key → the element's proto, as last sent
    elements: dict[str, int] = field(default_factory=dict)  # element kind → how many the run sent


def _key(widget_id: str) -> str:
    """The key a widget was given (``$$ID-<hash>-<key>``), or the id itself."""
    return widget_id.split("-", 2)[2] if widget_id.startswith("$$ID-") and widget_id.count("-") >= 2 else widget_id


def _view(lat: float, lon: float, zoom: float) -> dict[str, Any]:
    """What the map sends after a move: centre, zoom and bounds."""
    half_lat, half_lon = 180 / 2**zoom, 360 / 2**zoom
    return {
        "center": {"lat": lat, "lng": lon},
        "zoom": zoom,
        "bounds": {
            "_southWest": {"lat": lat - half_lat, "lng": lon - half_lon},
            "_northEast": {"lat": lat + half_lat, "lng": lon + half_lon},
        },
        "last_active_drawing": None,
        "all_drawings": None,
    }


class Session:
    """One browser session on an app server, driven over Streamlit's websocket."""

    def __init__(self, url: str, query: str = "") -> None:
        self.url = url.rstrip("/")
        self.query = query
        self.ws: Any = None
        self.page_hash = ""
        self.ids: dict[str, str] = {}  # widget key → its id
        self.states: dict[str, WidgetState] = {}  # widget id → the value this "page" holds
        self.fragments: dict[str, str] = {}  # widget key → the fragment it is drawn in (its change reruns only that)
        self.last: Run | None = None

    async def open(self, report_map: bool = True) -> Run:
        """Connect and make the first run (loading the page), then report the map's view as a drawn map does.

        The returned run holds both: a browser's app shows its map first, and the rest of the page
        with the run the map's first report starts. ``report_map=False``: the first run alone.
        """
        stream = self.url.replace("http://", "ws://", 1) + "/_stcore/stream"
        self.ws = await websockets.connect(
            stream, subprotocols=["streamlit"], origin=self.url, max_size=None, open_timeout=60, ping_interval=None
        )
        first = await self._run()
        if not report_map or not self.keys("map_"):
            return first
        then = await self.report_map_view()
        then.seconds += first.seconds
        then.exceptions[:0] = first.exceptions
        return then

    async def report_map_view(self) -> Run:
        """Report the view the map opens on (:data:`OPENING`), as the map does once drawn.

        The map's arguments carry no opening bounds (app.mapview sends no dict), so the view is the corridor's.
        """
        return await self.pan(*OPENING)

    async def close(self) -> None:
        """Close the websocket (the server ends the session)."""
        if self.ws is not None:
            await self.ws.close()

    def widget(self, key: str) -> Any:
        """The proto of the widget with this key (as the last run sent it)."""
        if self.last is None or key not in self.last.widgets:
            raise SessionError(f"no widget with the key {key!r} in the last run")
        return self.last.widgets[key]

    def value(self, key: str) -> Any:
        """A widget's value as the page holds it: what this session set, else what the app set, else its default."""
        proto, state = self.widget(key), self.states.get(self.ids[key])
        if state is not None:
            return getattr(state, state.WhichOneof("value"))
        return proto.value if getattr(proto, "set_value", False) else proto.default

    def keys(self, prefix: str = "") -> list[str]:
        """The keys of the widgets the last run showed, that start with ``prefix``."""
        return sorted(key for key in (self.last.widgets if self.last else {}) if key.startswith(prefix))

    async def set(self, key: str, **value: Any) -> Run:
        """Give a widget a value (``bool_value=False``, ``string_value="Corridor"``, ``json_value=...``) and rerun."""
        state = WidgetState(id=self.ids[key])
        for name, given in value.items():
            setattr(state, name, json.dumps(given) if name == "json_value" and not isinstance(given, str) else given)
        self.states[state.id] = state
        return await self._run(self.fragments.get(key, ""))

    async def pan(self, lat: float, lon: float, zoom: float) -> Run:
        """Report a map view as the map does after a pan (centre, zoom and bounds), and rerun."""
        return await self.set(self._map_key(), json_value=_view(lat, lon, zoom))

    async def pan_without_waiting(self, lat: float, lon: float, zoom: float) -> None:
        """Report a map view and return at once, as a map reporting again before the last run has ended does."""
        key = self._map_key()
        state = WidgetState(id=self.ids[key], json_value=json.dumps(_view(lat, lon, zoom)))
        self.states[state.id] = state
        back = BackMsg()
        back.rerun_script.query_string = self.query
        back.rerun_script.page_script_hash = self.page_hash
        back.rerun_script.fragment_id = self.fragments.get(key, "")
        back.rerun_script.widget_states.widgets.extend(self.states.values())
        await self.ws.send(back.SerializeToString())

    def _map_key(self) -> str:
        key = next(iter(self.keys("map_")), None)
        if key is None:
            raise SessionError("the last run showed no map")
        return key

    def _map_calls(self) -> str:
        """The page calls the last run sent the map (its ``layer_control``), empty without a map."""
        key = next(iter(self.keys("map_")), None)
        return "" if key is None else json.loads(self.widget(key).json_args).get("layer_control", "")

    def shown_layers(self) -> list[str] | None:
        """The layer groups the last run's map shows (from its ``showOnly`` call), or None without a map."""
        found = re.search(r"showOnly\(window\.map, (\[.*?\]), \[", self._map_calls())
        return json.loads(found.group(1)) if found else None

    def shown_analyses(self) -> list[str] | None:
        """The titles of the analysis results the last run's map shows (a corridor buffer, a route), or None."""
        found = re.search(r"CorridorAtlas\.analysis\(window\.map, (\[.*\])\);", self._map_calls())
        return [item["title"] for item in json.loads(found.group(1))] if found else None

    async def _run(self, fragment_id: str = "") -> Run:
        back = BackMsg()
        back.rerun_script.query_string = self.query
        back.rerun_script.page_script_hash = self.page_hash
        back.rerun_script.fragment_id = fragment_id
        back.rerun_script.widget_states.widgets.extend(self.states.values())
        start = time.perf_counter()
        await self.ws.send(back.SerializeToString())
        run = Run(seconds=0.0, status=-1)
        deadline = start + RUN_TIMEOUT_S
        while True:
            try:
                data = await asyncio.wait_for(self.ws.recv(), timeout=max(0.1, deadline - time.perf_counter()))
            except TimeoutError as err:
                raise SessionError(f"a run did not finish within {RUN_TIMEOUT_S:.0f} s") from err
            except websockets.ConnectionClosed as err:
                raise SessionError(f"the server closed the session: {err}") from err
            message = ForwardMsg()
            message.ParseFromString(data)
            kind = message.WhichOneof("type")
            if kind == "new_session":
                self.page_hash = message.new_session.main_script_hash
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                self._element(message.delta.new_element, run, message.delta.fragment_id)
            elif kind == "delta" and message.delta.WhichOneof("type") == "add_block":
                self._block(message.delta.add_block, run)
            elif kind == "script_finished":
                run.status = int(message.script_finished)
                if run.status in (0, 3):  # finished (a whole run or a fragment); 2 is "stopped early for a rerun"
                    break
        run.seconds = time.perf_counter() - start
        self.last = run
        return run

    def _element(self, element: Any, run: Run, fragment_id: str = "") -> None:
        kind = element.WhichOneof("type")
        if kind is None:
            return
        proto = getattr(element, kind)
        run.elements[kind] = run.elements.get(kind, 0) + 1
        if kind == "exception":
            run.exceptions.append(f"{proto.type}: {proto.message}")
        elif kind in ("markdown", "alert") and getattr(proto, "body", ""):
            run.texts.append(proto.body)
        elif kind == "metric":
            run.texts.append(f"{proto.label}: {proto.body}")
        self._widget(proto, run, fragment_id)

    def _block(self, block: Any, run: Run) -> None:
        kind = block.WhichOneof("type")
        if kind is not None:
            self._widget(getattr(block, kind), run)  # tabs and expanders with a key are widgets too

    def _widget(self, proto: Any, run: Run, fragment_id: str = "") -> None:
        widget_id = getattr(proto, "id", "")
        if isinstance(widget_id, str) and widget_id.startswith("$$ID-"):
            key = _key(widget_id)
            self.ids[key] = widget_id
            run.widgets[key] = proto
            if proto.DESCRIPTOR.name == "Checkbox" and (proto.set_value or widget_id not in self.states):
                # As the page does: it holds a checkbox's value from its first drawing, and the app's value when
                # the app sets one, and sends it with every run.
                held = proto.value if proto.set_value else proto.default
                self.states[widget_id] = WidgetState(id=widget_id, bool_value=held)
            elif getattr(proto, "set_value", False):  # the app set this widget's value: the page now shows that one
                self.states.pop(widget_id, None)
            if fragment_id:
                self.fragments[key] = fragment_id
