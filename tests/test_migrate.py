"""`gateway migrate`: the site database's history, and the board's own database.

An upgrade from a database the single list made is recognised, nothing runs
twice, no site database gets board tables (a board has a database of its
own, kept by Alembic), and `serve`, `worker` and the other commands refuse
until `gateway migrate` has nothing left to do.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import closing
from pathlib import Path

import pytest
import sqlite_utils

from gateway import store
from gateway.config import load_config, pseudonym_key_file
from gateway.db import connect
from gateway.migrations import Upgrade, applied, histories, migrate, pending
from gateway.privacy import key_fingerprint, new_key, pseudonym, read_key, write_key
from gateway.store import migrations as site_migrations
from tests import retired_board_tables as board_migrations

PHONE = "+447700900123"
NEEDS_UPGRADE = "The database needs upgrading. Run `gateway migrate`, then start again."

# The single list the gateway kept before the histories were split, oldest
# first: each name as it was recorded, and the parts it is now.
SINGLE_LIST = (
    ("create_core_tables", [site_migrations.create_core_tables]),
    ("add_sms_tables", [site_migrations.add_sms_tables]),
    ("add_outbox_first_failure", [site_migrations.add_outbox_first_failure]),
    ("add_early_statuses", [site_migrations.add_early_statuses]),
    ("add_kiosks", [site_migrations.add_kiosks]),
    (
        "add_sync",
        [site_migrations.add_sync_queue, board_migrations.add_board_tables],
    ),
    ("add_kiosk_base_url", [site_migrations.add_kiosk_base_url]),
    (
        "keep_sync_moving_and_ids_per_site",
        [site_migrations.keep_sync_moving, board_migrations.keep_board_ids_per_site],
    ),
)
# schema_fingerprint() of a database made by that list as it shipped (the
# commit before the split). A change here means a shipped migration changed.
SHIPPED_SCHEMA = "59f073a1fdc675391837c3558d876f61df95346f50050c7d63462d53029f27c2"


def made_by_the_single_list(db, up_to: str = SINGLE_LIST[-1][0]) -> None:
    """The database the single list left, when `up_to` was its newest."""
    db.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    for name, parts in SINGLE_LIST:
        for part in parts:
            part(db)
        db.execute("INSERT INTO migrations VALUES (?, 't')", [name])
        if name == up_to:
            return


def schema(db) -> list:
    """Every table's columns, keys and indexes, and every index and trigger,
    in a form that does not depend on how SQLite rewrote the table's text."""
    found = []
    objects = db.query(
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE name NOT LIKE 'sqlite_%' AND name != 'migrations' "
        "ORDER BY type, name"
    )
    for row in objects:
        if row["type"] != "table":
            found.append([row["type"], row["name"], row["tbl_name"], row["sql"]])
            continue
        table = row["name"]
        columns = [list(c) for c in db.conn.execute(f"PRAGMA table_xinfo('{table}')")]
        keys = [list(k) for k in db.conn.execute(f"PRAGMA foreign_key_list('{table}')")]
        # By what they do, not their names: SQLite names the automatic ones.
        indexes = sorted(
            [unique, origin, partial, index_columns(db, name)]
            for _seq, name, unique, origin, partial in db.conn.execute(
                f"PRAGMA index_list('{table}')"
            )
        )
        found.append(["table", table, columns, keys, indexes])
    return found


def index_columns(db, index: str) -> list[str]:
    info = db.conn.execute(f"PRAGMA index_info('{index}')")
    return [column for _seqno, _cid, column in info]


def schema_fingerprint(db) -> str:
    return hashlib.sha256(json.dumps(schema(db)).encode()).hexdigest()


def fresh():
    db = sqlite_utils.Database(memory=True)
    migrate(db)
    return db


RETIRED_BOARD_TABLES = {"board_sites", "board_records", "board_alerts", "board_nonces"}


