"""Benchmark: many sessions on one app server, driven over Streamlit's websocket (no browsers). Prints a table.

Run: uv run python bench/sessions_bench.py [--tiers 25,50,100,200] [--seconds 60] [--think 5-15]

For each tier a fresh app server (``streamlit run``, one process, each script run timed inside it
as in bench/app_bench.py) is started and warmed by one session; then the tier's sessions open the
page (``?view=44,80,6``), ten at a time, and act until ``--seconds`` have passed since the last one
opened: each waits a think time drawn from ``--think`` (seconds; a planner looks at the map
between actions), then toggles a random layer (half of the actions), pans the map to a random
view nearby (three in ten) or runs a corridor query (two in ten: the Corridor tab, a random line
or layer, a random width). All sessions live in this one process (bench/session_client.py).

It measures, per tier:

- server time per script run (``ScriptRunner._run_script``, wall and the script thread's CPU), for
  the runs while every session was open: median, p95, max;
- the round trip a session sees (its message sent → the run finished; includes waiting its turn);
- errors: runs that raised (an exception element), runs that failed or did not finish in 120 s,
  sessions the server closed, tracebacks in the server's output, and actions whose effect did not
  show (a toggled layer still counted in the "Showing … in N layers" line);
- the server process's memory: resident set sampled every 0.2 s (peak) and its high-water mark.

Targets (100 sessions): 0 errors, server-side p95 ≤ 250 ms per rerun, memory ≤ 1 GiB.

What a browser would add and this does not: the map's own report after each redraw (a second,
cheaper run) and static files. The exit status is 1 when a tier had an error.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from app_bench import ROOT, _port_open, _wait_until, launched  # noqa: E402
from load_bench import percentile, status_kib  # noqa: E402
from session_client import Run, Session, SessionError  # noqa: E402

P95_TARGET_MS = 250.0
MEMORY_TARGET_GIB = 1.0
TARGET_SESSIONS = 100
OPEN_AT_ONCE = 10


@dataclass
class Tier:
    """What one tier's sessions saw."""

    sessions: int
    errors: list[str] = field(default_factory=list)
    by_action_s: dict[str, list[float]] = field(default_factory=dict)  # round trips per kind of action
    steady_from: float = 0.0  # epoch second every session was open
    steady_to: float = 0.0

    @property
    def actions(self) -> dict[str, int]:
        """How many of each kind of action (``open`` included)."""
        return {what: len(times) for what, times in self.by_action_s.items()}

    @property
    def round_trips_s(self) -> list[float]:
        """Every action's round trip."""
        return [seconds for times in self.by_action_s.values() for seconds in times]


def _check(run: Run, tier: Tier, what: str) -> None:
    tier.by_action_s.setdefault(what, []).append(run.seconds)
    if run.status not in (0, 3):  # a whole run, or the map's fragment
        tier.errors.append(f"{what}: the run ended with status {run.status}")
    tier.errors.extend(f"{what}: {exception}" for exception in run.exceptions)


async def _toggle(session: Session, tier: Tier, rng: random.Random) -> None:
    key = rng.choice(session.keys("layer_"))
    before = session.shown_layers()
    turned_on = not session.value(key)
    run = await session.set(key, bool_value=turned_on)
    _check(run, tier, "toggle")
    after = session.shown_layers()
    disabled = bool(getattr(session.widget(key), "disabled", False))
    if (
        before is not None
        and after is not None
        and not disabled
        and len(after) != len(before) + (1 if turned_on else -1)
    ):
        change = "more" if turned_on else "fewer"
        tier.errors.append(
            f"toggle {key}: the map shows {len(after)} layers, {len(before)} before; one {change} expected"
        )


async def _pan(session: Session, tier: Tier, rng: random.Random) -> None:
    run = await session.pan(44 + rng.uniform(-2, 2), 80 + rng.uniform(-4, 4), rng.choice((5, 6, 7, 8)))
    _check(run, tier, "pan")


async def _corridor(session: Session, tier: Tier, rng: random.Random) -> None:
    if "corridor" not in session.keys("corridor"):
        _check(await session.set("tab", string_value="Corridor"), tier, "corridor tab")
    options = list(session.widget("corridor").options)
    _check(await session.set("corridor", string_value=rng.choice(options)), tier, "corridor query")
    km = rng.choice((10, 25, 50, 100)) if "corridor_km" in session.keys("corridor") else None
    if km is not None:
        _check(await session.set("corridor_km", double_value=float(km)), tier, "corridor km")
    texts = session.last.texts if session.last else []
    if not any("Corridor length" in text for text in texts):
        tier.errors.append("corridor query: no corridor length shown")
    shown = session.shown_analyses()
    if km is not None and shown is not None and not any(title.endswith(f"({km} km)") for title in shown):
        tier.errors.append(f"corridor query: the map shows {shown}, not the {km} km buffer")


async def _act(session: Session, tier: Tier, rng: random.Random, until: float, think: tuple[float, float]) -> None:
    actions = [(_toggle, 5), (_pan, 3), (_corridor, 2)]
    while True:
        await asyncio.sleep(rng.uniform(*think))
        if time.time() >= until:
            return
        action = rng.choices([a for a, _ in actions], weights=[w for _, w in actions])[0]
        try:
            await action(session, tier, rng)
        except SessionError as err:
            tier.errors.append(f"{action.__name__.strip('_')}: {err}")
            return


