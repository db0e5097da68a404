"""Saved workspaces in an embedded database (SQLite): items saved atomically, shared by unguessable tokens.

A workspace holds items: a planner's uploaded layers, drawings, scenes, selections and notes, each
an opaque payload with its kind, id, feature count and lon/lat bounds (for "workspaces with
features near Khorgos"). The store never interprets payloads; the app turns them back into the
same layer records as any other.

- **Safety:** a save is one transaction (a save killed half-way leaves the previous version);
  two sessions saving at once lose nothing (each save writes only the items it changed: the last
  writer wins per item); a workspace has a quota of bytes and features; tokens are stored as
  SHA-256 digests and compared in constant time; ids and tokens are made here, and nothing a user
  types becomes a file name.
- **Schema:** versioned migrations, applied in order when a store opens a database.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from geo.crs import GEOD
from geo.errors import CorridorAtlasError

__all__ = [
    "MIGRATIONS",
    "AccessError",
    "Item",
    "Limits",
    "QuotaError",
    "Share",
    "SqliteStore",
    "StoreError",
    "Workspace",
]

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
)
_EARTH_KM_PER_DEGREE = 111.32  # for the coarse search box only; distances are geodesic


class StoreError(CorridorAtlasError):
    """The workspace database cannot be used (missing, unreadable, locked or damaged): the message says which."""


class AccessError(StoreError):
    """No such workspace, a wrong token, or a read-only link used to change it."""


class QuotaError(StoreError):
    """A save would take a workspace past its size or feature quota."""


@dataclass(frozen=True)
class Limits:
    """A workspace's quota: payload bytes and features over all its items."""

    max_bytes: int = 64 * 1024 * 1024
    max_features: int = 500_000


@dataclass(frozen=True)
class Item:
    """One thing a workspace holds: its kind (``layer``, ``drawings``, ``deck`` …), id, payload and extent."""

    kind: str
    item_id: str
    payload: bytes
    features: int = 0
    bounds: tuple[float, float, float, float] | None = None  # west, south, east, north (degrees)

    @property
    def key(self) -> tuple[str, str]:
        """The item's place in its workspace."""
        return (self.kind, self.item_id)


@dataclass(frozen=True)
class Share:
    """A new workspace's id and its two links' tokens: one to edit, one to view (read-only)."""

    workspace_id: str
    edit_token: str
    view_token: str


@dataclass(frozen=True)
class Workspace:
    """A workspace as opened: its name, revision, items, and whether the token given may change it."""

    id: str
    name: str
    revision: int
    updated: float
    can_edit: bool
    items: dict[tuple[str, str], Item] = field(default_factory=dict)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _name(name: str) -> str:
    return name.strip()[:200] or "Untitled workspace"


def _bounds(*values: float | None) -> tuple[float, float, float, float] | None:
    return None if any(v is None for v in values) else tuple(float(v) for v in values)  # type: ignore[return-value]


def _same(token: str, digest: str) -> bool:
    """Whether a token matches a stored digest (in constant time)."""
    return hmac.compare_digest(_digest(token), digest)


