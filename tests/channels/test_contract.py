"""The contract every channel passes: registering a channel without a driver
here, or with one that fails, fails the build.

A conversation completes and is exported; a repeated input counts once; a
quiet conversation closes as partial; a disclosure of harm is signposted and
alerted, and everyday words are not; leaving early keeps what was answered.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from gateway.channels import channel, registered
from gateway.conversations import close_idle_conversations
from gateway.db import connect
from tests.channels.drivers import DRIVERS
from tests.conftest import FakeClock
from tests.disclosure_examples import DISCLOSURES, EVERYDAY

SIGNPOST = "Samaritans: call 116 123"


def test_every_registered_channel_has_a_driver_in_the_contract_suite():
    assert sorted(registered()) == sorted(DRIVERS)


@pytest.fixture(params=sorted(DRIVERS))
def person(request, sms_app, runner, now):
    """Someone on one channel, on an install with every channel on."""
    clock = FakeClock(now)
    sms_app.extensions["gateway"].clock = clock.now
    driver = DRIVERS[request.param](sms_app, runner)
    driver.name, driver.clock, driver.app = request.param, clock, sms_app
    yield driver
    if hasattr(driver, "close"):
        driver.close()


def rows(app, sql: str, params=()) -> list[dict]:
    db = connect(app.config["DATABASE"])
    try:
        return list(db.query(sql, params))
    finally:
        db.close()


def the_response(person) -> dict:
    [response] = rows(
        person.app, "SELECT * FROM responses WHERE channel = ?", [person.name]
    )
    return response


def answers(person, response_id: str) -> dict:
    sql = "SELECT * FROM answers WHERE response_id = ? AND state != 'not_reached'"
    return {row["step_id"]: row for row in rows(person.app, sql, [response_id])}


def test_a_conversation_completes_and_is_exported(person, runner):
    person.start()
    person.rate(2)
    person.write("Kind staff")
    person.finish()
    response = the_response(person)
    assert (response["status"], response["close_reason"]) == ("complete", "completed")
    assert bool(response["is_test"]) is channel(person.name).test_data_only

    exported = runner.invoke(["export", "--format", "jsonl", "--include-test"])
    assert exported.exit_code == 0, exported.output
    lines = [
        json.loads(line)
        for line in exported.output.splitlines()
        if line.startswith("{")
    ]
    [mine] = [line for line in lines if line["id"] == response["id"]]
    assert mine["channel"] == person.name
    assert mine["answers"]["overall"]["value"] == "good"
    assert mine["answers"]["why"]["value"] == "Kind staff"


def test_a_repeated_input_counts_once(person):
    person.start()
    person.rate(2)
    first = person.write("Kind staff")
    again = person.repeat_last()
    response = the_response(person)
    assert list(answers(person, response["id"])) == ["overall", "why"]
    assert answers(person, response["id"])["why"]["value"] == "Kind staff"
    assert again == first or person.name == "kiosk"  # a kiosk shows where it is now


def test_a_quiet_conversation_closes_as_partial(person):
    person.start()
    person.rate(4)
    runtime = person.app.extensions["gateway"]
    limit = channel(person.name).idle_limit(runtime.config)
    db = connect(person.app.config["DATABASE"])
    try:
        assert (
            close_idle_conversations(db, runtime, person.clock.now() + limit / 2) == 0
        )
        later = person.clock.now() + limit + timedelta(seconds=1)
        assert close_idle_conversations(db, runtime, later) == 1
    finally:
        db.close()
    response = the_response(person)
    assert (response["status"], response["close_reason"]) == ("partial", "expired")
    assert answers(person, response["id"])["overall"]["value"] == "poor"


def test_a_disclosure_is_signposted_at_once_and_alerted(person, runner):
    assert runner.invoke(["duty", "add", "Duty manager", "07700 900777"]).exit_code == 0
    person.start()
    person.rate(5)
    shown = person.write("I want to kill myself")
    assert SIGNPOST in shown
    response = the_response(person)
    [alert] = rows(person.app, "SELECT * FROM alerts")
    assert alert["response_id"] == response["id"]
    assert alert["category"] == "self_harm"
    # The duty contact is texted, except for the simulator's test data.
    texts = rows(person.app, "SELECT * FROM outbox WHERE kind = 'duty_alert'")
    assert len(texts) == (0 if alert["is_test"] else 1)
    assert bool(alert["is_test"]) is (person.name == "simulator")


def test_the_example_disclosures_alert_and_everyday_words_do_not(person, runner):
    """Every example in tests/disclosure_examples.py, each from someone new on
    this channel, as the answer to "why": a disclosure is signposted and
    alerted with its category; an everyday answer, idiom or denial is not."""
    wrong = []
    for said, category in DISCLOSURES + [(words, None) for words in EVERYDAY]:
        someone = DRIVERS[person.name](person.app, runner)
        before = len(rows(person.app, "SELECT * FROM alerts"))
        someone.start()
        someone.rate(3)
        shown = someone.write(said)
        alerts = rows(person.app, "SELECT category FROM alerts ORDER BY rowid")
        raised = [a["category"] for a in alerts[before:]]
        if raised != ([category] if category else []) or (
            (SIGNPOST in shown) is not bool(category)
        ):
            wrong.append((said, raised))
        if hasattr(someone, "close"):
            someone.close()
    assert wrong == []


def test_no_number_and_no_words_of_theirs_reach_the_logs(person, caplog):
    """With every logger at DEBUG, a whole conversation (a disclosure, a
    repeat, a help request) logs neither what was said nor a phone number."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="gateway")
    words = "Marigold said the tea was cold and I want to kill myself"
    person.start()
    person.rate(4)
    person.write(words)
    person.repeat_last()
    person.finish()
    logged = caplog.text
    assert "safeguarding alert (self_harm) on response" in logged  # it does log
    for secret in (words, "Marigold", "kill myself"):
        assert secret not in logged
    phone = getattr(person, "phone", None)
    if phone:  # a text channel: the number in any form
        assert phone not in logged and phone[-10:] not in logged


