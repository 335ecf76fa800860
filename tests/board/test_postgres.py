"""A board on PostgreSQL: the commands that set it up, what /healthz and a
backup say of it, and the store's changes that two board processes may make
at once, each shown taking turns with two real connections."""

from __future__ import annotations

import subprocess
import threading

import pytest
from alembic import command as alembic_command
from alembic.config import Config
from psycopg import sql
from sqlalchemy import func, inspect, select, text

from gateway import create_app
from gateway.board import migrations
from gateway.board.database import database_url, make_engine, reading, writing
from gateway.board.migrations import upgrade
from gateway.board.schema import own_words, records, response_tags, tags
from gateway.board.store import hidden_words, review, tagging
from gateway.board.store import records as board_records
from tests.board.pages import NOW, audit_actions, rows_of
from tests.postgres import postgres_database

pytestmark = pytest.mark.postgresql_board  # what SQLite cannot show
NEEDS_UPGRADE = "The database needs upgrading. Run `gateway migrate`, then start again."
WAIT_SECONDS = 0.5  # long enough to be sure a transaction is waiting


def test_a_postgresql_url_without_a_driver_uses_psycopg():
    assert database_url("postgresql://u@db/board").drivername == "postgresql+psycopg"
    assert database_url("postgresql+psycopg://u@db/b").drivername.endswith("psycopg")
    assert database_url("board.sqlite3").get_backend_name() == "sqlite"


# Setting it up: init, migrate, /healthz ------------------------------------------


def healthz(config: dict):
    return create_app(config).test_client().get("/healthz")


def pending_on_healthz(config: dict) -> list[str]:
    answer = healthz(config)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["database"]["pending_migrations"]


def board_revision(url: str, revision: str | None = None) -> str:
    """The board database's Alembic revision (set to `revision` first, if
    given: as if that were the last one applied)."""
    engine = make_engine(url)
    try:
        if revision is not None:
            with writing(engine) as conn:
                conn.execute(
                    text("UPDATE alembic_version SET version_num = :r"), {"r": revision}
                )
        with reading(engine) as conn:
            return conn.execute(
                text("SELECT version_num FROM alembic_version")
            ).scalar_one()
    finally:
        engine.dispose()


def test_migrate_makes_the_board_in_an_empty_database(
    runner, test_config, empty_postgres_url
):
    test_config["ROLE"] = "site"
    assert runner.invoke(["init"]).exit_code == 0
    test_config.update(ROLE="board", BOARD_DATABASE_URL=empty_postgres_url)
    refused = runner.invoke(["worker", "--once"])
    assert refused.output == f"Error: {NEEDS_UPGRADE}\n"
    # No tables to count yet: unwell, as a board on SQLite with no file yet.
    assert healthz(test_config).status_code == 503

    result = runner.invoke(["migrate"])

    assert result.output == "Done: upgraded the database (4 changes).\n"
    assert pending_on_healthz(test_config) == []
    assert board_revision(empty_postgres_url) == "0004"
    engine = make_engine(empty_postgres_url)
    with reading(engine) as conn:
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert {"records", "responses", "own_words"} <= tables
    assert not any(name.startswith("own_words_index") for name in tables)  # 0002
    assert "Nothing to do" in runner.invoke(["migrate"]).output
    assert runner.invoke(["worker", "--once"]).exit_code == 0


def downgraded(url: str, revision: str) -> list[str]:
    """The board taken back to `revision` by the revisions' own downgrades;
    the revisions after it, which are now waiting."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            config = Config()
            config.set_main_option("script_location", str(migrations.SCRIPTS))
            config.attributes["connection"] = conn
            alembic_command.downgrade(config, revision)
            conn.commit()
    finally:
        engine.dispose()
    every = migrations.revisions()
    return every[every.index(revision) + 1 :]


def test_a_revision_waiting_shows_on_healthz_until_migrate(runner, test_config):
    test_config["ROLE"] = "board"
    assert runner.invoke(["init"]).exit_code == 0
    waiting = downgraded(test_config["BOARD_DATABASE_URL"], "0002")
    assert waiting[0] == "0003"
    assert pending_on_healthz(test_config) == [f"board {r}" for r in waiting]
    assert runner.invoke(["worker", "--once"]).output == f"Error: {NEEDS_UPGRADE}\n"

    result = runner.invoke(["migrate"])

    assert result.output == f"Done: upgraded the database ({len(waiting)} changes).\n"
    assert pending_on_healthz(test_config) == []
    assert board_revision(test_config["BOARD_DATABASE_URL"]) == "0004"


def test_init_makes_the_board_in_an_empty_database(
    runner, test_config, empty_postgres_url
):
    test_config.update(ROLE="board", BOARD_DATABASE_URL=empty_postgres_url)
    result = runner.invoke(["init"])
    assert result.exit_code == 0, result.output
    assert pending_on_healthz(test_config) == []
    added = runner.invoke(["board", "add-site", "Rose Court"])
    assert added.exit_code == 0, added.output
    assert "Rose Court" in runner.invoke(["board", "sites"]).output


def test_a_board_made_as_docs_board_md_says_runs_as_a_role_of_its_own(
    runner, test_config, postgres_cluster
):
    """The database and role docs/board.md says to make: an owner, not a
    superuser (PostgreSQL 15 lets only a database's owner make tables)."""
    role = "gateway_docs"
    postgres_cluster.execute(
        sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'a long password'").format(
            sql.Identifier(role)
        )
    )
    try:
        with postgres_database(postgres_cluster, migrated=False, role=role) as url:
            with_password = url.replace(f"{role}@", f"{role}:a%20long%20password@")
            test_config.update(ROLE="board", BOARD_DATABASE_URL=with_password)
            result = runner.invoke(["init"])
            assert result.exit_code == 0, result.output
            assert runner.invoke(["board", "add-site", "Rose Court"]).exit_code == 0
            assert pending_on_healthz(test_config) == []
    finally:
        postgres_cluster.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_two_upgrades_at_once_take_turns(empty_postgres_url):
    ran = []
    both = [
        threading.Thread(target=lambda: ran.append(upgrade(empty_postgres_url)))
        for _ in range(2)
    ]
    for thread in both:
        thread.start()
    for thread in both:
        thread.join(30)
    assert sorted(ran) == [[], ["0001", "0002", "0003", "0004"]]


