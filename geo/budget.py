"""Reading an upload under a time and memory budget: :func:`geo.ingest.ingest` in a worker process."""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.context
import multiprocessing.process
import re
import resource
import sqlite3
import sys
import tempfile
import threading
import time
import traceback
import types
from contextlib import closing
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path, PurePath
from typing import Any

from geo.errors import CorridorAtlasError, LayerReadError, LayerValidationError, Problem
from geo.formats import sanitise
from geo.ingest import Ingested, IngestLimits, ingest

__all__ = ["ReadBudget", "read_within_budget"]

_LOG = logging.getLogger(__name__)
_MB = 1024 * 1024


@dataclass(frozen=True)
class ReadBudget:
    """How long and how much memory reading one upload may take: a base plus an allowance per MB of file.

    Memory is address space beyond the warm worker's own. Measured on two cores: a 48 MB GeoJSON of
    20,000 lines (2 million vertices) reads in 8 s (16 s with both cores busy) within 400–450 MB, and
    200,000 points (33 MB) in 14 s within 220–300 MB; the defaults give them 54 s and 1,984 MB, and
    33 s and 1,684 MB. A 44 KB file gets 6 s and 1,024 MB.
    """

    base_seconds: float = 6.0
    seconds_per_mb: float = 1.0
    base_memory_mb: float = 1024.0
    memory_per_mb: float = 20.0
    grace_seconds: float = 1.0  # between asking the worker to stop (SIGTERM) and killing it (SIGKILL)

    def seconds(self, size: int) -> float:
        """Wall-clock seconds allowed for a file of ``size`` bytes."""
        return self.base_seconds + self.seconds_per_mb * size / _MB

    def memory_mb(self, size: int) -> int:
        """Megabytes of address space allowed, beyond the worker's own, for a file of ``size`` bytes."""
        return int(self.base_memory_mb + self.memory_per_mb * size / _MB)


@dataclass(frozen=True)
class _Job:
    limits: IngestLimits
    seconds: float
    memory_mb: int
    read_views: bool


# --- the worker -------------------------------------------------------------------------------------
# Workers are forked from a forkserver: a fresh interpreter that has imported geo.ingest, never the
# server with its threads. multiprocessing re-imports the parent's main module in each child (from
# its ``__file__``); in a Streamlit server that is the app script (Streamlit installs it as
# ``__main__`` for each run), so a worker would run the whole app. A worker therefore starts while
# ``__main__`` is an empty module, which leaves the child nothing to re-import.

_STARTING = threading.Lock()


def _context() -> multiprocessing.context.ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["geo.ingest"])
    return context


def _start(worker: multiprocessing.process.BaseProcess) -> None:
    """Start a worker with an empty ``__main__`` (see above); the main module is put back after."""
    with _STARTING:
        main, empty = sys.modules.get("__main__"), types.ModuleType("__main__")
        sys.modules["__main__"] = empty
        try:
            worker.start()
        finally:
            if main is not None and sys.modules.get("__main__") is empty:  # Streamlit may have set its own since
                sys.modules["__main__"] = main