class SqliteStore:
    """Workspaces in one SQLite file (an embedded database: no server to start).

    Parameters
    ----------
    path
        The database file; its folder is made if missing.
    limits
        Each workspace's quota.
    """

    def __init__(self, path: Path, *, limits: Limits = Limits()) -> None:
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
        try:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        except sqlite3.Error as err:
            raise StoreError(f"the workspace database {self.path.name} cannot be opened: {err}") from err
        try:
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA journal_mode = WAL")
            yield db
        except sqlite3.DatabaseError as err:
            raise StoreError(f"the workspace database {self.path.name} cannot be used: {err}") from err
        finally:
            db.close()

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

    # --- workspaces ---------------------------------------------------------------------------------------------

    def create(self, name: str) -> Share:
        """A new, empty workspace; the tokens are shown once and stored only as digests."""
        share = Share(secrets.token_urlsafe(12), secrets.token_urlsafe(32), secrets.token_urlsafe(32))
        now = time.time()
        with self._transaction() as db:
            db.execute(
                "INSERT INTO workspaces (id, name, edit_digest, view_digest, created, updated) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (share.workspace_id, _name(name), _digest(share.edit_token), _digest(share.view_token), now, now),
            )
        return share

    def _access(self, db: sqlite3.Connection, workspace_id: str, token: str) -> tuple[bool, tuple]:
        row = db.execute(
            "SELECT id, name, revision, updated, edit_digest, view_digest FROM workspaces WHERE id = ?", (workspace_id,)
        ).fetchone()
        edit = row is not None and _same(token, row[4])
        view = row is not None and _same(token, row[5])
        if not (edit or view):
            raise AccessError("no workspace opens with this link: it is wrong, or the workspace was deleted")
        return edit, row

    def open(self, workspace_id: str, token: str) -> Workspace:
        """The workspace a link opens, with every item."""
        with self._connection() as db:
            edit, row = self._access(db, workspace_id, token)
            items = {
                (kind, item_id): Item(kind, item_id, bytes(payload), features, _bounds(west, south, east, north))
                for kind, item_id, payload, features, west, south, east, north in db.execute(
                    "SELECT kind, item_id, payload, features, west, south, east, north FROM items "
                    "WHERE workspace_id = ? ORDER BY kind, item_id",
                    (workspace_id,),
                )
            }  # fmt: skip
        return Workspace(id=row[0], name=row[1], revision=row[2], updated=row[3], can_edit=edit, items=items)

    def _editing(self, db: sqlite3.Connection, workspace_id: str, token: str) -> None:
        edit, _ = self._access(db, workspace_id, token)
        if not edit:
            raise AccessError("this link is read-only: the workspace cannot be changed through it")

    def save(
        self, workspace_id: str, token: str, changed: Sequence[Item], removed: Sequence[tuple[str, str]] = ()
    ) -> int:
        """Write the items that changed and drop those removed, in one transaction; the new revision.

        Items another session saved meanwhile are kept: a save touches only its own items (the
        last writer wins per item).

        Raises
        ------
        AccessError
            The link does not open the workspace, or is read-only.
        QuotaError
            The workspace would pass its quota; nothing is written.
        """
        now = time.time()
        with self._transaction() as db:
            self._editing(db, workspace_id, token)
            revision = db.execute("SELECT revision FROM workspaces WHERE id = ?", (workspace_id,)).fetchone()[0] + 1
            for kind, item_id in removed:
                db.execute(
                    "DELETE FROM items WHERE workspace_id = ? AND kind = ? AND item_id = ?",
                    (workspace_id, kind, item_id),
                )
            for item in changed:
                west, south, east, north = item.bounds or (None, None, None, None)
                db.execute(
                    "INSERT INTO items (workspace_id, kind, item_id, payload, features, revision, updated, "
                    "west, south, east, north) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (workspace_id, kind, item_id) DO UPDATE SET "
                    "payload = excluded.payload, features = excluded.features, revision = excluded.revision, "
                    "updated = excluded.updated, west = excluded.west, south = excluded.south, east = excluded.east, "
                    "north = excluded.north",
                    (workspace_id, item.kind, item.item_id, sqlite3.Binary(item.payload), int(item.features),
                     revision, now, west, south, east, north),
                )  # fmt: skip
            size, features = db.execute(
                "SELECT COALESCE(SUM(LENGTH(payload)), 0), COALESCE(SUM(features), 0) FROM items "
                "WHERE workspace_id = ?",
                (workspace_id,),
            ).fetchone()
            if size > self.limits.max_bytes or features > self.limits.max_features:
                raise QuotaError(
                    f"the workspace would hold {size / 1e6:,.1f} MB and {features:,} features; its quota is "
                    f"{self.limits.max_bytes / 1e6:,.0f} MB and {self.limits.max_features:,} features"
                )
            db.execute("UPDATE workspaces SET revision = ?, updated = ? WHERE id = ?", (revision, now, workspace_id))
        return revision

    def rename(self, workspace_id: str, token: str, name: str) -> None:
        """Give a workspace a new name."""
        with self._transaction() as db:
            self._editing(db, workspace_id, token)
            db.execute(
                "UPDATE workspaces SET name = ? WHERE id = ?",
                (name.strip()[:200] or "Untitled workspace", workspace_id),
            )

    def delete(self, workspace_id: str, token: str) -> None:
        """Delete a workspace and everything in it."""
        with self._transaction() as db:
            self._editing(db, workspace_id, token)
            db.execute("DELETE FROM workspaces WHERE id = ?", (workspace_id,))

    def near(self, lon: float, lat: float, km: float) -> list[str]:
        """Ids of the workspaces with an item whose extent comes within ``km`` of a place (nearest first)."""
        dlat = km / _EARTH_KM_PER_DEGREE
        dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
        with self._connection() as db:
            rows = db.execute(
                "SELECT workspace_id, west, south, east, north FROM items WHERE west IS NOT NULL "
                "AND west <= ? AND east >= ? AND south <= ? AND north >= ?",
                (lon + dlon, lon - dlon, lat + dlat, lat - dlat),
            ).fetchall()
        nearest: dict[str, float] = {}
        for workspace_id, west, south, east, north in rows:
            closest_lon, closest_lat = min(max(lon, west), east), min(max(lat, south), north)
            _, _, metres = GEOD.inv(lon, lat, closest_lon, closest_lat)  # to the extent's nearest point (geodesic)
            distance = metres / 1000
            if distance <= km:
                nearest[workspace_id] = min(distance, nearest.get(workspace_id, math.inf))
        return sorted(nearest, key=lambda workspace_id: (nearest[workspace_id], workspace_id))