def test_leaving_early_keeps_what_was_answered(person):
    person.start()
    person.rate(1)
    person.leave_early()
    response = the_response(person)
    assert response["status"] == "partial"
    assert response["close_reason"] in ("opted_out", "finished_early", "reset")
    assert answers(person, response["id"])["overall"]["value"] == "very_good"


def test_a_channel_registered_without_a_driver_fails_the_check(monkeypatch):
    """The check above is what stops a new channel landing untested."""
    import sys
    import types

    from flows.model import Family
    from gateway import channels

    module = types.ModuleType("tests.channels.unfinished_channel")
    module.CHANNEL = channels.Channel(
        "whatsapp", Family.TEXT, lambda config: timedelta(hours=1)
    )
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(
        channels, "CHANNEL_MODULES", (*channels.CHANNEL_MODULES, module.__name__)
    )
    registered.cache_clear()
    try:
        assert "whatsapp" in registered()
        assert sorted(registered()) != sorted(DRIVERS)
    finally:
        monkeypatch.undo()
        registered.cache_clear()
    assert "whatsapp" not in registered()


def test_each_channel_adds_its_own_routes_and_the_factory_names_none(app):
    """create_app asks the registry for each channel's web endpoints."""
    import gateway

    source = Path(gateway.__file__).read_text()
    served = {rule.rule for rule in app.url_map.iter_rules()}
    with_web = [found for found in registered().values() if found.web]
    assert {found.name for found in with_web} == {"sms", "kiosk"}
    for found in with_web:
        package, _, module = found.web.partition(":")[0].rpartition(".")
        assert f"{package}.{module}" not in source
        assert f"from {package} import {module}" not in source
    assert {"/sms/inbound", "/sms/status", "/sms/outbox", "/kiosk/"} <= served
