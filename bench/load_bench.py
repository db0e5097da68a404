"""Load benchmark: concurrent headless-Chromium sessions toggle layers and pan on one app server. Prints a table.

Run: uv run python bench/load_bench.py [--sessions 20] [--seconds 60] [--port 8599]

Starts one app server (``streamlit run streamlit_app.py``) on 127.0.0.1:PORT and one Chromium
(Debian's ``/usr/bin/chromium``) with a browser context and page per session; every request that
would leave localhost is blocked. The sessions open the app two at a time (``?view=44,80,6``:
zoomed in, so the map can pan) and wait for their map; then all of them together, for
``--seconds``, toggle a random layer in the sidebar, wait until the map shows the change, drag the
map and pause a moment.

It measures:

- toggle-to-redraw latency: from the click on the sidebar checkbox (a capturing listener in the
  page takes the time) until a map iframe shows exactly the layers that are on: its visible legend
  rows (``.ca-legend-row``) and its count of drawn features (``path.leaflet-interactive``, one per
  feature) both match (should the app stop drawing one SVG path per feature, by the legend alone;
  the table says which). Timed in the page, polled every 25 ms; counted whether the map is updated
  in place or replaced by a new map document;
- errors: page errors, console errors, Streamlit exception and error boxes, clicks that cannot be
  made and redraws that do not come within 30 s, maps that never open, tracebacks in the server log;
- the server's memory: resident set (VmRSS) of its process group sampled every 0.2 s, and its
  high-water mark (VmHWM) read before it is stopped;
- CPU seconds of the server, of the browser and of this command, against the whole machine's (on a
  shared machine, other processes' load shows there and slows everything).

Bounded: at most ``--sessions`` sessions, each toggling for ``--seconds``; everything is torn down
after ``--seconds`` + 120 s + 6 s per session (the opening is slow on 2 cores) whatever happens,
and the figures so far are printed. The server is stopped in every case, Ctrl-C included. The
exit status is 1 when there was an error or a session's map missed a redraw.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlparse

from playwright.async_api import Browser, ConsoleMessage, Page, Route, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from layers.catalog import default_catalog
from layers.load import load_layer

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
MAP_IFRAME = "iframe[title='app.mapview.corridor_atlas_map']"
ERROR_BOXES = "[data-testid='stException'], [data-testid='stAlertContentError']"
OPENING_VIEW = "44.0,80.0,6"  # zoomed in far enough that the map's max bounds let it pan

SERVER_START_TIMEOUT_S = 90.0
OPEN_TIMEOUT_S = 120.0  # first map of a session, while every other session is opening too
REDRAW_TIMEOUT_S = 30.0
PATHS_GRACE_S = 10.0  # once the legend is right at opening, time for the paths to be drawn too
CLICK_TIMEOUT_S = 30.0
JITTER_S = 3.0  # each session's first toggle comes up to this long after the common start
HARD_TIMEOUT_EXTRA_S = 120.0  # plus OPEN_ALLOWANCE_S per session: see hard_timeout_s
OPEN_ALLOWANCE_S = 6.0
OPEN_CONCURRENCY = 2  # sessions that open the app at the same time (on a 2-core machine)
POLL_MS = 25
SAMPLE_EVERY_S = 0.2
MAX_SHOWN_ERRORS = 8

# Stamps the time of every click in the sidebar; runs in each page before the app's own scripts.
CLICK_CLOCK_JS = """
document.addEventListener("click", (event) => {
    const target = event.target;
    if (target instanceof Element && target.closest("[data-testid='stSidebar']")) {
        window.__loadBenchClickAt = performance.now();
    }
}, true);
"""

# Before a click: forget the last click and mark the map documents on the page as old, to tell a
# map updated in place from a map replaced by a new document.
BEFORE_CLICK_JS = """
(selector) => {
    window.__loadBenchClickAt = null;
    for (const frame of document.querySelectorAll(selector)) {
        if (frame.contentDocument) frame.contentDocument.__loadBenchOld = true;
    }
}
"""

# Runs in the main page, so it sees every map iframe, the old one and the new one while Streamlit
# swaps them. Once a map shows exactly the expected layers (visible legend rows and drawn
# features), returns the milliseconds since the click and whether that map is a new document;
# returns the text of a Streamlit exception or error box as soon as one shows; else false.
REDRAWN_JS = """
([selector, errorBoxes, paths, legend]) => {
    const box = document.querySelector(errorBoxes);
    if (box) return {error: box.innerText.trim().slice(0, 200)};
    for (const frame of document.querySelectorAll(selector)) {
        const doc = frame.contentDocument;
        if (!doc || !frame.contentWindow.map) continue;
        const rows = [...doc.querySelectorAll(".ca-legend-row")]
            .filter((row) => row.style.display !== "none")
            .map((row) => row.textContent.trim())
            .sort();
        const drawn = doc.querySelectorAll("path.leaflet-interactive").length;
        if ((paths < 0 || drawn === paths) && rows.join("\\n") === legend.join("\\n")) {
            const clickAt = window.__loadBenchClickAt;
            return {sinceClick: clickAt == null ? -1 : performance.now() - clickAt, replaced: !doc.__loadBenchOld};
        }
    }
    return false;
}
"""

# What the map frames show, for the message when a redraw does not come.
SHOWN_JS = """
(selector) => [...document.querySelectorAll(selector)].map((frame) => {
    const doc = frame.contentDocument;
    if (!doc) return "no document";
    const rows = [...doc.querySelectorAll(".ca-legend-row")].filter((row) => row.style.display !== "none");
    const legend = rows.map((row) => row.textContent.trim()).join(", ");
    return `${doc.querySelectorAll("path.leaflet-interactive").length} paths, legend [${legend}]`;
}).join("; ") || "no map frame"
"""

# The on-screen box and centre of the newest map that has drawn (the first in document order:
# Streamlit inserts a new map frame before the one it replaces).
MAP_BOX_JS = """
(selector) => {
    for (const frame of document.querySelectorAll(selector)) {
        const map = frame.contentWindow && frame.contentWindow.map;
        if (!map) continue;
        const box = frame.getBoundingClientRect();
        const centre = map.getCenter();
        return {x: box.x, y: box.y, width: box.width, height: box.height, lat: centre.lat, lng: centre.lng};
    }
    return null;
}
"""


@dataclass(frozen=True)
class ToggleLayer:
    """A catalog layer as the benchmark sees it: sidebar label, legend text and features drawn."""

    id: str
    title: str
    legend: str
    visible: bool
    paths: int


@dataclass
class SessionResult:
    """What one browser session did and saw."""

    index: int
    started: bool = False
    opened: bool = False
    toggles: int = 0
    redraws: int = 0
    replaced: int = 0
    pans: int = 0
    pans_moved: int = 0
    open_s: float = float("nan")
    count_paths: bool = True  # False: features are not one SVG path each, redraws judged by the legend
    note: str = ""
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    error_boxes: set[str] = field(default_factory=set)

    @property
    def redrew_every_toggle(self) -> bool:
        """Whether the map opened and showed the change after every toggle (at least one)."""
        return self.opened and self.toggles > 0 and self.redraws == self.toggles

    def error(self, message: str) -> None:
        """Record an error, prefixed with the session number."""
        self.errors.append(f"session {self.index}: {message}")

    def error_box(self, text: str) -> None:
        """Record a Streamlit exception or error box (its first line), once per distinct text."""
        text = (text.strip().splitlines() or ["(empty)"])[0]
        if text not in self.error_boxes:
            self.error_boxes.add(text)
            self.error(f"app error box: {text}")


class AppErrorShown(Exception):
    """The page shows a Streamlit exception or error box instead of (or besides) the map."""


@dataclass
class MemoryPeak:
    """Peak resident memory of the server's process group, sampled from ``/proc``."""

    rss_kib: int = 0
    samples: int = 0