def test_a_board_database_that_cannot_be_reached_is_said_plainly(
    runner, test_config, postgres_cluster
):
    test_config["ROLE"] = "site"
    assert runner.invoke(["init"]).exit_code == 0
    missing = postgres_cluster.url("no_such_board")
    test_config.update(ROLE="board", BOARD_DATABASE_URL=missing)
    for command in (["init"], ["migrate"]):
        result = runner.invoke(command)
        assert result.exit_code == 1
        assert result.output.startswith(
            "Error: Cannot reach the board's database at "
            f"postgresql+psycopg://postgres@127.0.0.1:{postgres_cluster.port}"
            "/no_such_board: "
        ), result.output
        assert 'database "no_such_board" does not exist' in result.output
        assert "docs/board.md" in result.output
    health = healthz(test_config)
    assert health.status_code == 503
    assert health.get_json()["database"]["state"] == "unavailable"


# Backups: the site's file and the keys here, the board by pg_dump ----------------


def test_a_backup_keeps_the_keys_and_says_how_to_back_up_the_board(
    runner, test_config, postgres_url, postgres_cluster, tmp_path
):
    test_config["ROLE"] = "board"
    assert runner.invoke(["init"]).exit_code == 0
    assert runner.invoke(["board", "add-site", "Rose Court"]).exit_code == 0
    copy = tmp_path / "copy"

    result = runner.invoke(["backup", str(copy)])

    assert result.exit_code == 0, result.output
    assert "it is not in this copy" in result.output
    command = next(line for line in result.output.splitlines() if "pg_dump" in line)
    assert command.strip() == (
        f"pg_dump --format=custom --file=board.dump '{postgres_url}'"
    )
    assert sorted(p.name for p in copy.iterdir()) == [
        "gateway.sqlite3",
        "keys",
        "secret_key",
    ]
    # The command it gives works, and its dump holds the board.
    dump = tmp_path / "board.dump"
    bin_folder = postgres_cluster.bin
    subprocess.run(
        [bin_folder / "pg_dump", "--format=custom", f"--file={dump}", postgres_url],
        check=True,
    )
    listed = subprocess.run(
        [bin_folder / "pg_restore", "--list", dump],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "TABLE DATA public sites" in listed


# Two transactions at once: the second waits for the first, then sees it ----------


def second_waits_for_first(engine, first, second):
    """Run `first(conn)` in a write transaction left open, then `second` in
    another thread's. True if the second waited until the first committed;
    and what each returned."""
    results = {}
    with writing(engine) as conn:
        results["first"] = first(conn)

        def run_second() -> None:
            with writing(engine) as other:
                results["second"] = second(other)

        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(WAIT_SECONDS)
        waited = thread.is_alive()
    thread.join(30)
    return waited, results["first"], results["second"]


def opt_out(number: int) -> dict:
    return {
        "record_id": f"opt-{number}",
        "site_id": "site-1",
        "kind": "opt_out",
        "body": '{"at": "2026-12-01T09:00:00Z", "participant": "p"}',
        "body_hash": f"hash-{number}",
        "queued_at": NOW,
        "received_at": NOW,
    }


def pulled(engine, cursor: int) -> list[int]:
    with reading(engine) as conn:
        found = board_records.opt_changes_since(conn, cursor, "site-2", 1000)
    return [change["seq"] for change in found]


def test_opt_changes_become_visible_in_the_order_of_their_seq(board):
    """A site pulls "after seq N". Were a seq committed after a later one,
    a site that pulled meanwhile would never get it: so a second opt-out
    waits for the first to commit before it takes its seq."""
    engine = board.engine
    seen_meanwhile = []

    def first(conn):
        board_records.insert_record(conn, **opt_out(1))
        return conn.execute(select(records.c.seq)).scalar_one()

    def second(conn):
        seen_meanwhile.extend(pulled(engine, 0))
        board_records.insert_record(conn, **opt_out(2))
        return conn.execute(select(func.max(records.c.seq))).scalar_one()

    waited, first_seq, second_seq = second_waits_for_first(engine, first, second)

    assert waited
    assert seen_meanwhile == []  # the first was not yet committed
    assert first_seq < second_seq
    assert pulled(engine, 0) == [first_seq, second_seq]


def test_without_taking_turns_a_site_would_miss_an_opt_out(board):
    """What the turns prevent: two plain inserts at once, the later seq
    committed first, and a pull in between that moves past the earlier."""
    engine = board.engine
    with writing(engine) as slow:
        slow.execute(records.insert().values(**opt_out(1)))  # seq 1, not committed
        with writing(engine) as quick:
            quick.execute(records.insert().values(**opt_out(2)))  # seq 2
        cursor = pulled(engine, 0)[-1]  # a site pulls now: it gets seq 2
    assert pulled(engine, cursor) == []  # seq 1 came in behind it: never pulled
    assert len(pulled(engine, 0)) == 2


@pytest.fixture
def reviewed(board):
    """A response with a free-text answer and an alert, and a staff member."""
    response_id = board.add_response(
        "Oak House",
        [
            {
                "step_id": "why",
                "value": "Jo Bloggs on nights",
                "raw": "Jo Bloggs on nights",
            }
        ],
    )
    board.add_alert("Oak House", response_id)
    board.add_user("staff", name="Sam")
    sam = next(u["id"] for u in rows_of(board, "users") if u["name"] == "Sam")
    return board, response_id, sam


def test_a_status_set_twice_at_once_is_one_change(reviewed):
    board, response_id, sam = reviewed

    def set_it(conn):
        return review.set_status(conn, response_id, "in_review", by=sam, at=NOW)

    waited, first, second = second_waits_for_first(board.engine, set_it, set_it)
    assert (waited, first, second) == (True, True, False)
    assert audit_actions(board, response_id) == ["status"]


def test_an_alert_acknowledged_twice_at_once_is_dealt_with_once(reviewed):
    board, response_id, sam = reviewed
    [alert] = rows_of(board, "alerts")

    def deal_with(what):
        return lambda conn: review.acknowledge_alert(
            conn, response_id, alert["id"], what, by=sam, at=NOW
        )

    waited, first, second = second_waits_for_first(
        board.engine, deal_with("Rang her"), deal_with("Rang her too")
    )
    assert (waited, first, second) == (True, True, False)
    assert rows_of(board, "alerts")[0]["what_was_done"] == "Rang her"
    assert audit_actions(board, response_id) == ["alert_acknowledged"]


def test_two_passages_hidden_at_once_are_both_hidden_from_members(reviewed):
    board, response_id, sam = reviewed

    def hide(passage):
        return lambda conn: hidden_words.hide_passage(
            conn, response_id, "why", passage, by=sam, at=NOW
        )

    waited, _, _ = second_waits_for_first(board.engine, hide("Jo"), hide("nights"))
    assert waited
    with reading(board.engine) as conn:
        words = conn.execute(select(own_words.c.words_for_members)).scalar_one()
    assert "jo" not in words and "nights" not in words
    assert "bloggs on" in words


def test_a_new_tag_added_twice_at_once_is_one_tag(reviewed):
    board, response_id, sam = reviewed
    other = board.add_response("Oak House")

    def tag(response, name):
        return lambda conn: tagging.add_tag(
            conn, response, name, by=sam, at=NOW, staff=True
        )

    waited, first, second = second_waits_for_first(
        board.engine, tag(response_id, "Food"), tag(other, "food")
    )
    assert (waited, first, second) == (True, "added", "added")
    with reading(board.engine) as conn:
        assert list(conn.execute(select(tags.c.name)).scalars()) == ["Food"]
        assert len(conn.execute(select(response_tags)).all()) == 2
    assert audit_actions(board).count("tag_created") == 1


def test_a_response_tagged_twice_at_once_is_tagged_once(reviewed):
    board, response_id, sam = reviewed

    def tag(conn):
        return tagging.add_tag(conn, response_id, "Food", by=sam, at=NOW, staff=True)

    with writing(board.engine) as conn:  # the tag itself is there already
        tagging.add_tag(
            conn, board.add_response("Oak House"), "Food", by=sam, at=NOW, staff=True
        )
    waited, first, second = second_waits_for_first(board.engine, tag, tag)
    assert (waited, first, second) == (True, "added", "had")
    assert audit_actions(board, response_id) == ["tag_added"]
