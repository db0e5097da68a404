"""Benchmark: the app's cold start to first map, and the server time of a rerun after a layer toggle. Prints a table.

Run: uv run python bench/app_bench.py [--repeat N] [--only in-process|cold|reruns] [--profile FILE] [--app PATH]

Targets (default data): a rerun after a toggle ≤ 50 ms of server time; cold start to the first map
painted ≤ 1.5× the floor of the same run (below); a new tab on a warm server ≤ 1.5 s to the first map painted.

Four measurements, each in a fresh process:

- In process: the app under Streamlit's AppTest (no browser), its script bytecode kept between
  runs as the server keeps it. Times the first run (and when in it the map is handed to
  Streamlit), then toggles and plain reruns: the script's own cost, little disturbed by anything else.
- Cold start: a real ``streamlit run`` server on a free port, opened by headless Chromium (Debian's
  ``/usr/bin/chromium``, already running): wall time from launching the server to its port, to
  the first script run, to the map handed to Streamlit, to the map's first feature (and all
  features) painted, and to the whole page (the sidebar's toggles and the tabs, which follow the
  map's first report). The map's frame, its first feature and the whole page are timed by the
  page's own clock, checked from the page's start at each animation frame (see
  ``WATCH_FIRST_PATH``). Each cold
  start is followed by the same launch of a one-line Streamlit app (``st.write``) to its text
  shown, timed the same way: the floor that Streamlit and the browser set on this machine.
  Before that server stops, a new tab of the same browser opens the app: to its first map painted.
- First visitor: a fresh server again, opened only once its warm start is over (as a first visit
  usually comes), by a browser with an empty cache: the first script run's server time, and page
  opened → first map painted (what the browser itself costs, with the server's work done).
- Reruns: the same server, driven in Chromium as a user would: toggle sidebar checkboxes, rerun
  (key R), switch tabs, pan the map. After each action the bench waits until the map has repainted
  and no further run starts, then reads the runs the action caused (a follow-up run is one the map
  triggered by reporting back).

"Server time" is ``ScriptRunner._run_script`` timed (the whole script run as Streamlit executes it:
widgets, caches, the map component's arguments). Beside it the table gives the script thread's CPU
time: the server shares the machine with Chromium (and any other work), so its wall time grows
with the load and its CPU time much less; the load average is printed. ``--app`` measures another
copy of the app (its folder is the working directory, so its own ``.streamlit/config.toml`` applies).
``--profile FILE`` profiles the toggles and plain reruns in the browser phase (cProfile; the
statistics go to FILE and the top lines are printed).
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script from anywhere: `python bench/app_bench.py`

CHROMIUM = os.environ.get("CORRIDOR_ATLAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]
MAP_IFRAME = "iframe[title='app.mapview.corridor_atlas_map']"
TOGGLE_TARGET_MS = 50.0
COLD_RATIO = 1.5  # launch → first map painted, at most this times the floor of the same run
WARM_TAB_S = 1.5  # a new tab on a warm server → first map painted
QUIET_S = 0.6  # no new script run for this long after the map settled: the action is over
TIMEOUT_S = 90.0


# --- the server side: `streamlit run` with a timer around each script run ------------------------


def serve(log_path: str, streamlit_args: list[str], profile_path: str | None = None) -> None:
    """Run ``streamlit run`` in this process, appending each script run's server time (ms) to a log.

    The time each custom component (the map) is handed to Streamlit goes to ``<log>.map``. With
    ``profile_path``, runs after the first two are profiled, until a file ``<profile_path>.stop``
    appears, and the statistics written there.
    """
    import cProfile

    from streamlit.components.types.base_custom_component import BaseCustomComponent
    from streamlit.runtime.scriptrunner import script_runner

    original = script_runner.ScriptRunner._run_script
    profiler, done = cProfile.Profile(), [0]
    component_call = BaseCustomComponent.__call__

    def timed_component(self: BaseCustomComponent, *args: Any, **kwargs: Any) -> Any:
        try:
            return component_call(self, *args, **kwargs)
        finally:
            with open(f"{log_path}.map", "a", encoding="utf-8") as log:
                log.write(f"{time.time():.6f}\n")

    BaseCustomComponent.__call__ = timed_component

    def timed(self: object, rerun_data: object) -> None:
        profiling = profile_path is not None and done[0] >= 2 and not os.path.exists(f"{profile_path}.stop")
        if profiling:
            profiler.enable()
        started, start, cpu = time.time(), time.perf_counter(), time.thread_time()
        try:
            original(self, rerun_data)
        finally:
            elapsed, cpu_ms = (time.perf_counter() - start) * 1000, (time.thread_time() - cpu) * 1000
            if profiling:
                profiler.disable()
                profiler.dump_stats(f"{profile_path}.part")
                os.replace(f"{profile_path}.part", profile_path)  # never a half-written file
            done[0] += 1
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(f"{elapsed:.3f} {cpu_ms:.3f} {started:.6f}\n")

    script_runner.ScriptRunner._run_script = timed
    _mark_warm_start(log_path)
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *streamlit_args]
    cli.main(prog_name="streamlit")


def _mark_warm_start(log_path: str) -> None:
    """Write the time the app's warm start ends to ``<log>.warm`` (nothing for an app without one)."""
    try:
        from app import server
    except ImportError:
        return
    warm_up = server.warm_up

    def marked(*args: Any) -> None:
        try:
            warm_up(*args)
        finally:
            Path(f"{log_path}.warm").write_text(f"{time.time():.6f}\n", encoding="utf-8")

    server.warm_up = marked


