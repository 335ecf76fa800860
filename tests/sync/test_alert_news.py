"""An alert's whole way, through real processes: raised at a site, its duty
contact texted, synced to the board, reminded while no one deals with it,
dealt with on the board, and then no more texts, because the site learns of
it through sync."""

from __future__ import annotations

from tests.sync.helpers import change_board, database, raise_alert, rows, run

DEALT_WITH_AT = "2026-12-01T10:00:00Z"


def duty_texts(site_env: dict) -> int:
    sql = "SELECT count(*) AS n FROM outbox WHERE kind = 'duty_alert'"
    return rows(database(site_env), sql)[0]["n"]


def test_an_alert_dealt_with_on_the_board_stops_the_sites_texts(enrolled_site, board):
    site = enrolled_site
    run(site, "duty", "add", "Duty manager", "07700 900777")
    response_id = raise_alert(site)
    assert duty_texts(site) == 1  # at once, as it was raised
    run(site, "sync", "run")
    [on_board] = rows(database(board.env), "SELECT * FROM alerts")
    assert (on_board["response_id"], on_board["status"]) == (response_id, "open")

    # It was raised long enough ago that the worker texts again: no one has
    # dealt with it on the board.
    run(site, "worker", "--once")
    assert duty_texts(site) == 2

    change_board(
        board.env,
        (
            "UPDATE alerts SET status = 'acknowledged', acknowledged_at = ?",
            [DEALT_WITH_AT],
        ),
    )
    summary = run(site, "sync", "run").stdout
    [at_site] = rows(database(site), "SELECT * FROM alerts")
    assert (at_site["status"], at_site["dealt_with_at"]) == (
        "dealt_with",
        DEALT_WITH_AT,
    )
    assert "1 alert dealt with on the board" in summary
    run(site, "worker", "--once")
    assert duty_texts(site) == 2  # no more texts


def test_the_board_answers_only_about_a_sites_own_alerts(enrolled_site, board):
    raise_alert(enrolled_site)
    run(enrolled_site, "sync", "run")
    change_board(
        board.env,
        (
            "UPDATE alerts SET status = 'acknowledged', acknowledged_at = ?, "
            "site_id = 'another-site'",
            [DEALT_WITH_AT],
        ),
    )
    run(enrolled_site, "sync", "run")
    [at_site] = rows(database(enrolled_site), "SELECT * FROM alerts")
    assert at_site["status"] == "open"


def test_a_board_too_old_to_answer_about_alerts_does_not_fail_the_sync(
    enrolled_site, board, caplog
):
    """As a board from before /board/sync/alerts answers: 404. The records
    still go and the pass still counts as a success."""
    from datetime import UTC, datetime

    from gateway.sync.client import SyncError
    from gateway.sync.enrolment import board_client
    from gateway.sync.runner import sync_once
    from tests.sync.helpers import site_db

    raise_alert(enrolled_site)
    with site_db(enrolled_site) as (app, db):
        client = board_client(db, app.config)

        def old_board(_ids):
            raise SyncError("the board answered 404")

        client.alerts_dealt_with = old_board
        summary = sync_once(db, client, lambda: datetime.now(UTC), 25)
    assert summary.error is None
    assert summary.acknowledged == 2  # the response and its alert
    assert "could not ask the board which alerts were dealt with" in caplog.text


def test_a_malformed_answer_about_alerts_marks_nothing(enrolled_site, board):
    from datetime import UTC, datetime

    from gateway.sync.enrolment import board_client
    from gateway.sync.runner import sync_once
    from tests.sync.helpers import site_db

    raise_alert(enrolled_site)
    with site_db(enrolled_site) as (app, db):
        client = board_client(db, app.config)
        [alert] = list(db.query("SELECT id FROM alerts"))
        client.alerts_dealt_with = lambda _ids: [
            {"id": alert["id"], "at": "not a time"},
            {"id": "another-sites-alert", "at": DEALT_WITH_AT},
            "junk",
            {"at": DEALT_WITH_AT},
        ]
        summary = sync_once(db, client, lambda: datetime.now(UTC), 25)
    assert (summary.error, summary.alerts_dealt_with) == (None, 0)
    [at_site] = rows(database(enrolled_site), "SELECT status FROM alerts")
    assert at_site["status"] == "open"
