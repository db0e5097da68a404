"""Saved workspaces in the embedded database: round trips, links, quotas, concurrent and killed saves, migrations."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from pathlib import Path

import pytest

from layers.workspace_store import (
    MIGRATIONS,
    AccessError,
    Item,
    Limits,
    QuotaError,
    SqliteStore,
    StoreError,
)

KHORGOS = (80.40, 44.20)
LIANYUNGANG = (119.40, 34.70)


def _layer(item_id: str, lon: float, lat: float, size: int = 100, features: int = 1) -> Item:
    return Item("layer", item_id, b"x" * size, features, (lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01))


@pytest.fixture
def store(tmp_path) -> SqliteStore:
    return SqliteStore(tmp_path / "workspaces" / "atlas.db")


def test_store__a_saved_workspace_reopens_in_another_store_on_the_same_file(store, tmp_path):
    share = store.create("Khorgos study")
    revision = store.save(
        share.workspace_id, share.edit_token, [_layer("depots", *KHORGOS), Item("deck", "deck", b"[]")]
    )
    again = SqliteStore(tmp_path / "workspaces" / "atlas.db").open(share.workspace_id, share.edit_token)
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


def test_store__tokens_are_kept_as_digests_only(store):
    share = store.create("Secret")
    files = [store.path, Path(f"{store.path}-wal")]
    raw = b"".join(path.read_bytes() for path in files if path.exists())
    assert store.open(share.workspace_id, share.edit_token).can_edit  # the digest is there
    assert share.edit_token.encode() not in raw and share.view_token.encode() not in raw


def test_store__a_save_over_the_quota_writes_nothing(tmp_path):
    store = SqliteStore(tmp_path / "q.db", limits=Limits(max_bytes=1_000, max_features=10))
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


def _save_many(path: str, workspace_id: str, token: str, prefix: str, count: int) -> None:
    store = SqliteStore(Path(path))
    for n in range(count):
        store.save(workspace_id, token, [Item("layer", f"{prefix}-{n}", prefix.encode() * 10, 1)])
        store.save(workspace_id, token, [Item("notes", "shared", prefix.encode())])  # both sessions write this one


def test_store__two_processes_saving_at_once_lose_nothing(store):
    share = store.create("Busy")
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_save_many, args=(str(store.path), share.workspace_id, share.edit_token, who, 25))
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


def _killed_half_way(path: str, workspace_id: str, token: str) -> None:
    """Start a save of many items and end the process after the first few are written, before the commit."""
    store = SqliteStore(Path(path))
    written = 0
    real_execute = sqlite3.Connection.execute

    class Dying(sqlite3.Connection):
        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:  # type: ignore[override]
            nonlocal written
            if sql.startswith("INSERT INTO items"):
                written += 1
                if written == 3:
                    os._exit(9)  # the power goes: no rollback, no clean-up
            return real_execute(self, sql, *args)

    original_connect = sqlite3.connect
    sqlite3.connect = lambda *a, **k: original_connect(*a, **k, factory=Dying)  # type: ignore[assignment]
    store.save(
        workspace_id, token, [Item("layer", f"new-{n}", b"new", 1) for n in range(10)], removed=[("layer", "old")]
    )


def test_store__a_save_killed_half_way_leaves_the_previous_version(store):
    share = store.create("Fragile")
    store.save(share.workspace_id, share.edit_token, [Item("layer", "old", b"old", 1)])
    context = multiprocessing.get_context("spawn")
    worker = context.Process(target=_killed_half_way, args=(str(store.path), share.workspace_id, share.edit_token))
    worker.start()
    worker.join(60)
    assert worker.exitcode == 9
    opened = store.open(share.workspace_id, share.edit_token)
    assert set(opened.items) == {("layer", "old")} and opened.revision == 1


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
        assert check.execute("SELECT item_id, west FROM items").fetchall() == [("a", None)]


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
