"""Saved workspaces in a database: items saved atomically, shared by unguessable tokens.

A workspace holds items: a planner's uploaded layers, drawings, scenes, selections and notes, each
an opaque payload with its kind, id, feature count, lon/lat bounds and footprint (a geometry, for
"workspaces with features near Khorgos"). The store never interprets payloads; the app turns them
back into the same layer records as any other.

Two databases, one behaviour (the same tests run on both):

- :class:`~layers.workspace_sqlite.SqliteStore`, embedded (a file; no server to start), the default;
- :class:`~layers.workspace_postgis.PostgisStore`, PostgreSQL with PostGIS (footprints in a geometry
  column, searched with ``ST_DWithin``), when ``CORRIDOR_ATLAS_DATABASE_URL`` is set; several app
  servers can share it.

- **Safety:** a save is one transaction (a save killed half-way leaves the previous version);
  two sessions saving at once lose nothing (each save writes only the items it changed: the last
  writer wins per item, and saves of one workspace take turns); a workspace has a quota of bytes
  and features; tokens are stored as SHA-256 digests and compared in constant time; ids and tokens
  are made here, and nothing a user types becomes a file name or SQL.
- **Schema:** versioned migrations per database, applied in order when a store opens one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from geo.errors import CorridorAtlasError

__all__ = [
    "DATABASE_FILE",
    "DATABASE_URL",
    "DEFAULT_DATABASE",
    "DEFAULT_LIMITS",
    "AccessError",
    "Item",
    "Limits",
    "QuotaError",
    "Share",
    "SqlStore",
    "StoreError",
    "Workspace",
    "configured_place",
    "configured_store",
    "open_store",
]

#: The environment variable that points the app at PostgreSQL/PostGIS instead of the embedded file.
DATABASE_URL = "CORRIDOR_ATLAS_DATABASE_URL"
#: The environment variable that names the embedded database's file.
DATABASE_FILE = "CORRIDOR_ATLAS_WORKSPACES"
#: The embedded database's file unless ``CORRIDOR_ATLAS_WORKSPACES`` names another (``var/`` is not in git).
DEFAULT_DATABASE = Path(__file__).resolve().parent.parent / "var" / "workspaces.db"


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


#: The quota of a workspace unless a store is given another.
DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Item:
    """One thing a workspace holds: its kind (``layer``, ``drawings``, ``deck`` …), id, payload and extent."""

    kind: str
    item_id: str
    payload: bytes
    features: int = 0
    bounds: tuple[float, float, float, float] | None = None  # west, south, east, north (degrees)
    footprint: BaseGeometry | None = field(default=None, compare=False)  # lon/lat, EPSG:4326; saved, not read back

    @property
    def key(self) -> tuple[str, str]:
        """The item's place in its workspace."""
        return (self.kind, self.item_id)

    def footprint_wkb(self) -> bytes | None:
        """The footprint to save (its bounds' box when it has none), as WKB."""
        shape = self.footprint if self.footprint is not None else (box(*self.bounds) if self.bounds else None)
        return None if shape is None or shape.is_empty else shapely.to_wkb(shape, output_dimension=2)  # no Z


@dataclass(frozen=True)
class Share:
    """A new workspace's id, its name as kept, and its two links' tokens: one to edit, one to view (read-only)."""

    workspace_id: str
    edit_token: str
    view_token: str
    name: str = ""


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