# --- the browser side ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until(condition: Callable[[], bool], what: str, timeout_s: float = TIMEOUT_S, step_s: float = 0.02) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(step_s)


class Run(NamedTuple):
    """One script run: server (wall) time and the script thread's CPU time, in ms; epoch second it started."""

    ms: float
    cpu_ms: float
    started: float


@dataclass
class Server:
    """A ``streamlit run`` process and the log of its script runs."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path
    launched: float
    output: Path
    seen: int = 0

    def runs(self) -> list[Run]:
        """Every script run so far."""
        if not self.log.exists():
            return []
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [Run(*(float(v) for v in line.split())) for line in lines if line.strip()]

    def take_new(self) -> list[Run]:
        """The runs since the last call."""
        runs = self.runs()
        new, self.seen = runs[self.seen :], len(runs)
        return new


@contextmanager
def launched(app: Path, workdir: Path, profile: Path | None = None) -> Iterator[Server]:
    """Start the app on a free port (the clock starts here); stop it afterwards."""
    port = _free_port()
    log = workdir / f"runs-{port}.log"
    output = workdir / f"server-{port}.out"
    cmd = [
        sys.executable, str(Path(__file__).resolve()), "--serve", str(log), str(profile or ""), "--",
        str(app), "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with output.open("wb") as out:
        start = time.time()
        process = subprocess.Popen(cmd, cwd=app.parent, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = Server(process, f"http://127.0.0.1:{port}", log, start, output)
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _port_open(server: Server) -> bool:
    if server.process.poll() is not None:
        raise RuntimeError(f"the app exited:\n{server.output.read_text(errors='replace')}")
    host, port = server.url.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=0.2):
            return True
    except OSError:
        return False


def _drawn(page: Any) -> int:
    """Leaflet paths in the newest map frame (Streamlit may keep the old frame a moment)."""
    frames = page.query_selector_all(MAP_IFRAME)
    if not frames:
        return -1
    frame = frames[-1].content_frame()
    if frame is None:
        return -1
    try:
        return frame.locator("path.leaflet-interactive").count()
    except Exception:  # the frame was replaced while counting: count again
        return -1


#: Run in the page from its start: the page's own clock (epoch ms) at the first animation frame (just before a
#: paint) with the map's frame in the page (``__mapFrameAt``), with a Leaflet path in that frame (same
#: origin, drawn in the same frames: ``__firstPathAt``), and with the whole page: the sidebar's layer
#: toggles and the tabs (``__wholeAt``).
WATCH_FIRST_PATH = """
if (window === window.top) {
  const check = () => {
    const now = performance.timeOrigin + performance.now();
    const frames = document.querySelectorAll('MAP_IFRAME');
    if (frames.length && !window.__mapFrameAt) window.__mapFrameAt = now;
    const shown = frames.length ? frames[frames.length - 1].contentDocument : null;
    if (!window.__firstPathAt && shown && shown.querySelector('path.leaflet-interactive')) window.__firstPathAt = now;
    const toggles = document.querySelector('section[data-testid="stSidebar"] input[type="checkbox"]');
    if (!window.__wholeAt && toggles && document.querySelector('[data-testid="stTab"]')) window.__wholeAt = now;
    if (!window.__firstPathAt || !window.__wholeAt) requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}
""".replace("MAP_IFRAME", MAP_IFRAME.replace("'", "\\'"))


#: The same watch for the one-line app: the first animation frame with its text shown (``__textAt``).
WATCH_FLOOR_TEXT = """
if (window === window.top) {
  const check = () => {
    const now = performance.timeOrigin + performance.now();
    const text = document.querySelector('[data-testid="stMarkdownContainer"]');
    if (text && text.textContent.includes('Streamlit floor')) window.__textAt = now;
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}
"""


def _page_clock(page: Any, name: str) -> float:
    """The epoch second the page's watch (:data:`WATCH_FIRST_PATH`) kept as ``name``, once it has one."""
    handle = page.wait_for_function(f"() => window.{name} || 0", polling=50, timeout=TIMEOUT_S * 1000)
    return float(handle.json_value()) / 1000


def _first_path_at(page: Any) -> float:
    """Epoch second at which the newest map frame first showed a Leaflet path, by the page's own clock.

    The page watches from its start (:data:`WATCH_FIRST_PATH`, added to each browser context): it
    checks at each of its animation frames and keeps the time, so nothing here can make it late.
    """
    return _page_clock(page, "__firstPathAt")


def _expected_paths(layer_ids: set[str]) -> int:
    from layers.catalog import default_catalog
    from layers.load import load_layer

    catalog = default_catalog()
    return sum(len(load_layer(catalog.get(lid))) for lid in layer_ids)


def _settle(server: Server, page: Any, expected: int | None) -> list[Run]:
    """Wait for the action's runs to end and the map to show ``expected`` paths; return those runs."""
    _wait_until(lambda: len(server.runs()) > server.seen, "a script run")
    if expected is not None:
        _wait_until(lambda: _drawn(page) == expected, f"{expected} paths on the map")
    _quiet(server)
    return server.take_new()


def _quiet(server: Server) -> None:
    """Wait until no script run has ended for :data:`QUIET_S`."""
    count = len(server.runs())
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < QUIET_S:
        time.sleep(0.05)
        now = len(server.runs())
        if now != count:
            count, quiet_since = now, time.monotonic()


FLOOR_APP = 'import streamlit as st\n\nst.write("Streamlit floor")\n'


def cold_floor(page: Any, workdir: Path, results: Results) -> None:
    """The same launch and page load for a one-line Streamlit app: what any app pays on this machine."""
    folder = workdir / "floor"
    folder.mkdir(exist_ok=True)
    script = folder / "floor_app.py"
    script.write_text(FLOOR_APP, encoding="utf-8")
    with launched(script, folder) as server:
        _wait_until(lambda: _port_open(server), "the server's port", step_s=0.01)
        page.goto(server.url)
        results.floor_s.append(_page_clock(page, "__textAt") - server.launched)


@dataclass
class Results:
    """Figures collected over the repeats."""

    cold: dict[str, list[float]] = field(default_factory=dict)
    first_run_ms: list[float] = field(default_factory=list)
    map_in_first_run_ms: list[float] = field(default_factory=list)
    actions: dict[str, list[list[Run]]] = field(default_factory=dict)
    floor_s: list[float] = field(default_factory=list)  # launch → a one-line app's text shown
    warm_tab_s: list[float] = field(default_factory=list)  # a new tab on the warm server → first map painted
    visitor_run_ms: list[float] = field(default_factory=list)  # the first session's run once the warm start is over
    visitor_painted_s: list[float] = field(default_factory=list)  # its page opened → first map painted

    def mark(self, event: str, launched: float) -> None:
        """Record the seconds from launching the server to ``event`` (now)."""
        self.cold.setdefault(event, []).append(time.time() - launched)

    def add(self, action: str, runs: list[Run]) -> None:
        """Record the script runs one user action caused."""
        self.actions.setdefault(action, []).append(runs)


def first_visitor(page: Any, app: Path, workdir: Path, results: Results) -> None:
    """A fresh server's first visitor, who comes once its warm start is over, with an empty browser cache.

    What a first visit usually meets (the server has been up for a while), and what the browser
    alone costs: the page loads Streamlit's scripts, the widgets' and the map's, and the basemap.
    """
    with launched(app, workdir) as server:
        warm = Path(f"{server.log}.warm")
        try:
            _wait_until(warm.exists, "the warm start's end", timeout_s=60)
        except TimeoutError:
            return  # an app without a warm start
        opened = time.time()
        page.goto(server.url)
        results.visitor_painted_s.append(_first_path_at(page) - opened)
        _wait_until(lambda: bool(server.runs()), "the first script run")
        results.visitor_run_ms.append(server.runs()[0].ms)


def cold_start(page: Any, app: Path, workdir: Path, results: Results, all_on: int) -> None:
    """Launch a fresh server and time it to the map painted; the server is stopped afterwards."""
    with launched(app, workdir) as server:
        _wait_until(lambda: _port_open(server), "the server's port", step_s=0.01)
        results.mark("server port open", server.launched)
        page.goto(server.url)
        results.mark("page loaded (Streamlit's own scripts)", server.launched)
        painted = _first_path_at(page)
        results.cold.setdefault("map frame in the page", []).append(_page_clock(page, "__mapFrameAt") - server.launched)
        results.cold.setdefault("first map feature painted", []).append(painted - server.launched)
        _wait_until(lambda: _drawn(page) == all_on, "every feature painted", step_s=0.01)
        results.mark("every feature painted", server.launched)
        whole = _page_clock(page, "__wholeAt")  # the sidebar's tools and the tabs, after the map's first report
        results.cold.setdefault("the whole page (toggles, tabs)", []).append(whole - server.launched)
        _settle(server, page, all_on)
        _wait_until(Path(f"{server.log}.warm").exists, "the warm start's end", timeout_s=60)  # a warm server
        _quiet(server)
        tab = page.context.new_page()  # the same browser (its cache warm), the server warm
        opened = time.time()
        tab.goto(server.url)
        results.warm_tab_s.append(_first_path_at(tab) - opened)
        tab.close()
        first_ms, _, first_at = server.runs()[0]
        map_sent = float(Path(f"{server.log}.map").read_text(encoding="utf-8").split()[0])
        results.cold.setdefault("map handed to Streamlit (server)", []).append(map_sent - server.launched)
        results.cold.setdefault("first script run starts", []).append(first_at - server.launched)
        results.cold.setdefault("first script run ends", []).append(first_at + first_ms / 1000 - server.launched)
        results.first_run_ms.append(first_ms)


def reruns(page: Any, app: Path, workdir: Path, results: Results, repeat: int, profile: Path | None) -> None:
    """Toggle layers, rerun, switch tabs and pan, each on a warm server, and record the runs."""
    from layers.catalog import default_catalog

    catalog = default_catalog()
    on = {spec.id for spec in catalog.layers if spec.visible}
    with launched(app, workdir, profile) as server:
        _wait_until(lambda: _port_open(server), "the server's port")
        page.goto(server.url)
        page.wait_for_selector(MAP_IFRAME, timeout=TIMEOUT_S * 1000)
        _settle(server, page, _expected_paths(on))
        _wait_until(Path(f"{server.log}.warm").exists, "the warm start's end", timeout_s=60)  # a warm server
        _quiet(server)
        server.take_new()  # the page's opening runs are no action's
        specs = [spec for spec in catalog.layers if spec.id in on]
        for i in range(repeat):
            spec = specs[i % len(specs)]
            box = page.locator(f".st-key-{spec.widget_key} input[type=checkbox]")  # by its key: titles carry markup
            box.uncheck(force=True)
            results.add("toggle a layer off (new layer set)", _settle(server, page, _expected_paths(on - {spec.id})))
            box.check(force=True)
            results.add("toggle it back on (layer set seen before)", _settle(server, page, _expected_paths(on)))
        for _ in range(repeat):
            page.evaluate("document.activeElement && document.activeElement.blur()")
            page.keyboard.press("r")
            results.add("plain rerun (key R)", _settle(server, page, _expected_paths(on)))
        if profile is not None:
            Path(f"{profile}.stop").touch()  # the profile covers toggles and plain reruns only
        tabs = page.get_by_role("tab")
        names = [tabs.nth(i).inner_text().strip() for i in range(tabs.count())]
        for name in [*names[1:], names[0]]:
            page.get_by_role("tab", name=name, exact=True).click()
            runs = _settle_or_none(server, page)
            results.add(f"switch to tab {name}", runs)
        for i in range(repeat):
            frame_box = page.query_selector_all(MAP_IFRAME)[-1].bounding_box()
            x, y = frame_box["x"] + frame_box["width"] / 2, frame_box["y"] + frame_box["height"] / 2
            page.mouse.move(x, y)
            page.mouse.down()
            page.mouse.move(x + (60 if i % 2 else -60), y + 30, steps=5)
            page.mouse.up()
            results.add("pan the map", _settle_or_none(server, page))


def _settle_or_none(server: Server, page: Any) -> list[Run]:
    """Like :func:`_settle` for actions that may cause no run at all (then: an empty list)."""
    try:
        _wait_until(lambda: len(server.runs()) > server.seen, "a script run", timeout_s=5.0)
    except TimeoutError:
        return []
    return _settle(server, page, None)


# --- in process: the app under AppTest, no browser ---------------------------------------------


def in_process(app: Path, repeat: int) -> None:
    """Run the app under AppTest in this (fresh) process; print its runs as one JSON line.

    The server compiles a script once and reuses the bytecode; AppTest compiles it on every run, so
    here the bytecode is kept as the server keeps it. The script's folder goes first on the path and
    is the working directory (its ``.streamlit/config.toml`` applies), as with ``streamlit run``.
    """
    import json

    from streamlit.components.types.base_custom_component import BaseCustomComponent
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import AppTest

    from layers.catalog import default_catalog

    compiled: dict[str, Any] = {}
    get_bytecode = ScriptCache.get_bytecode

    def compiled_once(self: ScriptCache, script_path: str) -> Any:
        if script_path not in compiled:
            compiled[script_path] = get_bytecode(self, script_path)
        return compiled[script_path]

    runs: list[Run] = []
    original = script_runner.ScriptRunner._run_script

    def timed(self: object, rerun_data: object) -> None:
        started, start, cpu = time.time(), time.perf_counter(), time.thread_time()
        try:
            original(self, rerun_data)
        finally:
            runs.append(Run((time.perf_counter() - start) * 1000, (time.thread_time() - cpu) * 1000, started))

    handed: list[float] = []
    component_call = BaseCustomComponent.__call__

    def timed_component(self: BaseCustomComponent, *args: Any, **kwargs: Any) -> Any:
        try:
            return component_call(self, *args, **kwargs)
        finally:
            handed.append(time.time())

    ScriptCache.get_bytecode = compiled_once
    script_runner.ScriptRunner._run_script = timed
    BaseCustomComponent.__call__ = timed_component
    os.chdir(app.parent)
    sys.path.insert(0, str(app.parent))
    actions: dict[str, list[list[Run]]] = {}

    def act(name: str, step: Callable[[], object]) -> None:
        done = len(runs)
        step()
        actions.setdefault(name, []).append(runs[done:])

    at = AppTest.from_file(str(app), default_timeout=120)
    act("first script run", at.run)
    for _ in range(2):
        at.run()  # the map's first report and the like: settle
    layer_ids = [spec.id for spec in default_catalog().layers if spec.visible]
    for i in range(repeat):
        box = f"layer_{layer_ids[i % len(layer_ids)]}"
        act("toggle a layer off", lambda box=box: at.checkbox(key=box).uncheck().run())
        act("toggle it back on", lambda box=box: at.checkbox(key=box).check().run())
    for _ in range(repeat):
        act("plain rerun", at.run)
    out = {name: [[list(run) for run in group] for group in groups] for name, groups in actions.items()}
    print(json.dumps({"actions": out, "map_ms": (handed[0] - runs[0].started) * 1000}))


def measure_in_process(app: Path, repeat: int, results: Results) -> None:
    """Run :func:`in_process` in a fresh interpreter and add its figures to ``results``."""
    import json

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--in-process", str(app), str(repeat)]
    done = subprocess.run(cmd, cwd=app.parent, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the in-process run failed:\n{done.stderr[-3000:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    for name, groups in measured["actions"].items():
        for group in groups:
            results.add(f"in process: {name}", [Run(*run) for run in group])
    results.map_in_first_run_ms.append(measured["map_ms"])


# --- the report ----------------------------------------------------------------------------------


def _row(name: str, values: list[float], unit: str, target: float | None = None, cpu: list[float] = ()) -> str:
    median, worst = statistics.median(values), max(values)
    digits = 2 if unit == "s" else 1
    cpu_text = f"{statistics.median(cpu):>10.1f}" if cpu else " " * 10
    mark = "" if target is None else ("  ok" if worst <= target else f"  > target {target:g} {unit}")
    return f"{name:<46}{median:>10.{digits}f}{worst:>10.{digits}f}{cpu_text}  {unit}{mark}"


def _actions(results: Results, heading: str, in_process: bool) -> None:
    actions = {a: runs for a, runs in results.actions.items() if a.startswith("in process: ") == in_process}
    if not actions:
        return
    print()
    print(f"{heading:<46}{'median':>10}{'worst':>10}{'CPU med.':>10}")
    for action, per_action in actions.items():
        name = action.removeprefix("in process: ")
        first = [runs[0] for runs in per_action if runs]
        extra = [runs[1:] for runs in per_action if len(runs) > 1]
        if not first:
            print(f"{name:<46}{'no run':>10}")
            continue
        target = TOGGLE_TARGET_MS if name.startswith("toggle") else None
        print(_row(name, [r.ms for r in first], "ms", target, [r.cpu_ms for r in first]))
        if extra:
            wall = [sum(r.ms for r in runs) for runs in extra]
            cpu = [sum(r.cpu_ms for r in runs) for runs in extra]
            print(_row(f"  + follow-up runs ({len(extra)} of {len(per_action)})", wall, "ms", cpu=cpu))


def report(results: Results, app: Path, load_before: float) -> None:
    """Print the tables."""
    import streamlit

    print(f"app: {app}")
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, Streamlit {streamlit.__version__}"
    )
    print(
        f"load average (1 min) before/after: {load_before:.1f} / {os.getloadavg()[0]:.1f} (other work slows wall time)"
    )
    _actions(results, "in process (AppTest, no browser), script run", in_process=True)
    if results.map_in_first_run_ms:
        print(_row("  map handed to Streamlit, into the first run", results.map_in_first_run_ms, "ms"))
    if results.cold:
        print()
        print(f"{'cold start (fresh server process)':<46}{'median':>10}{'worst':>10}")
        for event, seconds in sorted(results.cold.items(), key=lambda item: statistics.median(item[1])):
            print(_row(f"launch → {event}", seconds, "s"))
        print(_row("first script run, server time", results.first_run_ms, "ms"))
        if results.floor_s:
            print(_row("floor: a one-line Streamlit app, launch → shown", results.floor_s, "s"))
            painted = statistics.median(results.cold["first map feature painted"])
            floor = statistics.median(results.floor_s)
            met = "met" if painted <= COLD_RATIO * floor else "NOT met"
            print(f"first map painted / floor (medians): {painted / floor:.1f}× (target ≤ {COLD_RATIO:g}×) {met}")
        if results.warm_tab_s:
            print(_row("a new tab on the warm server → first map painted", results.warm_tab_s, "s", WARM_TAB_S))
        if results.visitor_run_ms:
            print("the first visitor once the warm start is over, empty browser cache:")
            print(_row("  the session's first script run, server time", results.visitor_run_ms, "ms"))
            print(_row("  page opened → first map painted", results.visitor_painted_s, "s"))
    _actions(results, "server + Chromium, script run(s) per action", in_process=False)


def _print_profile(path: Path, lines: int = 30) -> None:
    import pstats

    print(f"\nprofile of the rerun phase (cumulative; statistics in {path}):")
    pstats.Stats(str(path), stream=sys.stdout).sort_stats("cumulative").print_stats(lines)


def main() -> None:
    """Parse arguments, measure, print the figures."""
    if len(sys.argv) > 3 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[5:], sys.argv[3] or None)
        return
    if len(sys.argv) == 4 and sys.argv[1] == "--in-process":
        in_process(Path(sys.argv[2]), int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="cold starts, toggles, reruns and pans (default 5)")
    parser.add_argument("--app", type=Path, default=ROOT / "streamlit_app.py", help="the app script")
    parser.add_argument(
        "--only",
        choices=("in-process", "cold", "reruns"),
        help="only the runs under AppTest (no browser), the cold starts, or the reruns in the browser",
    )
    parser.add_argument("--profile", type=Path, help="profile the browser rerun phase's runs into this file")
    args = parser.parse_args()
    app = args.app.resolve()
    load_before = os.getloadavg()[0]
    results = Results()
    if args.only in (None, "in-process"):
        measure_in_process(app, args.repeat, results)
    if args.only != "in-process":
        browser_phases(app, args, results)
    report(results, app, load_before)
    if args.profile is not None and args.profile.exists():
        _print_profile(args.profile.resolve())


def _context(browser: Any, watch: str = WATCH_FIRST_PATH) -> Any:
    """A fresh browser context (empty cache) whose pages time what they show by their own clock (``watch``)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(watch)
    return context


def browser_phases(app: Path, args: argparse.Namespace, results: Results) -> None:
    """The cold starts and the reruns, in a real server driven by headless Chromium."""
    if not Path(CHROMIUM).exists():
        sys.exit(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CORRIDOR_ATLAS_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    from layers.catalog import default_catalog

    all_on = _expected_paths({spec.id for spec in default_catalog().layers if spec.visible})
    profile = args.profile.resolve() if args.profile else None
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(args.repeat if args.only in (None, "cold") else 0):
            context = _context(browser)
            cold_start(context.new_page(), app, Path(tmp), results, all_on)
            context.close()
            context = _context(browser, WATCH_FLOOR_TEXT)
            cold_floor(context.new_page(), Path(tmp), results)
            context.close()
            context = _context(browser)
            first_visitor(context.new_page(), app, Path(tmp), results)
            context.close()
        if args.only in (None, "reruns"):
            context = _context(browser)
            reruns(context.new_page(), app, Path(tmp), results, args.repeat, profile)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
