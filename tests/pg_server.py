"""A throwaway PostgreSQL server with PostGIS, for the tests and the workspace benchmark.

It uses Debian's (or any) PostgreSQL binaries found on the machine: ``initdb`` makes a cluster in a
temporary folder, ``pg_ctl`` starts it on a free loopback port, and it is stopped and removed after.
As root, the server runs as the ``postgres`` user (PostgreSQL refuses to run as root).
``CORRIDOR_ATLAS_TEST_DATABASE_URL`` names an existing server instead (its role must be able to
create schemas; PostGIS must be installed in it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

__all__ = ["PostgresMissing", "free_port", "postgres_bindir", "schema_url", "throwaway_postgis"]


class PostgresMissing(RuntimeError):
    """No PostgreSQL server binaries, or no PostGIS, on this machine."""


def postgres_bindir() -> Path | None:
    """The newest PostgreSQL server's bin folder (Debian's /usr/lib/postgresql/N/bin, or initdb on PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def throwaway_postgis(*, durable: bool = False) -> Iterator[str]:
    """A running PostgreSQL with a database ``atlas`` that has PostGIS; yields its URL, stops it after.

    ``durable=False`` turns off fsync (tests); the benchmark keeps it on, as a real server would.
    """
    bindir = postgres_bindir()
    if bindir is None:
        raise PostgresMissing("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
    root = Path(tempfile.mkdtemp(prefix="atlas-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()

    def run(*args: str) -> None:
        subprocess.run([*run_as, *args], check=True, capture_output=True, timeout=120)

    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1" + ("" if durable else " -c fsync=off")
    try:
        run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "atlas", "-E", "UTF8", "--no-sync")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "-o", options, "start")
    except subprocess.CalledProcessError as err:
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresMissing(f"the PostgreSQL server did not start: {err.stderr.decode(errors='replace')}") from err
    try:
        import psycopg

        with psycopg.connect(f"postgresql://atlas@127.0.0.1:{port}/postgres", autocommit=True) as admin:
            admin.execute("CREATE DATABASE atlas")
        with psycopg.connect(f"postgresql://atlas@127.0.0.1:{port}/atlas", autocommit=True) as db:
            try:
                db.execute("CREATE EXTENSION postgis")
            except psycopg.Error as err:
                raise PostgresMissing(f"PostGIS is not installed for the PostgreSQL in {bindir}: {err}") from err
        yield f"postgresql://atlas@127.0.0.1:{port}/atlas"
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def schema_url(url: str) -> str:
    """A fresh, empty schema in the database at ``url``, and a URL whose connections use it (then PostGIS's)."""
    import psycopg

    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(f'-csearch_path={schema},public')}"