@dataclass
class Figures:
    """Machine-side figures: the server's memory and CPU, the browser's CPU, the toggling phase."""

    peak_rss_kib: int = 0
    samples: int = 0
    hwm_kib: int = 0
    server_cpu_s: float = float("nan")
    browser_cpu_s: float = float("nan")
    phase_s: float = float("nan")
    load_before: str = ""
    machine_cpu_s: float = float("nan")
    bench_cpu_s: float = float("nan")


# --- the app server and its memory ------------------------------------------------------------------


def port_is_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:``port`` (else we would measure someone else's server)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # ignore the last run's TIME_WAIT
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_server(port: int, log: IO[str]) -> subprocess.Popen[str]:
    """Start ``streamlit run streamlit_app.py`` in its own process group."""
    cmd = [
        sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
        "--server.port", str(port), "--server.headless", "true", "--server.address", "127.0.0.1",
    ]  # fmt: skip
    return subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def wait_until_healthy(proc: subprocess.Popen[str], port: int, timeout_s: float) -> bool:
    """Poll ``/_stcore/health`` until it answers ``ok``; False if the server exits or times out."""
    url = f"http://127.0.0.1:{port}/_stcore/health"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200 and response.read().strip() == b"ok":
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def stop_server(proc: subprocess.Popen[str]) -> None:
    """Terminate the server's process group; kill it if it has not gone within 10 s."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def processes() -> dict[int, list[str]]:
    """Every process with its ``/proc/<pid>/stat`` fields after ``pid (comm)`` (state, ppid, pgrp …)."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                found[int(entry)] = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
    return found


def group_pids(pgid: int) -> list[int]:
    """Processes in process group ``pgid`` (the server and any children it started)."""
    return [pid for pid, fields in processes().items() if int(fields[2]) == pgid]


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (here: the Playwright driver and the Chromium it runs)."""
    children: dict[int, list[int]] = {}
    for child, fields in processes().items():
        children.setdefault(int(fields[1]), []).append(child)
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def status_kib(pid: int, key: str) -> int:
    """A ``/proc/<pid>/status`` figure in KiB (``VmRSS``, ``VmHWM``); 0 if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return 0


def group_kib(pgid: int, key: str) -> int:
    """Sum of one ``/proc`` status figure over the server's process group."""
    return sum(status_kib(pid, key) for pid in group_pids(pgid))


def cpu_seconds(pids: Iterable[int]) -> float:
    """User plus system CPU time of these processes so far, with that of their children that ended."""
    stats, wanted = processes(), set(pids)
    ticks = sum(sum(map(int, fields[11:15])) for pid, fields in stats.items() if pid in wanted)  # u, s, cu, cs
    return ticks / os.sysconf("SC_CLK_TCK")


def sample_memory(pgid: int, peak: MemoryPeak, stop: threading.Event) -> None:
    """Sample the group's total VmRSS until ``stop`` is set, keeping the peak."""
    while not stop.is_set():
        peak.rss_kib = max(peak.rss_kib, group_kib(pgid, "VmRSS"))
        peak.samples += 1
        stop.wait(SAMPLE_EVERY_S)


def server_log_errors(log_path: Path) -> list[str]:
    """One message per traceback in the server log (first and last line of each)."""
    lines = log_path.read_text(errors="replace").splitlines()
    errors = []
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            end = next((j for j in range(i + 1, len(lines)) if lines[j] and not lines[j][0].isspace()), i)
            errors.append(f"server log: {lines[end].strip()[:200]}")
    return errors


# --- one browser session -----------------------------------------------------------------------------


def toggle_layers() -> list[ToggleLayer]:
    """Every catalog layer with the number of features its map draws (the map's shapes, one each)."""
    return [
        ToggleLayer(spec.id, spec.title, spec.legend, spec.visible, len(load_layer(spec)))
        for spec in default_catalog().layers
    ]


def expected(layers: list[ToggleLayer], visible: set[str], *, count_paths: bool = True) -> list[object]:
    """The ``REDRAWN_JS`` argument for a map showing exactly the ``visible`` layers (paths -1: not counted)."""
    on = [layer for layer in layers if layer.id in visible]
    paths = sum(layer.paths for layer in on) if count_paths else -1
    return [MAP_IFRAME, ERROR_BOXES, paths, sorted(layer.legend for layer in on)]


def is_local(url: str) -> bool:
    """Whether a request stays on this machine."""
    parsed = urlparse(url)
    return parsed.scheme in {"data", "blob", "about"} or parsed.hostname in LOCAL_HOSTS


async def watch(page: Page, result: SessionResult) -> None:
    """Record page errors, console errors and blocked requests; block what would leave localhost."""

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            result.error(f"console: {message.text[:200]}")

    async def route(request_route: Route) -> None:
        url = request_route.request.url
        if is_local(url):
            await request_route.continue_()
        else:
            result.blocked.append(url)
            await request_route.abort()

    page.on("pageerror", lambda err: result.error(f"page error: {str(err)[:200]}"))
    page.on("console", on_console)
    await page.route("**/*", route)
    await page.add_init_script(CLICK_CLOCK_JS)


async def wait_redrawn(
    page: Page, layers: list[ToggleLayer], visible: set[str], timeout_s: float, *, count_paths: bool = True
) -> tuple[float, bool]:
    """Wait until a map shows exactly ``visible``: its legend, and unless ``count_paths`` is false its paths.

    Returns
    -------
    tuple[float, bool]
        Milliseconds since the last sidebar click (-1 when unknown), and whether that map is a new
        document rather than the old one updated in place.
    """
    handle = await page.wait_for_function(
        REDRAWN_JS, arg=expected(layers, visible, count_paths=count_paths), polling=POLL_MS, timeout=timeout_s * 1000
    )
    found = await handle.json_value()
    if "error" in found:
        raise AppErrorShown(found["error"])
    return float(found["sinceClick"]), bool(found["replaced"])


async def shown(page: Page, layers: list[ToggleLayer], visible: set[str]) -> str:
    """What the map frames show against what was expected (for error messages)."""
    _, _, paths, legend = expected(layers, visible)
    return f"expected {paths} paths, legend {legend}; shown: {await page.evaluate(SHOWN_JS, MAP_IFRAME)}"


async def checked_layers(page: Page, layers: list[ToggleLayer]) -> set[str]:
    """The layers whose sidebar checkbox is ticked (to resynchronise after a missed redraw)."""
    return {
        layer.id
        for layer in layers
        if await page.locator(f".st-key-layer_{layer.id} input[type=checkbox]").is_checked()
    }


async def check_error_boxes(page: Page, result: SessionResult) -> None:
    """Record each new Streamlit exception or error box on the page."""
    boxes = page.locator(ERROR_BOXES)
    for i in range(await boxes.count()):
        result.error_box((await boxes.nth(i).inner_text(timeout=5_000)).strip()[:200])


async def toggle(
    page: Page, layers: list[ToggleLayer], visible: set[str], rng: random.Random, result: SessionResult
) -> set[str]:
    """Click one layer's checkbox and time the map's redraw; returns the layers now on."""
    layer = rng.choice(layers)
    box = page.locator(f".st-key-layer_{layer.id} input[type=checkbox]")  # by its key: titles carry markup
    await page.evaluate(BEFORE_CLICK_JS, MAP_IFRAME)
    clicked = time.perf_counter()
    try:
        await box.click(force=True, timeout=CLICK_TIMEOUT_S * 1000)  # Streamlit's checkbox input is visually hidden
    except PlaywrightTimeout:
        result.error(f"could not click {layer.title!r} within {CLICK_TIMEOUT_S:.0f} s")
        return await checked_layers(page, layers)
    result.toggles += 1
    visible = visible ^ {layer.id}
    try:
        since_click, replaced = await wait_redrawn(
            page, layers, visible, REDRAW_TIMEOUT_S, count_paths=result.count_paths
        )
    except PlaywrightTimeout:
        result.error(
            f"no redraw {REDRAW_TIMEOUT_S:.0f} s after toggling {layer.title!r}; {await shown(page, layers, visible)}"
        )
        return await checked_layers(page, layers)
    except AppErrorShown as err:
        result.error_box(str(err))
        return await checked_layers(page, layers)
    result.latencies_ms.append(since_click if since_click >= 0 else (time.perf_counter() - clicked) * 1000)
    result.redraws += 1
    result.replaced += replaced
    return visible


async def pan(page: Page, rng: random.Random, result: SessionResult) -> None:
    """Drag the map by up to 200 px in a random direction, as a user would with the mouse."""
    before = await page.evaluate(MAP_BOX_JS, MAP_IFRAME)
    if before is None:
        result.error("no map to pan")
        return
    x, y = before["x"] + before["width"] / 2, before["y"] + before["height"] / 2
    dx, dy = rng.uniform(-200, 200), rng.uniform(-150, 150)
    await page.mouse.move(x, y)
    await page.mouse.down()
    await page.mouse.move(x + dx, y + dy, steps=10)
    await page.mouse.up()
    result.pans += 1
    after = await page.evaluate(MAP_BOX_JS, MAP_IFRAME)
    if after is not None and (after["lat"], after["lng"]) != (before["lat"], before["lng"]):
        result.pans_moved += 1


def hard_timeout_s(sessions: int, seconds: float) -> float:
    """When everything is torn down, counted from the first session's start.

    The sessions open a few at a time, and on a 2-core machine each opening costs the browser
    several CPU seconds, so the bound grows with the number of sessions.
    """
    return seconds + HARD_TIMEOUT_EXTRA_S + OPEN_ALLOWANCE_S * sessions


class Schedule:
    """Opens sessions a few at a time, then starts every session's toggling at the same moment."""

    def __init__(self, sessions: int, seconds: float) -> None:
        self.open_slots = asyncio.Semaphore(OPEN_CONCURRENCY)
        self.all_opened = asyncio.Event()
        self.waiting = sessions
        self.seconds = seconds
        self.end = 0.0

    def opened_one(self) -> None:
        """One session has opened (or failed to); the last one starts the clock for all."""
        self.waiting -= 1
        if self.waiting == 0:
            self.end = time.monotonic() + self.seconds
            self.all_opened.set()


async def open_app(page: Page, url: str, layers: list[ToggleLayer], result: SessionResult) -> set[str]:
    """Open the app and wait for its map with the default layers; returns the layers on."""
    started = time.monotonic()
    result.started = True
    await page.goto(url, wait_until="domcontentloaded", timeout=OPEN_TIMEOUT_S * 1000)
    visible = {layer.id for layer in layers if layer.visible}
    try:
        await wait_redrawn(page, layers, visible, OPEN_TIMEOUT_S, count_paths=False)
        try:
            await wait_redrawn(page, layers, visible, PATHS_GRACE_S)
        except PlaywrightTimeout:  # the map draws its features otherwise: judge redraws by the legend
            result.count_paths = False
            result.note = await shown(page, layers, visible)
    except PlaywrightTimeout:
        result.error(f"the map did not open within {OPEN_TIMEOUT_S:.0f} s; {await shown(page, layers, visible)}")
        return visible
    except AppErrorShown as err:
        result.error_box(str(err))
        return visible
    result.opened = True
    result.open_s = time.monotonic() - started
    return visible


async def use_map(page: Page, layers: list[ToggleLayer], visible: set[str], end: float, result: SessionResult) -> None:
    """Until ``end``: toggle a layer, wait for the redraw, pan, look at the map for a moment."""
    rng = random.Random(result.index)
    await asyncio.sleep(rng.uniform(0, JITTER_S))  # users do not all click at the same instant
    while time.monotonic() < end:
        visible = await toggle(page, layers, visible, rng, result)
        await pan(page, rng, result)
        await asyncio.sleep(rng.uniform(0.3, 1.0))  # a user looks at the map
    await check_error_boxes(page, result)


async def session(
    browser: Browser, url: str, layers: list[ToggleLayer], schedule: Schedule, result: SessionResult
) -> None:
    """One user: open the app (a few sessions at a time), then toggle and pan with every other session."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = await context.new_page()
        await watch(page, result)
        try:
            async with schedule.open_slots:
                visible = await open_app(page, url, layers, result)
        finally:
            schedule.opened_one()
        if result.opened:
            await schedule.all_opened.wait()
            await use_map(page, layers, visible, schedule.end, result)
    except PlaywrightError as err:
        result.error(f"{type(err).__name__}: {str(err).splitlines()[0][:200]}")
    finally:
        with contextlib.suppress(PlaywrightError):
            await context.close()


async def run_sessions(
    url: str, layers: list[ToggleLayer], results: list[SessionResult], seconds: float, figures: Figures, server_pid: int
) -> bool:
    """Drive every session concurrently in one Chromium; False if the hard timeout cut them short.

    Fills in the browser's CPU time (with Playwright's driver) and the length of the toggling phase.
    """
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            schedule = Schedule(len(results), seconds)
            tasks = [asyncio.create_task(session(browser, url, layers, schedule, r)) for r in results]
            _, pending = await asyncio.wait(tasks, timeout=hard_timeout_s(len(results), seconds))
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=30)
            figures.browser_cpu_s = cpu_seconds(descendants(os.getpid()) - set(group_pids(server_pid)))
            if schedule.all_opened.is_set():
                figures.phase_s = time.monotonic() - schedule.end + seconds
            return not pending
        finally:
            with contextlib.suppress(PlaywrightError):
                await browser.close()


# --- report ------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def machine_busy_s() -> float:
    """CPU seconds every process on the machine has used since boot (all cores, not idle)."""
    jiffies = [int(v) for v in Path("/proc/stat").read_text().split()[1:9]]  # user … steal, all cores
    idle, iowait = jiffies[3], jiffies[4]
    return (sum(jiffies) - idle - iowait) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    """CPU seconds this command's own Python process has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def mem_total_gib() -> float:
    """Memory of this machine in GiB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2
    return float("nan")


def report(results: list[SessionResult], errors: list[str], figures: Figures, wall_s: float) -> None:
    """Print the table, then the first errors and blocked requests."""
    latencies = [ms for r in results for ms in r.latencies_ms]
    redraws, replaced = sum(r.redraws for r in results), sum(r.replaced for r in results)
    opens = [r.open_s for r in results if r.opened]
    notes = [r.note for r in results if r.opened and not r.count_paths]
    blocked = [url for r in results for url in r.blocked]
    cpu_split = f"{figures.server_cpu_s:.0f} / {figures.browser_cpu_s:.0f} / {figures.bench_cpu_s:.0f}"
    others = figures.machine_cpu_s - figures.server_cpu_s - figures.browser_cpu_s - figures.bench_cpu_s
    rows = [
        ("sessions started", f"{sum(r.started for r in results)} of {len(results)}"),
        ("sessions whose map opened", str(len(opens))),
        ("map open s, p50 / max", f"{percentile(opens, 50):.1f} / {max(opens, default=float('nan')):.1f}"),
        ("sessions redrawn after every toggle", str(sum(r.redrew_every_toggle for r in results))),
        ("toggles done", str(sum(r.toggles for r in results))),
        ("redraws seen", str(redraws)),
        ("toggle-to-redraw p50 ms", f"{percentile(latencies, 50):.0f}"),
        ("toggle-to-redraw p95 ms", f"{percentile(latencies, 95):.0f}"),
        ("toggle-to-redraw max ms", f"{max(latencies, default=float('nan')):.0f}"),
        ("redraws: map updated in place / replaced", f"{redraws - replaced} / {replaced}"),
        ("redraw judged by legend + paths / legend", f"{len(opens) - len(notes)} / {len(notes)} sessions"),
        ("pans done (map moved)", f"{sum(r.pans for r in results)} ({sum(r.pans_moved for r in results)})"),
        ("outside requests blocked", str(len(blocked))),
        ("errors", str(len(errors))),
        ("server peak RSS MiB", f"{figures.peak_rss_kib / 1024:.0f} ({figures.samples} samples)"),
        ("server VmHWM MiB", f"{figures.hwm_kib / 1024:.0f}"),
        ("CPU s: server / browser / bench", cpu_split),
        ("CPU s: other processes / capacity", f"{others:.0f} / {(os.cpu_count() or 1) * wall_s:.0f}"),
        ("machine", f"{os.cpu_count()} cores, {mem_total_gib():.0f} GiB"),
        ("load average before (1, 5 min)", figures.load_before),
        ("toggling phase s", f"{figures.phase_s:.1f}"),
        ("wall time s", f"{wall_s:.1f}"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'figure':<{width}}  value")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    for message in errors[:MAX_SHOWN_ERRORS]:
        print(f"  error: {message}")
    if len(errors) > MAX_SHOWN_ERRORS:
        print(f"  … and {len(errors) - MAX_SHOWN_ERRORS} more")
    for url in sorted(set(blocked))[:MAX_SHOWN_ERRORS]:
        print(f"  blocked: {url}")
    if notes:
        print(f"  note: features are not drawn one SVG path each, so redraws were judged by the legend: {notes[0]}")


# --- the command -------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent browser sessions (1–50)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long each session toggles and pans")
    parser.add_argument("--port", type=int, default=8599, help="port of the app server this command starts")
    args = parser.parse_args()
    if not 1 <= args.sessions <= 50:
        parser.error("--sessions must be between 1 and 50")
    if not 1 <= args.seconds <= 3600:
        parser.error("--seconds must be between 1 and 3600")
    return args


def measure(args: argparse.Namespace, log_path: Path, results: list[SessionResult], figures: Figures) -> list[str]:
    """Start the server, run the sessions, read the server's figures, stop the server (always)."""
    errors: list[str] = []
    layers = toggle_layers()
    with log_path.open("w") as log:
        proc = start_server(args.port, log)
        peak, stop = MemoryPeak(), threading.Event()
        sampler = threading.Thread(target=sample_memory, args=(proc.pid, peak, stop), daemon=True)
        sampler.start()
        try:
            if not wait_until_healthy(proc, args.port, SERVER_START_TIMEOUT_S):
                errors.append("the app server did not become healthy (its log is below)")
            else:
                url = f"http://127.0.0.1:{args.port}/?view={OPENING_VIEW}"
                if not asyncio.run(run_sessions(url, layers, results, args.seconds, figures, proc.pid)):
                    limit = hard_timeout_s(len(results), args.seconds)
                    errors.append(f"hard timeout: sessions still running after {limit:.0f} s were stopped")
        except KeyboardInterrupt:
            errors.append("interrupted")
        finally:
            stop.set()
            sampler.join(timeout=5)
            figures.peak_rss_kib, figures.samples = peak.rss_kib, peak.samples
            figures.hwm_kib = group_kib(proc.pid, "VmHWM")
            figures.server_cpu_s = cpu_seconds(group_pids(proc.pid))
            stop_server(proc)
    return errors


def main() -> int:
    """Run the load test and print its table; exit status 1 on any error or missed redraw."""
    args = parse_args()
    if not Path(CHROMIUM).exists():
        print(f"Chromium not found at {CHROMIUM} (apt-get install chromium)", file=sys.stderr)
        return 2
    if not port_is_free(args.port):
        print(f"port {args.port} is in use; pick another with --port", file=sys.stderr)
        return 2
    results = [SessionResult(i) for i in range(args.sessions)]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="load_bench_") as tmp:
        log_path = Path(tmp) / "streamlit.log"
        figures = Figures(load_before=", ".join(Path("/proc/loadavg").read_text().split()[:2]))
        busy, own = machine_busy_s(), own_cpu_s()
        errors = measure(args, log_path, results, figures)
        figures.machine_cpu_s, figures.bench_cpu_s = machine_busy_s() - busy, own_cpu_s() - own
        errors = [e for r in results for e in r.errors] + errors + server_log_errors(log_path)
        if any("did not become healthy" in e for e in errors):
            print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
    report(results, errors, figures, time.monotonic() - started)
    failed = errors or not all(r.redrew_every_toggle for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
