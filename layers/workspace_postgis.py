"""Workspaces in PostgreSQL with PostGIS, for teams and for several app servers sharing one database.

Set ``CORRIDOR_ATLAS_DATABASE_URL`` (``postgresql://user:password@host:5432/db``) and every app
process that has it serves the same workspaces. Item footprints are a ``geometry(Geometry, 4326)``
column with a GiST index on its geography, and "near" is ``ST_DWithin`` on that geography
(geodesic, on the WGS84 spheroid). Each operation takes its own connection, so a database that
restarts is used again at the next save, with no reconnect logic in the app.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from layers.workspace_store import DEFAULT_LIMITS, Limits, SqlStore, StoreError

__all__ = ["MIGRATIONS", "PostgisStore"]

#: Each migration brings the schema from its index to the next version; never edit one that has shipped.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE EXTENSION IF NOT EXISTS postgis;
    CREATE TABLE workspaces (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        edit_digest TEXT NOT NULL,
        view_digest TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL,
        updated DOUBLE PRECISION NOT NULL,
        revision INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE items (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        item_id TEXT NOT NULL,
        payload BYTEA NOT NULL,
        features INTEGER NOT NULL DEFAULT 0,
        revision INTEGER NOT NULL,
        updated DOUBLE PRECISION NOT NULL,
        west DOUBLE PRECISION,
        south DOUBLE PRECISION,
        east DOUBLE PRECISION,
        north DOUBLE PRECISION,
        footprint geometry(Geometry, 4326),
        PRIMARY KEY (workspace_id, kind, item_id)
    );
    CREATE INDEX items_footprint ON items USING GIST (geography(footprint));
    """,
)
_VERSION_TABLE = "corridor_atlas_schema"
_MIGRATION_LOCK = 73_120_416  # an advisory lock: two servers starting at once migrate one after the other


class PostgisStore(SqlStore):
    """Workspaces in a PostgreSQL database with PostGIS.

    Parameters
    ----------
    url
        A libpq connection URL or string; the password, if any, never appears in a message.
    limits
        Each workspace's quota.
    """

    _FOOTPRINT_IN = "ST_GeomFromWKB(?::bytea, 4326)"

    def __init__(self, url: str, *, limits: Limits = DEFAULT_LIMITS, connect_timeout_s: int = 5) -> None:
        self.url = url
        self.limits = limits
        self.connect_timeout_s = connect_timeout_s
        try:
            info = conninfo_to_dict(url)
        except psycopg.ProgrammingError as err:
            raise StoreError("CORRIDOR_ATLAS_DATABASE_URL is not a PostgreSQL connection URL") from err
        self.where = f"{info.get('host') or 'localhost'}:{info.get('port') or 5432}/{info.get('dbname') or ''}"
        self._migrate()

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s")

    # --- the connection and the schema ------------------------------------------------------------------------

    def _connection(self) -> AbstractContextManager[psycopg.Connection[Any]]:
        connect = partial(psycopg.connect, self.url, connect_timeout=self.connect_timeout_s, autocommit=True)
        where = f"the workspace database (PostgreSQL at {self.where})"
        return self._guarded(connect, psycopg.Error, where, "cannot be reached")

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """One write transaction: all of it is saved, or none of it (a client that dies half-way is rolled back)."""
        with self._connection() as db, db.transaction():
            yield db

    def _migrate(self) -> None:
        with self._transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            db.execute(f"CREATE TABLE IF NOT EXISTS {_VERSION_TABLE} (version INTEGER NOT NULL)")
            row = db.execute(f"SELECT version FROM {_VERSION_TABLE}").fetchone()
            version = int(row[0]) if row else 0
            if version > len(MIGRATIONS):
                raise StoreError(f"the workspace database is at schema version {version}, newer than this app's")
            for script in MIGRATIONS[version:]:
                db.execute(script)
            if row is None:
                db.execute(f"INSERT INTO {_VERSION_TABLE} (version) VALUES (%s)", (len(MIGRATIONS),))
            else:
                db.execute(f"UPDATE {_VERSION_TABLE} SET version = %s", (len(MIGRATIONS),))

    def schema_version(self) -> int:
        """The schema version of the database."""
        with self._connection() as db:
            return int(db.execute(f"SELECT version FROM {_VERSION_TABLE}").fetchone()[0])

    def _distances_m(self, lon: float, lat: float, km: float) -> dict[str, float]:
        with self._connection() as db:
            rows = db.execute(
                "WITH place AS (SELECT geography(ST_SetSRID(ST_MakePoint(%s, %s), 4326)) AS at) "
                "SELECT workspace_id, MIN(ST_Distance(geography(footprint), place.at)) "
                "FROM items, place WHERE ST_DWithin(geography(footprint), place.at, %s) GROUP BY workspace_id",
                (lon, lat, km * 1000),
            ).fetchall()
        return {workspace_id: float(metres) for workspace_id, metres in rows}
