"""Benchmark: server memory through a 48 MB upload's life (upload, analyses, removal, session end). Prints a table.

Run: uv run python bench/upload_memory_bench.py [--app PATH] [--mb 48] [--session-end] [--overhead]

A real ``streamlit run`` server on a free port, driven by headless Chromium (Debian's
``/usr/bin/chromium``) as a user would. After each step the bench waits for the page to settle,
then reads the resident memory (``VmRSS``) of the server process, and of its child processes (the
forkserver and any upload worker) apart. The file is a generated GeoJSON of random-walk lines in
lon 50–120, lat 30–50 (seeded: the same bytes every run).

Steps: the map drawn; the file uploaded and drawn; the Metrics, Visible features and Route tabs
opened with it; the layer removed (✕ beside it); the file removed from the file uploader too
(Streamlit keeps the raw bytes of every file listed there). Then the same round again: memory the
first round let go is reused, so a second round that adds little means nothing stayed referenced
(RSS seldom falls back when Python frees memory: the allocators keep their pages). With
``--session-end``, the tab is then closed and a new session opened after Streamlit's two minutes
for reconnecting.

``--overhead`` measures instead what reading in a worker process costs (no server, no browser):
the same files read by ``geo.ingest.ingest`` in this process and by ``geo.budget.read_within_budget``
(the median of several runs; the first start of the forkserver apart). ``--app`` measures
another copy of the app (e.g. an export of an earlier commit), run with this interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script from anywhere: `python bench/upload_memory_bench.py`
CHROMIUM = os.environ.get("CORRIDOR_ATLAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]
MAP_IFRAME = "iframe[title='app.mapview.corridor_atlas_map']"
SIDEBAR = "section[data-testid='stSidebar']"
TIMEOUT_MS = 300_000


def big_lines(target_bytes: int, *, seed: int = 1, vertices: int = 100) -> bytes:
    """A GeoJSON of random-walk lines (100 vertices each) in lon 50–120, lat 30–50, just under ``target_bytes``."""
    rng = np.random.default_rng(seed)
    features, size, i = [], 0, 0
    while size < target_bytes - 5_000:
        start = (rng.uniform(50, 119), rng.uniform(30, 49))
        xs = np.clip(start[0] + np.cumsum(rng.normal(0, 0.01, vertices)), 50, 120)
        ys = np.clip(start[1] + np.cumsum(rng.normal(0, 0.01, vertices)), 30, 50)
        coords = ",".join(f"[{x:.6f},{y:.6f}]" for x, y in zip(xs, ys, strict=True))
        props = json.dumps({"id": f"l{i}", "name": f"Line {i}", "capacity": i % 97})
        text = f'{{"type":"Feature","properties":{props},"geometry":{{"type":"LineString","coordinates":[{coords}]}}}}'
        features.append(text)
        size, i = size + len(text) + 1, i + 1
    return ('{"type":"FeatureCollection","features":[' + ",".join(features) + "]}").encode()


def rss_mb(pid: int) -> float:
    """Resident memory of one process, MB (0 if it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else 0.0


def descendants(pid: int) -> list[int]:
    """Every process under ``pid``."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


@contextmanager
def server(app: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """A ``streamlit run`` server of ``app`` on a free port, stopped afterwards."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(app / "streamlit_app.py"), "--server.port", str(port),
        "--server.address", "127.0.0.1", "--server.headless", "true", "--server.maxUploadSize", "200",
    ]  # fmt: skip
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in the finally below)
    proc = subprocess.Popen(cmd, cwd=app, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"the app did not start: {log.read()}") from None
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def settle(page: Page, seconds: float = 3.0) -> None:
    """Wait until Streamlit has finished running (no status widget) and a little more."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT_MS, polling=250
    )
    time.sleep(seconds)


def in_legend(page: Page, title: str, *, shown: bool) -> None:
    """Wait until the newest map's legend lists a layer (or no longer does): the map was rebuilt with it.

    A large upload is drawn on a canvas (dense layers), so its features are not counted as paths.
    """
    page.wait_for_selector(MAP_IFRAME, timeout=TIMEOUT_MS)
    legend = page.frame_locator(MAP_IFRAME).last.locator(".ca-legend")
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while (legend.count() > 0 and title in legend.first.inner_text()) != shown:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the legend {'never' if shown else 'still'} lists {title}")
        time.sleep(0.5)


class Table:
    """Rows of (step, server RSS, its change since the start, children's RSS, seconds the step took)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.rows, self.start = pid, [], None
        self.clock = time.monotonic()

    def read(self, step: str) -> None:
        """Add a row: memory now, and the time since the last row."""
        server_mb = rss_mb(self.pid)
        children_mb = sum(rss_mb(child) for child in descendants(self.pid))
        self.start = server_mb if self.start is None else self.start
        took = time.monotonic() - self.clock
        self.rows.append((step, server_mb, server_mb - self.start, children_mb, took))
        print(f"  {step}: {server_mb:,.0f} MB ({took:.1f} s)", flush=True)
        self.clock = time.monotonic()

    def print(self, title: str) -> None:
        """Print the table as Markdown."""
        print(f"\n{title}\n")
        print("| step | server RSS, MB | change, MB | children RSS, MB | step took, s |\n|---|---:|---:|---:|---:|")
        for step, server_mb, change, children_mb, took in self.rows:
            print(f"| {step} | {server_mb:,.0f} | {change:+,.0f} | {children_mb:,.0f} | {took:.1f} |")


def upload(page: Page, path: Path) -> int:
    """Upload a file and wait until it is listed; the number of its features."""
    chooser = page.locator(f"{SIDEBAR} input[type='file']")
    chooser.set_input_files([])  # else the browser sees the same file chosen again, and no change
    chooser.set_input_files([str(path)])
    label = page.locator(SIDEBAR).get_by_text(re.compile(rf"^{re.escape(path.name)} \(\d+\)$"))
    label.wait_for(timeout=TIMEOUT_MS)
    return int(re.search(r"\((\d+)\)$", label.inner_text()).group(1))


def run(app: Path, size_mb: float, session_end: bool) -> None:
    """Drive the app through an upload's life and print the server's memory at each step."""
    with tempfile.TemporaryDirectory(prefix="upload-bench-") as folder:
        path = Path(folder) / "big.geojson"
        path.write_bytes(big_lines(int(size_mb * 1e6)))
        print(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB; app {app}", flush=True)
        measure(app, path, size_mb, session_end)


def measure(app: Path, path: Path, size_mb: float, session_end: bool) -> None:
    """The steps of :func:`run`, with the file made."""
    from playwright.sync_api import sync_playwright

    with server(app) as (url, proc), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        page.goto(url)
        page.wait_for_selector(MAP_IFRAME, timeout=TIMEOUT_MS)
        page.frame_locator(MAP_IFRAME).last.locator("path.leaflet-interactive").first.wait_for(timeout=TIMEOUT_MS)
        settle(page)
        table = Table(proc.pid)
        table.read("map drawn")
        for round_ in (1, 2):
            features = upload(page, path)
            in_legend(page, path.name, shown=True)
            settle(page)
            table.read(f"round {round_}: {size_mb:g} MB file uploaded and drawn ({features:,} lines)")
            for tab in ("Metrics", "Visible features", "Route"):
                page.get_by_role("tab", name=tab).click()
                settle(page)
            table.read(f"round {round_}: Metrics, Visible features and Route tabs opened")
            page.locator(SIDEBAR).get_by_role("button", name="✕").first.click()
            page.locator(SIDEBAR).get_by_text(re.compile(r"^big\.geojson \(\d+\)$")).wait_for(
                state="detached", timeout=TIMEOUT_MS
            )
            in_legend(page, path.name, shown=False)
            settle(page, 5)
            table.read(f"round {round_}: layer removed (✕)")
            remove = page.locator(SIDEBAR).get_by_role("button", name=f"Remove {path.name}")
            while remove.count():
                remove.first.click()
                settle(page, 1)
            settle(page, 5)
            table.read(f"round {round_}: file removed from the file uploader too")
        if session_end:
            page.context.close()
            time.sleep(125)  # Streamlit keeps a closed session two minutes for reconnecting
            other = browser.new_context().new_page()
            other.goto(url)
            other.wait_for_selector(MAP_IFRAME, timeout=TIMEOUT_MS)
            settle(other, 5)
            table.read("tab closed; a new session opened 125 s later")
        browser.close()
        table.print(f"Server memory through a {size_mb:g} MB upload ({app})")


def overhead(size_mb: float) -> None:
    """Print the time of reading a small and a large file in this process and in a worker."""
    from geo.budget import read_within_budget
    from geo.ingest import ingest

    small = big_lines(20_000)
    started = time.monotonic()
    read_within_budget("small.geojson", small)
    print(f"first read in a worker (starts the forkserver): {time.monotonic() - started:.2f} s")
    print("\n| file | ingest in this process, s | in a worker, s | overhead, s |\n|---|---:|---:|---:|")
    for name, content, runs in (("small.geojson", small, 15), ("big.geojson", big_lines(int(size_mb * 1e6)), 3)):
        times = {}
        for how, read in (("ingest", ingest), ("worker", read_within_budget)):
            took = []
            for _ in range(runs):
                started = time.monotonic()
                read(name, content)
                took.append(time.monotonic() - started)
            times[how] = float(np.median(took))
        label = f"{name} ({len(content) / 1e6:.2f} MB, median of {runs})"
        print(f"| {label} | {times['ingest']:.3f} | {times['worker']:.3f} | {times['worker'] - times['ingest']:+.3f} |")


def main() -> None:
    """Parse the options and run the bench."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", type=Path, default=ROOT, help="folder of the app to measure (default: this one)")
    parser.add_argument("--mb", type=float, default=48.0, help="size of the generated GeoJSON, MB")
    parser.add_argument("--session-end", action="store_true", help="also close the tab and wait for the session end")
    parser.add_argument("--overhead", action="store_true", help="time reading in a worker against in this process")
    args = parser.parse_args()
    if args.overhead:
        overhead(args.mb)
    else:
        run(args.app.resolve(), args.mb, args.session_end)


if __name__ == "__main__":
    main()