def _address_space() -> int | None:
    """The virtual memory size of this process in bytes (``VmSize``); ``None`` where /proc does not say."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmSize:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) * 1024 if found else None


def _cap(limit: int, value: int) -> None:
    """Set a resource limit (soft and hard, so the worker cannot raise it), where the system allows it."""
    try:
        resource.setrlimit(limit, (value, value))
    except (ValueError, OSError):
        return  # not enforced here (not Linux): the parent's wall-clock budget still holds


def _settle_allocators() -> None:
    """Let allocators that reserve address space up front do so before the cap is set on top of it.

    pandas keeps text in Arrow arrays, whose allocator (mimalloc) reserves 1 GiB of address space
    on first use: memory it may use, not memory used.
    """
    import pandas as pd

    pd.Series(["x"], dtype="str")


def _views(path: Path) -> list[str]:
    """The SQL views of a GeoPackage, registered as layers or not (read-only; no view is run)."""
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)) as db:
        db.execute("PRAGMA trusted_schema = OFF")
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name").fetchall()
    return [str(name) for (name,) in rows]


def _refuse_views(name: str, content: bytes) -> None:
    """Refuse a GeoPackage that holds SQL views: the reader may read one as a layer, and a view's query may not end."""
    if PurePath(name).suffix.lower() != ".gpkg":
        return
    with tempfile.TemporaryDirectory(prefix="corridor-atlas-upload-") as folder:
        path = Path(folder) / "layer.gpkg"
        path.write_bytes(content)
        try:
            views = _views(path)
        except sqlite3.Error:
            return  # not a database sqlite can read: the reader says what is wrong with it
    if views:
        listed = ", ".join(repr(v[:60]) for v in views[:5]) + (" …" if len(views) > 5 else "")
        raise LayerReadError(
            f"{name}: the GeoPackage holds SQL views ({listed}), which are not read, as a view's query may never "
            "end; save the layer as a table (in QGIS: Export > Save Features As… GeoPackage) and upload that"
        )


def _out_of_memory(err: BaseException) -> bool:
    """Whether an error, or one it came from, is the memory cap talking."""
    cause: BaseException | None = err
    while cause is not None:
        text = str(cause).lower()
        if isinstance(cause, MemoryError) or "bad_alloc" in text or "out of memory" in text:
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _work(conn: Connection, name: str, job: _Job) -> None:
    """The worker: cap its memory and CPU time, read the file the parent sends, send back the layer or the error.

    The CPU cap ends the worker even if its parent is gone (so no orphan keeps a core busy); the
    parent's wall-clock budget, shorter, is what normally stops it.
    """
    _cap(resource.RLIMIT_CORE, 0)
    _cap(resource.RLIMIT_CPU, int(2 * job.seconds) + 2)
    _settle_allocators()
    start = _address_space()
    if start is not None:
        _cap(resource.RLIMIT_AS, start + job.memory_mb * _MB)
    reply: tuple[Any, ...]
    try:
        content = conn.recv_bytes()
        if not job.read_views:
            _refuse_views(name, content)
        reply = ("ok", ingest(name, content, limits=job.limits))
    except BaseException as err:  # everything goes back to the parent, which decides what the user reads
        if _out_of_memory(err):
            reply = ("memory",)
        elif isinstance(err, CorridorAtlasError):
            reply = ("error", type(err), err.args, vars(err))
        else:
            reply = ("failed", f"{type(err).__name__}: {err}", traceback.format_exc())
    try:
        conn.send(reply)
    except MemoryError:
        conn.send(("memory",))
    conn.close()


# --- the parent -------------------------------------------------------------------------------------


def _stop(worker: multiprocessing.process.BaseProcess, grace: float, *, finished: bool) -> int | None:
    """End the worker if it still runs (SIGTERM, then SIGKILL), collect it (no zombie, no orphan), give its exit code.

    A worker that has ``finished`` (replied, or closed its end) gets ``grace`` seconds to exit first.
    """
    if finished:
        worker.join(grace)
    if worker.is_alive():
        worker.terminate()
        worker.join(grace)
    if worker.is_alive():
        worker.kill()
        worker.join()
    code = worker.exitcode
    worker.close()
    return code


def _exchange(conn: Connection, content: bytes, seconds: float) -> tuple[Any, ...] | None:
    """Send the file, wait up to ``seconds`` for the reply: ``None`` if the time is up, ``()`` if the worker died."""
    deadline = time.monotonic() + seconds
    try:
        conn.send_bytes(content)
        if not conn.poll(max(0.0, deadline - time.monotonic())):
            return None
        return conn.recv()
    except (EOFError, BrokenPipeError, ConnectionResetError):
        return ()


