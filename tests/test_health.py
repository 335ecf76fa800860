"""`GET /healthz`: cheap enough to poll, and 503 when the database cannot be read."""

from __future__ import annotations

from pathlib import Path


def test_health_reports_ok_with_what_is_waiting(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["database"]["state"] == "ok"
    assert set(body["queued"]) == {
        "open_conversations",
        "closed_responses",
        "open_alerts",
    }


def test_an_unreadable_database_answers_503(app, client):
    database = Path(app.config["DATABASE"])
    for leftover in (
        database.with_name(database.name + suffix) for suffix in ("-wal", "-shm")
    ):
        leftover.unlink(missing_ok=True)
    database.write_bytes(b"this is not a database, just noise " * 200)
    answer = client.get("/healthz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["status"] == "error"
    assert body["database"]["state"] == "unavailable"


def test_health_shows_a_migration_that_is_waiting(initialised, monkeypatch):
    from gateway import create_app
    from tests.test_migrate import install_a_new_version

    install_a_new_version(monkeypatch)  # installed, but `gateway migrate` not run
    body = create_app(initialised).test_client().get("/healthz").get_json()
    assert body["database"]["pending_migrations"] == ["add_example_table"]