def without_retired_board_tables(found: list) -> list:
    def on_a_board_table(item) -> bool:  # a table, or an index or trigger on one
        kind, name, table = item[:3]
        return (name if kind == "table" else table) in RETIRED_BOARD_TABLES

    return [item for item in found if not on_a_board_table(item)]


def add_example_table(db) -> None:
    db.execute("CREATE TABLE example_upgrade (id INTEGER PRIMARY KEY)")


def install_a_new_version(monkeypatch) -> None:
    """This code, as if a new version added one migration to the site's history."""
    monkeypatch.setattr(
        site_migrations,
        "MIGRATIONS",
        (*site_migrations.MIGRATIONS, add_example_table),
    )


def database_of(config: dict) -> str:
    return load_config(overrides=config)["DATABASE"]


def database_bytes(config: dict) -> bytes:
    return Path(database_of(config)).read_bytes()


# The histories ------------------------------------------------------------------


def test_the_shipped_migrations_still_make_the_schema_they_shipped_with():
    db = sqlite_utils.Database(memory=True)
    made_by_the_single_list(db)
    assert schema_fingerprint(db) == SHIPPED_SCHEMA


def test_a_fresh_database_has_the_schema_the_single_list_made_but_no_board():
    old = sqlite_utils.Database(memory=True)
    made_by_the_single_list(old)
    for migration in added_since_the_single_list():  # such as add_duty_contacts
        migration(old)
    db = fresh()
    assert [t for t in db.table_names() if t.startswith("board_")] == []
    assert schema(db) == without_retired_board_tables(schema(old))


def test_every_migration_has_a_name_of_its_own():
    names = [m.__name__ for h in histories() for m in h.migrations]
    old_names = {name for name, _parts in SINGLE_LIST}
    assert len(names) == len(set(names))
    split = site_migrations.SPLIT_FROM
    assert set(split) <= set(names)
    assert set(split.values()) <= old_names
    assert old_names - set(split.values()) <= set(names)


def added_since_the_single_list() -> list:
    in_the_list = {part for _, parts in SINGLE_LIST for part in parts}
    return [m for m in site_migrations.MIGRATIONS if m not in in_the_list]


def test_a_database_the_single_list_made_runs_only_what_came_since():
    """What the single list applied never runs again; only what came since."""
    db = sqlite_utils.Database(memory=True)
    made_by_the_single_list(db)
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('site_id', 's1'), ('site_name', 'Rose')"
    )
    db.execute("INSERT INTO board_sites (name, created_at) VALUES ('Oak House', 't')")
    expected = sqlite_utils.Database(memory=True)
    made_by_the_single_list(expected)
    since = added_since_the_single_list()
    for migration in since:
        migration(expected)

    names = [migration.__name__ for migration in since]
    assert pending(db) == names
    assert migrate(db) == names

    assert schema(db) == schema(expected)
    assert [row["name"] for row in db.query("SELECT name FROM board_sites")] == [
        "Oak House"
    ]
    assert applied(db) == {name for name, _parts in SINGLE_LIST} | set(names)


def test_a_database_from_before_sync_upgrades_to_what_a_fresh_one_is():
    db = sqlite_utils.Database(memory=True)
    made_by_the_single_list(db, up_to="add_kiosks")
    db.execute(
        """INSERT INTO responses (id, site_id, flow_id, flow_version, channel,
               language, started_at, closed_at, status)
           VALUES ('r1', 's', 'f', 1, 'kiosk', 'en', 't', 't', 'complete')"""
    )

    ran = migrate(db)

    later = [migration.__name__ for migration in added_since_the_single_list()]
    assert ran == ["add_sync_queue", "add_kiosk_base_url", "keep_sync_moving", *later]
    assert pending(db) == []
    assert schema(db) == schema(fresh())
    queued = list(db.query("SELECT record_id, priority FROM sync_queue"))
    assert queued == [{"record_id": "r1", "priority": -1}]
    assert migrate(db) == []