def read_within_budget(
    name: str,
    content: bytes,
    *,
    limits: IngestLimits | None = None,
    budget: ReadBudget = ReadBudget(),
    read_views: bool = False,
) -> Ingested:
    """Read an uploaded file as :func:`geo.ingest.ingest` does, in a worker process that is stopped past the budget.

    Parameters
    ----------
    name
        The file's name (its extension picks the format).
    content
        The file's bytes.
    limits
        Size and zip limits, as for :func:`~geo.ingest.ingest` (its defaults if ``None``).
    budget
        Wall-clock seconds and memory the reading may take, growing with the file's size.
    read_views
        Read a GeoPackage that holds SQL views (under the budget) instead of refusing it before reading.

    Raises
    ------
    CorridorAtlasError
        What :func:`~geo.ingest.ingest` raised, of the same type, with server paths replaced by ``name``.
    LayerReadError
        Reading took longer or needed more memory than the budget, the file is a GeoPackage whose
        layers include an SQL view, or the reader stopped unexpectedly.
    """
    limits = limits or IngestLimits()
    size = min(len(content), limits.max_bytes + 1)  # past the limit the worker refuses it at once
    job = _Job(limits, budget.seconds(size), budget.memory_mb(size), read_views)
    context = _context()
    ours, theirs = context.Pipe()
    worker = context.Process(target=_work, args=(theirs, name, job), daemon=True, name="corridor-atlas-upload")
    _start(worker)
    theirs.close()
    reply = None
    try:
        reply = _exchange(ours, content, job.seconds)
    finally:
        ours.close()
        code = _stop(worker, budget.grace_seconds, finished=reply is not None)
    if reply == ():
        _LOG.warning("The worker reading the upload %r stopped with exit code %s", name, code)
    return _outcome(name, reply, job.seconds, job.memory_mb)


def _outcome(name: str, reply: tuple[Any, ...] | None, seconds: float, memory_mb: int) -> Ingested:
    if reply is None:
        raise LayerReadError(
            f"{name}: reading it took more than {seconds:.0f} s; refused (a file this size reads in far less: "
            "check that it holds plain features, not an SQL view or one huge self-crossing shape, or split it)"
        )
    if not reply:
        raise LayerReadError(
            f"{name}: the reader stopped unexpectedly (it may need more than {memory_mb:,} MB of memory); refused "
            "(simplify the geometries or split the file, or save it as GeoJSON or GeoPackage)"
        )
    kind, *rest = reply
    if kind == "ok":
        layer: Ingested = rest[0]
        return replace(layer, notices=[_clean_problem(p, name) for p in layer.notices])
    if kind == "memory":
        raise LayerReadError(
            f"{name}: reading it needs more than {memory_mb:,} MB of memory; refused (simplify the geometries, "
            "or split the file into smaller ones)"
        )
    if kind == "error":
        raise _rebuilt(name, *rest)
    message, trace = rest
    _LOG.warning("Reading the upload %r failed unexpectedly:\n%s", name, trace)
    raise LayerReadError(f"{name}: could not be read ({sanitise(message.splitlines()[0], name)})")


def _rebuilt(name: str, kind: type[CorridorAtlasError], args: tuple[Any, ...], state: dict[str, Any]) -> Exception:
    """The worker's project error again: same type, message and attributes, paths sanitised.

    Rebuilt from its parts, as an error whose ``__init__`` takes other arguments than its message
    (:class:`LayerValidationError`) does not survive pickling.
    """
    err = kind.__new__(kind)
    err.args = tuple(sanitise(a, name) if isinstance(a, str) else a for a in args)
    err.__dict__.update(state)
    if isinstance(err, LayerValidationError):
        err.problems = [_clean_problem(p, name) for p in err.problems]
    return err


def _clean_problem(problem: Problem, name: str) -> Problem:
    return replace(problem, path=sanitise(problem.path, name), message=sanitise(problem.message, name))
