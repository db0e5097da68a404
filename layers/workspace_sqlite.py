"""The embedded workspace database: one SQLite file under the app's data folder (no server to start).

Footprints are kept as WKB; "near" is a search of the items' bounds in an index, then the
geodesic distance to each footprint found (azimuthal equidistant metres from the place).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import box

from geo.crs import aeqd_transformer, degrees_spanning_km
from layers.workspace_store import DEFAULT_LIMITS, Limits, SqlStore, StoreError

__all__ = ["MIGRATIONS", "SqliteStore"]

#: Each migration brings the schema from its index to the next version; never edit one that has shipped.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE workspaces (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        edit_digest TEXT NOT NULL,
        view_digest TEXT NOT NULL,
        created REAL NOT NULL,
        updated REAL NOT NULL,
        revision INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE items (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        item_id TEXT NOT NULL,
        payload BLOB NOT NULL,
        features INTEGER NOT NULL DEFAULT 0,
        revision INTEGER NOT NULL,
        updated REAL NOT NULL,
        PRIMARY KEY (workspace_id, kind, item_id)
    );
    """,
    """
    ALTER TABLE items ADD COLUMN west REAL;
    ALTER TABLE items ADD COLUMN south REAL;
    ALTER TABLE items ADD COLUMN east REAL;
    ALTER TABLE items ADD COLUMN north REAL;
    CREATE INDEX items_bounds ON items (west, east, south, north);
    """,
    """
    ALTER TABLE items ADD COLUMN footprint BLOB;
    """,
)


class SqliteStore(SqlStore):
    """Workspaces in one SQLite file (an embedded database: no server to start).

    Parameters
    ----------
    path
        The database file; its folder is made if missing.
    limits
        Each workspace's quota.
    """

    def __init__(self, path: Path, *, limits: Limits = DEFAULT_LIMITS) -> None:
        self.path = Path(path)
        self.limits = limits
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(
                f"the workspace database folder {self.path.parent} cannot be made: {err.strerror}"
            ) from err
        with self._connection() as db:
            self._migrate(db)

    # --- the connection and the schema ------------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        connect = partial(sqlite3.connect, self.path, timeout=10, isolation_level=None)
        with self._guarded(
            connect, sqlite3.Error, f"the workspace database {self.path.name}", "cannot be opened"
        ) as db:
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA journal_mode = WAL")
            yield db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it is saved, or none of it (a crash half-way rolls it back)."""
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(f"the workspace database is at schema version {version}, newer than this app's")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in filter(str.strip, script.split(";")):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def schema_version(self) -> int:
        """The schema version of the database."""
        with self._connection() as db:
            return int(db.execute("PRAGMA user_version").fetchone()[0])

    def _distances_m(self, lon: float, lat: float, km: float) -> dict[str, float]:
        reach = min(180.0, degrees_spanning_km(km, abs(lat) + km / 110.5))  # a coarse box that errs wide
        with self._connection() as db:
            rows = db.execute(
                "SELECT workspace_id, footprint, west, south, east, north FROM items WHERE west IS NOT NULL "
                "AND west <= ? AND east >= ? AND south <= ? AND north >= ?",
                (lon + reach, lon - reach, lat + reach, lat - reach),
            ).fetchall()
        if not rows:
            return {}
        to_metres = aeqd_transformer(lon, lat)
        # An item saved before footprints were kept (schema 2) is measured by its bounds' box.
        shapes = [shapely.from_wkb(bytes(shape)) if shape is not None else box(*bounds) for _, shape, *bounds in rows]
        local = shapely.transform(shapes, lambda xy: np.column_stack(to_metres.transform(xy[:, 0], xy[:, 1])))
        metres = shapely.distance(local, shapely.Point(0, 0))  # from the place: geodesic in this projection
        nearest: dict[str, float] = {}
        for (workspace_id, *_), distance in zip(rows, metres, strict=True):
            if distance <= km * 1000:
                nearest[workspace_id] = min(float(distance), nearest.get(workspace_id, math.inf))
        return nearest