def test_a_site_that_becomes_a_board_gets_a_board_database(runner, test_config):
    test_config["ROLE"] = "site"
    assert runner.invoke(["init"]).exit_code == 0
    board_file = Path(load_config(overrides=test_config)["BOARD_DATABASE"])
    assert not board_file.exists()

    test_config["ROLE"] = "board"
    refused = runner.invoke(["worker", "--once"])
    assert refused.exit_code == 1
    assert refused.output == f"Error: {NEEDS_UPGRADE}\n"
    assert not board_file.exists()  # asking what waits creates nothing

    result = runner.invoke(["migrate"])
    assert result.exit_code == 0, result.output
    # One change for each of the board's revisions: its tables, its word
    # index, its stream to sites, its posts.
    assert result.output == "Done: upgraded the database (4 changes).\n"
    assert board_file.stat().st_mode & 0o777 == 0o600
    assert "Nothing to do" in runner.invoke(["migrate"]).output
    assert runner.invoke(["worker", "--once"]).exit_code == 0


# `gateway migrate` -------------------------------------------------------------


def test_migrate_applies_a_new_version_once_then_has_nothing_to_do(
    runner, initialised, monkeypatch
):
    install_a_new_version(monkeypatch)

    first = runner.invoke(["migrate"])
    assert first.exit_code == 0, first.output
    assert first.output == "Done: upgraded the database (1 change).\n"
    with closing(connect(database_of(initialised))) as db:
        assert "example_upgrade" in db.table_names()
        assert pending(db) == []

    before = database_bytes(initialised)
    second = runner.invoke(["migrate"])
    assert second.exit_code == 0, second.output
    assert second.output == "Nothing to do: the database is up to date.\n"
    assert database_bytes(initialised) == before


def test_migrate_on_a_fresh_install_has_nothing_to_do(runner, initialised):
    before = database_bytes(initialised)
    result = runner.invoke(["migrate"])
    assert result.exit_code == 0, result.output
    assert result.output == "Nothing to do: the database is up to date.\n"
    assert database_bytes(initialised) == before


def test_migrate_before_init_says_run_init(runner, test_config):
    result = runner.invoke(["migrate"])
    assert result.exit_code != 0
    assert "Run `gateway init` first." in result.output
    assert not Path(test_config["INSTANCE_PATH"]).exists()


def test_migrate_records_a_new_site_name(runner, initialised):
    initialised["SITE"] = "Oak House"  # GATEWAY_SITE changed since `init`

    result = runner.invoke(["migrate"])

    assert result.exit_code == 0, result.output
    assert result.output == "Done: recorded the site's name as 'Oak House'.\n"
    with closing(connect(database_of(initialised))) as db:
        assert store.core.get_meta(db, "site_name") == "Oak House"
    assert "Nothing to do" in runner.invoke(["migrate"]).output


def replace_the_key_under_someone(config: dict) -> bytes:
    """A person known under this install's key, then the key file replaced (by
    hand, or an enrolment that stopped half way): they are keyed with the old."""
    key_file = pseudonym_key_file(config["INSTANCE_PATH"])
    with closing(connect(database_of(config))) as db:
        old_key = read_key(key_file)
        old = pseudonym(old_key, PHONE)
        store.core.ensure_participant(db, old, "2026-11-23T10:00:00Z", phone=PHONE)
        store.participants.mark_keyed(db, old, key_fingerprint(old_key))
        db.conn.commit()
    replacement = new_key()
    write_key(key_file, replacement)
    return replacement


def test_migrate_moves_people_to_a_replaced_pseudonym_key(runner, initialised):
    key = replace_the_key_under_someone(initialised)

    result = runner.invoke(["migrate"])

    assert result.exit_code == 0, result.output
    assert result.output == (
        "Done: set 1 person to move to the current pseudonym key.\n"
    )
    assert "Nothing to do" in runner.invoke(["migrate"]).output
    worked = runner.invoke(["worker", "--once"])  # the slow part, in the background
    assert worked.exit_code == 0, worked.output
    with closing(connect(database_of(initialised))) as db:
        people = [row["id"] for row in db.query("SELECT id FROM participants")]
    assert people == [pseudonym(key, PHONE)]