class SqlStore(ABC):
    """What both databases do the same way, in SQL both speak; a database supplies connections and migrations.

    Statements are written with ``?`` placeholders; :meth:`_sql` turns them into the driver's.
    """

    limits: Limits
    #: How a footprint's WKB parameter is written into the footprint column.
    _FOOTPRINT_IN = "?"

    # --- what each database supplies -------------------------------------------------------------------------

    @abstractmethod
    def _connection(self) -> AbstractContextManager[Any]:
        """A connection for reading (statements through ``execute``)."""

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Any]:
        """A connection in one write transaction: all of it is saved, or none of it."""

    @abstractmethod
    def schema_version(self) -> int:
        """The schema version of the database."""

    @abstractmethod
    def _distances_m(self, lon: float, lat: float, km: float) -> dict[str, float]:
        """By workspace id, the geodesic metres from a place to the nearest item footprint within ``km``."""

    def _sql(self, statement: str) -> str:
        return statement

    @staticmethod
    @contextmanager
    def _guarded(connect: Callable[[], Any], errors: type[Exception], where: str, unreachable: str) -> Iterator[Any]:
        """A connection from ``connect``, closed after; the driver's ``errors`` become messages naming ``where``."""
        try:
            db = connect()
        except errors as err:
            reason = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
            raise StoreError(f"{where} {unreachable}: {reason}") from err
        try:
            yield db
        except errors as err:
            raise StoreError(f"{where} cannot be used: {err}") from err
        finally:
            db.close()

    def _run(self, db: Any, statement: str, params: Sequence[Any] = ()) -> Any:
        return db.execute(self._sql(statement), tuple(params))

    # --- workspaces ---------------------------------------------------------------------------------------------

    def create(self, name: str) -> Share:
        """A new, empty workspace; the tokens are shown once and stored only as digests."""
        token = secrets.token_urlsafe
        share = Share(token(12), token(32), token(32), _name(name))
        now = time.time()
        with self._transaction() as db:
            self._run(
                db,
                "INSERT INTO workspaces (id, name, edit_digest, view_digest, created, updated) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (share.workspace_id, share.name, _digest(share.edit_token), _digest(share.view_token), now, now),
            )
        return share

    def _access(self, db: Any, workspace_id: str, token: str) -> tuple[bool, tuple]:
        row = self._run(
            db,
            "SELECT id, name, revision, updated, edit_digest, view_digest FROM workspaces WHERE id = ?",
            (workspace_id,),
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
                for kind, item_id, payload, features, west, south, east, north in self._run(
                    db,
                    "SELECT kind, item_id, payload, features, west, south, east, north FROM items "
                    "WHERE workspace_id = ? ORDER BY kind, item_id",
                    (workspace_id,),
                ).fetchall()
            }  # fmt: skip
        return Workspace(id=row[0], name=row[1], revision=row[2], updated=row[3], can_edit=edit, items=items)

    def _editing(self, db: Any, workspace_id: str, token: str) -> None:
        edit, _ = self._access(db, workspace_id, token)
        if not edit:
            raise AccessError("this link is read-only: the workspace cannot be changed through it")

    def save(
        self, workspace_id: str, token: str, changed: Sequence[Item], removed: Sequence[tuple[str, str]] = ()
    ) -> int:
        """Write the items that changed and drop those removed, in one transaction; the new revision.

        Items another session saved meanwhile are kept: a save touches only its own items (the
        last writer wins per item). Saves of one workspace take turns (the workspace's row is
        locked from the revision's update to the commit).

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
            bumped = self._run(
                db, "UPDATE workspaces SET revision = revision + 1, updated = ? WHERE id = ? RETURNING revision",
                (now, workspace_id),
            ).fetchone()  # fmt: skip
            if bumped is None:  # deleted since the link was checked
                raise AccessError("no workspace opens with this link: it is wrong, or the workspace was deleted")
            revision = int(bumped[0])
            for kind, item_id in removed:
                self._run(
                    db, "DELETE FROM items WHERE workspace_id = ? AND kind = ? AND item_id = ?",
                    (workspace_id, kind, item_id),
                )  # fmt: skip
            for item in changed:
                west, south, east, north = item.bounds or (None, None, None, None)
                self._run(
                    db,
                    "INSERT INTO items (workspace_id, kind, item_id, payload, features, revision, updated, "
                    "west, south, east, north, footprint) "
                    f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {self._FOOTPRINT_IN}) "
                    "ON CONFLICT (workspace_id, kind, item_id) DO UPDATE SET "
                    "payload = excluded.payload, features = excluded.features, revision = excluded.revision, "
                    "updated = excluded.updated, west = excluded.west, south = excluded.south, east = excluded.east, "
                    "north = excluded.north, footprint = excluded.footprint",
                    (workspace_id, item.kind, item.item_id, item.payload, int(item.features), revision, now,
                     west, south, east, north, item.footprint_wkb()),
                )  # fmt: skip
            size, features = self._run(
                db,
                "SELECT COALESCE(SUM(LENGTH(payload)), 0), COALESCE(SUM(features), 0) FROM items "
                "WHERE workspace_id = ?",
                (workspace_id,),
            ).fetchone()
            if size > self.limits.max_bytes or features > self.limits.max_features:
                raise QuotaError(
                    f"the workspace would hold {size / 1e6:,.1f} MB and {features:,} features; its quota is "
                    f"{self.limits.max_bytes / 1e6:,.0f} MB and {self.limits.max_features:,} features"
                )
        return revision

    def rename(self, workspace_id: str, token: str, name: str) -> str:
        """Give a workspace a new name; the name as kept (trimmed, never empty)."""
        with self._transaction() as db:
            self._editing(db, workspace_id, token)
            self._run(db, "UPDATE workspaces SET name = ? WHERE id = ?", (_name(name), workspace_id))
        return _name(name)

    def delete(self, workspace_id: str, token: str) -> None:
        """Delete a workspace and everything in it."""
        with self._transaction() as db:
            self._editing(db, workspace_id, token)
            self._run(db, "DELETE FROM items WHERE workspace_id = ?", (workspace_id,))
            self._run(db, "DELETE FROM workspaces WHERE id = ?", (workspace_id,))

    # --- search -------------------------------------------------------------------------------------------------

    def near(self, lon: float, lat: float, km: float) -> list[str]:
        """Ids of the workspaces with an item within ``km`` (geodesic) of a place, nearest first."""
        return [workspace_id for workspace_id, _, _ in self.nearby(lon, lat, km)]

    def nearby(self, lon: float, lat: float, km: float) -> list[tuple[str, str, float]]:
        """The workspaces with an item within ``km`` (geodesic) of a place: id, name and km, nearest first.

        For the people who run the database (``corridor-atlas workspaces --near``); never tokens.
        """
        distances = self._distances_m(lon, lat, km)
        if not distances:
            return []
        with self._connection() as db:
            names = dict(
                self._run(
                    db,
                    f"SELECT id, name FROM workspaces WHERE id IN ({', '.join('?' * len(distances))})",
                    list(distances),
                ).fetchall()
            )
        found = [
            (workspace_id, names.get(workspace_id, ""), metres / 1000) for workspace_id, metres in distances.items()
        ]
        return sorted(found, key=lambda row: (row[2], row[0]))


def open_store(path: Path, *, limits: Limits = DEFAULT_LIMITS, url: str | None = None) -> SqlStore:
    """The workspace database: PostgreSQL/PostGIS at ``url``, else the embedded file at ``path``.

    ``url`` defaults to ``CORRIDOR_ATLAS_DATABASE_URL``; an empty one means the embedded file.
    """
    url = url if url is not None else os.environ.get(DATABASE_URL, "").strip()
    if url:
        from layers.workspace_postgis import PostgisStore

        return PostgisStore(url, limits=limits)
    from layers.workspace_sqlite import SqliteStore

    return SqliteStore(path, limits=limits)


def configured_place() -> tuple[Path, str]:
    """Where this process keeps workspaces: the embedded file and the PostGIS URL ("" for none).

    ``CORRIDOR_ATLAS_WORKSPACES`` (default ``var/workspaces.db``) and ``CORRIDOR_ATLAS_DATABASE_URL``;
    with a URL, the file is not used.
    """
    return Path(os.environ.get(DATABASE_FILE) or DEFAULT_DATABASE), os.environ.get(DATABASE_URL, "").strip()


def configured_store(*, limits: Limits = DEFAULT_LIMITS) -> SqlStore:
    """The database this process is configured for (see :func:`configured_place`)."""
    path, url = configured_place()
    return open_store(path, limits=limits, url=url)