async def _tier(url: str, count: int, seconds: float, think: tuple[float, float], seed: int) -> Tier:
    tier = Tier(count)
    sessions = [Session(url, "view=44,80,6") for _ in range(count)]
    opened: list[Session] = []
    for start in range(0, count, OPEN_AT_ONCE):
        batch = sessions[start : start + OPEN_AT_ONCE]
        results = await asyncio.gather(*(session.open() for session in batch), return_exceptions=True)
        for session, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                tier.errors.append(f"open: {result}")
            else:
                _check(result, tier, "open")
                opened.append(session)
    tier.steady_from = time.time()
    until = tier.steady_from + seconds
    await asyncio.gather(
        *(_act(session, tier, random.Random(seed + n), until, think) for n, session in enumerate(opened))
    )
    tier.steady_to = time.time()
    await asyncio.gather(*(session.close() for session in sessions if session.ws is not None), return_exceptions=True)
    return tier


@dataclass
class Row:
    """One tier's figures."""

    tier: Tier
    server_ms: list[float]
    server_cpu_ms: list[float]
    peak_gib: float
    hwm_gib: float


def measure(count: int, seconds: float, think: tuple[float, float], workdir: Path, seed: int = 7) -> Row:
    """Run one tier on a fresh server and return its figures."""
    with launched(ROOT / "streamlit_app.py", workdir) as server:
        _wait_until(lambda: _port_open(server), "the server's port", timeout_s=120)
        asyncio.run(_warm(server.url))
        peak, stop = [0], threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], status_kib(server.process.pid, "VmRSS"))
                stop.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            tier = asyncio.run(_tier(server.url, count, seconds, think, seed))
        finally:
            stop.set()
            sampler.join()
            hwm = status_kib(server.process.pid, "VmHWM")
        steady = [run for run in server.runs() if tier.steady_from <= run.started <= tier.steady_to]
        output = server.output.read_text(errors="replace") if server.output.exists() else ""
        tier.errors.extend(f"server: {line}" for line in output.splitlines() if line.startswith("Traceback"))
    return Row(tier, [run.ms for run in steady], [run.cpu_ms for run in steady], peak[0] / 2**20, hwm / 2**20)


async def _warm(url: str) -> None:
    session = Session(url, "view=44,80,6")
    await session.open()
    await session.close()


def report(rows: list[Row], seconds: float, think: tuple[float, float]) -> None:
    """Print one line per tier, and the targets beside the figures."""
    print(f"machine: {os.cpu_count()} cores; one app server process; sessions act every {think[0]:g}–{think[1]:g} s "
          f"for {seconds:g} s once all are open")  # fmt: skip
    head = ("sessions", "actions", "errors", "server p50 ms", "server p95 ms", "max ms", "cpu p95 ms",
            "round trip p95 ms", "memory peak GiB", "high-water GiB")  # fmt: skip
    print(" | ".join(head))
    for row in rows:
        tier = row.tier
        cells = (
            f"{tier.sessions}", f"{sum(tier.actions.values()) - tier.actions.get('open', 0)}", f"{len(tier.errors)}",
            f"{statistics.median(row.server_ms) if row.server_ms else float('nan'):.0f}",
            f"{percentile(row.server_ms, 95):.0f}", f"{max(row.server_ms, default=float('nan')):.0f}",
            f"{percentile(row.server_cpu_ms, 95):.0f}", f"{percentile(tier.round_trips_s, 95) * 1000:.0f}",
            f"{row.peak_gib:.2f}", f"{row.hwm_gib:.2f}",
        )  # fmt: skip
        print(" | ".join(cells))
    for row in rows:
        parts = [
            f"{what} {len(times)}× p50 {statistics.median(times) * 1000:.0f} / "
            f"p95 {percentile(times, 95) * 1000:.0f} ms"
            for what, times in sorted(row.tier.by_action_s.items())
        ]
        print(f"  {row.tier.sessions} sessions, round trip by action: " + "; ".join(parts))
    target = next((row for row in rows if row.tier.sessions == TARGET_SESSIONS), None)
    if target is not None:
        p95 = percentile(target.server_ms, 95)
        checks = (
            f"errors {len(target.tier.errors)} (target 0) {'met' if not target.tier.errors else 'NOT met'}",
            f"server p95 {p95:.0f} ms (target ≤ {P95_TARGET_MS:.0f}) {'met' if p95 <= P95_TARGET_MS else 'NOT met'}",
            f"memory {target.hwm_gib:.2f} GiB (target ≤ {MEMORY_TARGET_GIB:g}) "
            + ("met" if target.hwm_gib <= MEMORY_TARGET_GIB else "NOT met"),
        )
        print(f"targets at {TARGET_SESSIONS} sessions: " + "; ".join(checks))
    for row in rows:
        for error in row.tier.errors[:5]:
            print(f"  {row.tier.sessions} sessions: {error}")


def main() -> int:
    """Parse arguments, run the tiers, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiers", default="25,50,100,200", help="session counts, one fresh server each")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long every tier acts once all are open")
    parser.add_argument("--think", default="5-15", help="think time between a session's actions, MIN-MAX seconds")
    args = parser.parse_args()
    tiers = [int(part) for part in args.tiers.split(",") if part.strip()]
    low, high = (float(part) for part in args.think.split("-"))
    with tempfile.TemporaryDirectory() as folder:
        rows = [measure(count, args.seconds, (low, high), Path(folder)) for count in tiers]
    report(rows, args.seconds, (low, high))
    return 1 if any(row.tier.errors for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