# Refusing to start ---------------------------------------------------------------


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["worker", "--once"]])
def test_serve_and_worker_refuse_while_a_migration_waits(
    runner, initialised, monkeypatch, command
):
    install_a_new_version(monkeypatch)
    before = database_bytes(initialised)

    result = runner.invoke(command)

    assert result.exit_code == 1
    assert result.output == f"Error: {NEEDS_UPGRADE}\n"
    assert database_bytes(initialised) == before


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda config: config.update(SITE="Oak House"),
            "The site's name has changed to 'Oak House'.",
        ),
        (
            replace_the_key_under_someone,
            "Some people here are still under an old pseudonym key.",
        ),
    ],
    ids=["site name", "pseudonym key"],
)
def test_serve_refuses_until_migrate_has_recorded_a_change(
    runner, initialised, change, reason
):
    change(initialised)
    refused = runner.invoke(["worker", "--once"])
    assert refused.exit_code == 1
    assert refused.output == (
        f"Error: {reason} Run `gateway migrate`, then start again.\n"
    )
    assert runner.invoke(["migrate"]).exit_code == 0
    assert runner.invoke(["worker", "--once"]).exit_code == 0


def test_other_commands_refuse_while_a_migration_waits(
    runner, initialised, monkeypatch
):
    install_a_new_version(monkeypatch)
    result = runner.invoke(["kiosk", "list"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: The database needs upgrading. Run `gateway migrate`, then try again.\n"
    )


def test_init_on_an_install_with_a_migration_waiting_applies_it(
    runner, initialised, monkeypatch
):
    install_a_new_version(monkeypatch)
    result = runner.invoke(["init"])
    assert result.exit_code == 0, result.output
    assert "Done: upgraded the database (1 change)." in result.output
    assert "Nothing to do" in runner.invoke(["migrate"]).output


def test_a_fresh_site_exports_without_the_board_tables(tmp_path):
    # A site's export names each response's site from meta, never board_sites.
    db = sqlite_utils.Database(tmp_path / "site.sqlite3")
    migrate(db)
    db.execute("INSERT INTO meta (key, value) VALUES ('site_name', 'Rose Court')")
    db.execute(
        """INSERT INTO responses (id, site_id, flow_id, flow_version, channel,
               language, started_at, closed_at, status)
           VALUES ('r1', 's', 'f', 1, 'kiosk', 'en', 't', 't', 'complete')"""
    )
    (row,) = store.responses.closed_responses(db)
    assert row["site"] == "Rose Court"


def test_backup_runs_while_a_migration_waits(
    runner, initialised, monkeypatch, tmp_path
):
    # The copy to keep is the one from before the upgrade.
    install_a_new_version(monkeypatch)
    result = runner.invoke(["backup", str(tmp_path / "before-upgrade")])
    assert result.exit_code == 0, result.output
    copy = sqlite_utils.Database(tmp_path / "before-upgrade" / "gateway.sqlite3")
    assert pending(copy) == ["add_example_table"]


@pytest.mark.parametrize(
    ("upgrade", "line"),
    [
        (Upgrade(), "Nothing to do: the database is up to date."),
        (Upgrade(["a"]), "Done: upgraded the database (1 change)."),
        (
            Upgrade(["a", "b"], "Oak House", 3),
            "Done: upgraded the database (2 changes), recorded the site's name "
            "as 'Oak House' and set 3 people to move to the current pseudonym key.",
        ),
    ],
)
def test_migrate_says_what_it_did_in_one_line(upgrade, line):
    assert upgrade.done_line() == line
