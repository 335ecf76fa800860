"""Sync end to end: a site and a board, each a real process with its own SQLite file."""

from __future__ import annotations

from tests.sync.helpers import database, make_responses, rows, run


def test_a_site_sends_its_closed_responses_to_the_board_once(enrolled_site, board):
    ids = make_responses(enrolled_site, 60)
    first = run(enrolled_site, "sync", "run")
    assert "Sent 60, acknowledged 60, set aside 0, left 0." in first.stdout
    again = run(enrolled_site, "sync", "run")
    assert "Sent 0, acknowledged 0" in again.stdout
    on_board = rows(database(board.env), "SELECT id FROM responses ORDER BY id")
    assert [row["id"] for row in on_board] == sorted(ids)
    answers = rows(database(board.env), "SELECT count(*) AS n FROM answers")
    assert answers[0]["n"] == 60 * 3  # two answered, the SMS-only one not reached
    verified = run(enrolled_site, "sync", "verify")
    assert "exactly what this site synced: 60 records." in verified.stdout
    exported = run(board.env, "export", "--format", "jsonl").stdout
    assert '"site": "Rose Court"' in exported
    assert "+44" not in exported


def test_sync_status_shows_the_queue_and_the_last_success(enrolled_site, board):
    make_responses(enrolled_site, 3)
    before = run(enrolled_site, "sync", "status").stdout
    assert "Waiting: 3" in before
    assert "Last success: never" in before
    run(enrolled_site, "sync", "run")
    after = run(enrolled_site, "sync", "status").stdout
    assert "Waiting: 0" in after
    assert "Synced: 3. Set aside: 0." in after
    assert "Last success: 20" in after
    sites = run(board.env, "board", "sites").stdout
    assert "Rose Court  3 records" in sites
