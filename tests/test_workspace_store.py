"""Saved workspaces on both databases (embedded SQLite and PostGIS): round trips, links, quotas, near, concurrent
and killed saves, migrations, and databases that cannot be used."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from collections.abc import Iterator

import pytest
from shapely.geometry import LineString, Point

from layers.workspace_sqlite import MIGRATIONS, SqliteStore
from layers.workspace_store import AccessError, Item, Limits, QuotaError, StoreError
from tests.conftest import Database

KHORGOS = (80.40, 44.20)
LIANYUNGANG = (119.40, 34.70)


def _layer(item_id: str, lon: float, lat: float, size: int = 100, features: int = 1) -> Item:
    return Item("layer", item_id, b"x" * size, features, (lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01))


@pytest.fixture
def store(database: Database):
    return database.store()


def test_store__a_saved_workspace_reopens_in_another_store_on_the_same_database(store, database):
    share = store.create("Khorgos study")
    revision = store.save(
        share.workspace_id, share.edit_token, [_layer("depots", *KHORGOS), Item("deck", "deck", b"[]")]
    )
    again = database.store().open(share.workspace_id, share.edit_token)
    assert again.name == "Khorgos study" and again.revision == revision == 1 and again.can_edit
    assert set(again.items) == {("layer", "depots"), ("deck", "deck")}
    assert again.items[("layer", "depots")].payload == b"x" * 100
    assert again.items[("layer", "depots")].bounds == pytest.approx((80.39, 44.19, 80.41, 44.21))


def test_store__a_read_only_link_opens_but_cannot_change_anything(store):
    share = store.create("Shared")
    store.save(share.workspace_id, share.edit_token, [_layer("a", *KHORGOS)])
    seen = store.open(share.workspace_id, share.view_token)
    assert not seen.can_edit and set(seen.items) == {("layer", "a")}
    for change in (
        lambda: store.save(share.workspace_id, share.view_token, [_layer("b", *KHORGOS)]),
        lambda: store.rename(share.workspace_id, share.view_token, "Mine now"),
        lambda: store.delete(share.workspace_id, share.view_token),
    ):
        with pytest.raises(AccessError, match="read-only"):
            change()
    assert store.open(share.workspace_id, share.edit_token).revision == 1


def test_store__wrong_links_open_nothing(store):
    share = store.create("Private")
    other = store.create("Other")
    for workspace_id, token in (
        (share.workspace_id, "guess"),
        (share.workspace_id, other.edit_token),  # a real token, of another workspace
        ("no-such-workspace", share.edit_token),
        (share.workspace_id, ""),
    ):
        with pytest.raises(AccessError, match="no workspace opens with this link"):
            store.open(workspace_id, token)
    assert len(share.edit_token) >= 40 and share.edit_token != share.view_token


def test_store__tokens_are_kept_as_digests_only(store, database):
    share = store.create("Secret")
    assert store.open(share.workspace_id, share.edit_token).can_edit  # the digest is there
    if database.kind == "sqlite":
        files = [store.path, store.path.with_name(f"{store.path.name}-wal")]
        raw = b"".join(path.read_bytes() for path in files if path.exists())
    else:
        import psycopg

        with psycopg.connect(database.location) as db:
            raw = repr(db.execute("SELECT * FROM workspaces").fetchall()).encode()
    assert share.workspace_id.encode() in raw
    assert share.edit_token.encode() not in raw and share.view_token.encode() not in raw


def test_store__a_save_over_the_quota_writes_nothing(database):
    store = database.store(Limits(max_bytes=1_000, max_features=10))
    share = store.create("Small")
    store.save(share.workspace_id, share.edit_token, [_layer("a", *KHORGOS, size=600, features=5)])
    with pytest.raises(QuotaError, match="quota is 0 MB and 10 features"):
        store.save(share.workspace_id, share.edit_token, [_layer("b", *KHORGOS, size=600, features=1)])
    with pytest.raises(QuotaError, match="11 features"):
        store.save(share.workspace_id, share.edit_token, [_layer("c", *KHORGOS, size=10, features=6)])
    kept = store.open(share.workspace_id, share.edit_token)
    assert set(kept.items) == {("layer", "a")} and kept.revision == 1


def test_store__removing_and_renaming_and_deleting(store):
    share = store.create("Draft")
    store.save(share.workspace_id, share.edit_token, [_layer("a", *KHORGOS), _layer("b", *KHORGOS)])
    store.save(share.workspace_id, share.edit_token, [], removed=[("layer", "a")])
    store.rename(share.workspace_id, share.edit_token, "  Final  ")
    opened = store.open(share.workspace_id, share.edit_token)
    assert opened.name == "Final" and set(opened.items) == {("layer", "b")} and opened.revision == 2
    store.delete(share.workspace_id, share.edit_token)
    with pytest.raises(AccessError):
        store.open(share.workspace_id, share.edit_token)


def test_store__workspaces_with_features_near_a_place(store):
    near = store.create("At Khorgos")
    far = store.create("At Lianyungang")
    store.save(near.workspace_id, near.edit_token, [_layer("depot", KHORGOS[0] + 0.2, KHORGOS[1])])  # ~16 km east
    store.save(far.workspace_id, far.edit_token, [_layer("terminal", *LIANYUNGANG)])
    assert store.near(*KHORGOS, km=25) == [near.workspace_id]
    assert store.near(*KHORGOS, km=10) == []
    assert set(store.near(100.0, 40.0, km=3_000)) == {near.workspace_id, far.workspace_id}


def test_store__near_measures_to_the_features_not_to_their_extent(store):
    """A line bending around Khorgos: its extent covers the town, the line itself passes 27 km off (geodesic)."""
    bend = store.create("Bend")
    # From 60 km west of Khorgos, up to 30 km north of it, and down to 60 km east: the extent holds the town.
    shape = LineString([(79.65, 44.20), (80.40, 44.47), (81.15, 44.20)])
    store.save(bend.workspace_id, bend.edit_token, [Item("upload", "bend", b"l", 1, shape.bounds, shape)])
    depot = store.create("Depot")
    spot = Point(80.40, 44.38)  # 20 km north of Khorgos
    store.save(depot.workspace_id, depot.edit_token, [Item("upload", "depot", b"p", 1, spot.bounds, spot)])
    assert store.near(*KHORGOS, km=15) == []
    assert store.near(*KHORGOS, km=25) == [depot.workspace_id]
    assert store.near(*KHORGOS, km=35) == [depot.workspace_id, bend.workspace_id]  # nearest first


def test_store__ids_and_names_from_users_are_data_never_sql(store):
    share = store.create("Robert'); DROP TABLE items; --")
    store.save(share.workspace_id, share.edit_token, [Item("upload", "x'; DELETE FROM workspaces; --", b"1", 1)])
    opened = store.open(share.workspace_id, share.edit_token)
    assert opened.name == "Robert'); DROP TABLE items; --"
    assert set(opened.items) == {("upload", "x'; DELETE FROM workspaces; --")}
    with pytest.raises(AccessError):
        store.open("' OR '1'='1", "' OR '1'='1")


def _save_many(database: Database, workspace_id: str, token: str, prefix: str, count: int) -> None:
    store = database.store()
    for n in range(count):
        store.save(workspace_id, token, [Item("layer", f"{prefix}-{n}", prefix.encode() * 10, 1)])
        store.save(workspace_id, token, [Item("notes", "shared", prefix.encode())])  # both sessions write this one


def test_store__two_processes_saving_at_once_lose_nothing(store, database):
    share = store.create("Busy")
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_save_many, args=(database, share.workspace_id, share.edit_token, who, 25))
        for who in ("alpha", "beta")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    opened = store.open(share.workspace_id, share.edit_token)
    layers = {item_id for kind, item_id in opened.items if kind == "layer"}
    assert layers == {f"{who}-{n}" for who in ("alpha", "beta") for n in range(25)}
    assert opened.items[("notes", "shared")].payload in (b"alpha", b"beta")  # the last writer's
    assert opened.revision == 100


class _DyingItems(list):
    """The items of a save; handing out the fourth ends the process (no rollback, no clean-up), mid-transaction."""

    def __iter__(self) -> Iterator[Item]:
        for n, item in enumerate(super().__iter__()):
            if n == 3:
                os._exit(9)
            yield item


def _killed_half_way(database: Database, workspace_id: str, token: str) -> None:
    """Start a save of many items and end the process after the first few are written, before the commit."""
    store = database.store()
    items = _DyingItems(Item("layer", f"new-{n}", b"new", 1) for n in range(10))
    store.save(workspace_id, token, items, removed=[("layer", "old")])


def test_store__a_save_killed_half_way_leaves_the_previous_version(store, database):
    share = store.create("Fragile")
    store.save(share.workspace_id, share.edit_token, [Item("layer", "old", b"old", 1)])
    context = multiprocessing.get_context("spawn")
    worker = context.Process(target=_killed_half_way, args=(database, share.workspace_id, share.edit_token))
    worker.start()
    worker.join(60)
    assert worker.exitcode == 9
    opened = store.open(share.workspace_id, share.edit_token)
    assert set(opened.items) == {("layer", "old")} and opened.revision == 1
    store.save(share.workspace_id, share.edit_token, [Item("layer", "after", b"a", 1)])  # nothing left locked
    assert store.open(share.workspace_id, share.edit_token).revision == 2


def test_store__an_old_database_is_migrated_to_the_current_schema(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO workspaces VALUES ('w1', 'Old', 'e', 'v', 0, 0, 3)")
    db.execute("INSERT INTO items VALUES ('w1', 'layer', 'a', X'00', 1, 3, 0)")
    db.close()
    store = SqliteStore(path)
    assert store.schema_version() == len(MIGRATIONS)
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT item_id, west, footprint FROM items").fetchall() == [("a", None, None)]


def test_store__a_workspace_saved_before_footprints_is_found_near_by_its_bounds(tmp_path):
    path = tmp_path / "v2.db"
    db = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:2]:
        db.executescript(script)
    db.execute("PRAGMA user_version = 2")
    db.execute("INSERT INTO workspaces VALUES ('w2', 'Before', 'e', 'v', 0, 0, 1)")
    lon, lat = KHORGOS[0] + 0.2, KHORGOS[1]  # ~16 km east
    db.execute("INSERT INTO items VALUES ('w2', 'upload', 'a', X'00', 1, 1, 0, ?, ?, ?, ?)", (lon, lat, lon, lat))
    db.close()
    assert SqliteStore(path).near(*KHORGOS, km=25) == ["w2"]


@pytest.mark.parametrize("make", ["garbage", "newer"])
def test_store__a_database_that_cannot_be_used_is_a_clear_error(tmp_path, make):
    path = tmp_path / "atlas.db"
    if make == "garbage":
        path.write_bytes(b"this is not a database" * 100)
        message = "cannot be used"
    else:
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA user_version = 99")
        message = "newer than this app's"
    with pytest.raises(StoreError, match=message):
        SqliteStore(path)


def test_store__a_folder_that_cannot_be_made_is_a_clear_error(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(StoreError, match=r"folder .* cannot be made"):
        SqliteStore(blocker / "workspaces" / "atlas.db")


def test_store__a_postgis_server_that_is_down_is_a_clear_error_without_the_password():
    from layers.workspace_postgis import PostgisStore
    from tests.pg_server import free_port

    port = free_port()  # nothing listens there
    with pytest.raises(StoreError, match=rf"PostgreSQL at 127.0.0.1:{port}/atlas\) cannot be reached") as caught:
        PostgisStore(f"postgresql://atlas:s3cret-pass@127.0.0.1:{port}/atlas", connect_timeout_s=2)
    assert "s3cret-pass" not in str(caught.value)


def test_store__postgis_keeps_footprints_in_a_geometry_column_with_a_spatial_index(postgis_database):
    database = postgis_database
    import psycopg

    store = database.store()
    share = store.create("Typed")
    spot = Point(*KHORGOS)
    store.save(share.workspace_id, share.edit_token, [Item("upload", "a", b"p", 1, spot.bounds, spot)])
    with psycopg.connect(database.location) as db:
        kind, srid = db.execute("SELECT GeometryType(footprint), ST_SRID(footprint) FROM items").fetchone()
        indexes = [row[0] for row in db.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'items'")]
    assert (kind, srid) == ("POINT", 4326)
    assert any("gist" in index and "geography(footprint)" in index for index in indexes)
    assert store.schema_version() == 1


def test_store__two_app_servers_starting_at_once_on_a_new_postgis_database_both_work(postgis_database):
    database = postgis_database
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: database.store(), range(4)))  # four servers migrate one new schema at once
    share = stores[0].create("Shared")
    stores[1].save(share.workspace_id, share.edit_token, [Item("layer", "a", b"1", 1)])
    assert set(stores[3].open(share.workspace_id, share.view_token).items) == {("layer", "a")}


def test_cli__lists_workspaces_near_a_place_by_id_or_lat_lon_without_their_links(database, monkeypatch, capsys):
    import json

    from layers.cli import main
    from tests.conftest import ROOT

    gateway = next(
        f["geometry"]["coordinates"]
        for f in json.loads((ROOT / "data" / "khorgos.geojson").read_text())["features"]
        if f["properties"]["id"] == "khorgos-gateway"
    )
    monkeypatch.delenv("CORRIDOR_ATLAS_DATABASE_URL", raising=False)
    for name, value in database.env.items():
        monkeypatch.setenv(name, value)
    store = database.store()
    depot = store.create("Depot east of the gateway")
    spot = Point(gateway[0] + 0.1, gateway[1])  # ~8 km east
    store.save(depot.workspace_id, depot.edit_token, [Item("upload", "d", b"p", 1, spot.bounds, spot)])
    store.create("Empty")

    assert main(["workspaces", "--near", "khorgos-gateway", "--km", "25"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{depot.workspace_id}\tDepot east of the gateway\t8.") and out.count("\n") == 1
    assert depot.edit_token not in out and depot.view_token not in out
    assert main(["workspaces", "--near", f"{gateway[1]},{gateway[0] + 0.5}", "--km", "5"]) == 0  # 40 km away
    assert capsys.readouterr().out == ""
    for argv, message in (
        (["--near", "atlantis"], "'atlantis' is not the id of a point feature"),
        (["--near", "95,80"], "'95,80' is not LAT,LON"),
        (["--near", "city-almaty", "--km", "far"], "--km: 'far' is not a distance"),
    ):
        assert main(["workspaces", *argv]) == 2
        assert message in capsys.readouterr().err


def test_store__a_footprint_with_heights_is_saved_flat(store):
    """A KML's coordinates carry heights; both databases keep the footprint in 2-D (PostGIS's column is 2-D)."""
    share = store.create("Heights")
    line = LineString([(80.30, 44.20, 612.0), (80.50, 44.21, 655.0)])
    store.save(share.workspace_id, share.edit_token, [Item("upload", "trip", b"k", 1, line.bounds[:4], line)])
    assert store.near(*KHORGOS, km=5) == [share.workspace_id]
