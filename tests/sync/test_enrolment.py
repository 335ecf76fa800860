"""Enrolling a site with its board: codes refused, participants re-keyed.

A wrong, expired or used code leaves the site unenrolled; enrolment re-keys
the site's participants to the organisation's key, even ones a server took in
under the old key. Real board process, real CLI.
"""

from __future__ import annotations

import json
from contextlib import closing

from gateway.config import pseudonym_key_file
from gateway.db import connect
from gateway.privacy import pseudonym, read_key
from gateway.sms.inbound import InboundSms, handle_inbound
from gateway.sync.enrolment import enrol as enrol_here
from gateway.sync.enrolment import sync_secret_file
from tests.sync.helpers import (
    MOMENT,
    add_site,
    change_board,
    database,
    enrol,
    install,
    participant_id,
    queue,
    rows,
    run,
    site_app,
    text,
)

PHONE, OTHER_PHONE = "+447700900123", "+447700900456"
HARM = "I want to kill myself"


# Enrolment -----------------------------------------------------------------------


def assert_unenrolled(env: dict) -> None:
    meta = rows(database(env), "SELECT key FROM meta WHERE key LIKE 'sync_board%'")
    assert meta == []
    assert not sync_secret_file(env["GATEWAY_INSTANCE_PATH"]).exists()
    status = run(env, "sync", "status").stdout
    assert "Board: not enrolled" in status


def test_a_wrong_expired_or_used_code_is_refused_and_leaves_the_site_unenrolled(
    site_env, board, tmp_path
):
    wrong = run(site_env, "sync", "enroll", board.url, "ABCD-EFGH-JKLM", check=False)
    assert wrong.returncode != 0
    assert "not known, or was used" in wrong.stderr
    assert_unenrolled(site_env)

    expired_code = add_site(board.env, "Rose Court")
    change_board(
        board.env,
        (
            "UPDATE sites SET enrol_expires_at = '2020-01-01T00:00:00Z' "
            "WHERE name = 'Rose Court'",
            [],
        ),
    )
    expired = run(site_env, "sync", "enroll", board.url, expired_code, check=False)
    assert expired.returncode != 0
    assert "expired" in expired.stderr
    assert_unenrolled(site_env)

    used_code = add_site(board.env, "Oak House")
    oak = install(tmp_path / "oak", "site")
    run(oak, "sync", "enroll", board.url, used_code)
    used = run(site_env, "sync", "enroll", board.url, used_code, check=False)
    assert used.returncode != 0
    assert "was used" in used.stderr
    assert_unenrolled(site_env)
    sites = run(board.env, "board", "sites").stdout
    assert "Rose Court  0 records, last contact -  waiting to enrol" in sites


def test_enrolment_rekeys_existing_participants_to_the_organisation_key(
    site_env, board
):
    text(site_env, PHONE, "Hello", "SM1")
    text(site_env, OTHER_PHONE, "Hello", "SM2")
    text(site_env, OTHER_PHONE, "STOP", "SM3")  # an opt-out still waiting to go
    before = {phone: participant_id(site_env, phone) for phone in (PHONE, OTHER_PHONE)}

    enrol(site_env, board.env, board.url)
    run(site_env, "worker", "--once")  # works out the new pseudonyms, then syncs

    org_key = read_key(pseudonym_key_file(board.env["GATEWAY_INSTANCE_PATH"]))
    after = {phone: participant_id(site_env, phone) for phone in (PHONE, OTHER_PHONE)}
    assert after == {phone: pseudonym(org_key, phone) for phone in after}
    assert set(after.values()).isdisjoint(before.values())
    people = {
        row["id"] for row in rows(database(site_env), "SELECT id FROM participants")
    }
    assert people == set(after.values())
    owners = {
        row["participant_id"]
        for row in rows(database(site_env), "SELECT participant_id FROM responses")
    }
    assert owners == set(after.values())
    (opt_out,) = [row for row in queue(site_env) if row["kind"] == "opt_out"]
    assert json.loads(opt_out["body"])["participant"] == after[OTHER_PHONE]
    site_key = read_key(pseudonym_key_file(site_env["GATEWAY_INSTANCE_PATH"]))
    assert site_key == org_key


def test_a_stop_taken_by_a_server_started_before_enrolment_still_holds(site_env, board):
    """A site's server started before `sync enroll` notices the new pseudonym
    key, and nothing it took is left under the old one: one number stays one
    participant, and their STOP holds, also after a restart."""
    running = site_app(site_env)  # `gateway serve` already up at the site
    assert running.extensions["gateway"].pseudonym_key  # it has read its key
    enrol(site_env, board.env, board.url)
    with closing(connect(running.config["DATABASE"])) as db:
        stop = InboundSms("SM1", PHONE, "STOP")
        handle_inbound(db, running.extensions["gateway"], stop, MOMENT)
    text(site_env, PHONE, "Hello", "SM2")  # after a restart
    run(site_env, "worker", "--once")

    org_key = read_key(pseudonym_key_file(board.env["GATEWAY_INSTANCE_PATH"]))
    people = rows(
        database(site_env),
        "SELECT p.id, p.opted_out_at FROM participants p "
        "JOIN participant_numbers n ON n.participant_id = p.id WHERE n.phone = ?",
        [PHONE],
    )
    assert [row["id"] for row in people] == [pseudonym(org_key, PHONE)], (
        "one number became two participants: the STOP is under a stale pseudonym"
    )
    assert people[0]["opted_out_at"] is not None


def test_a_text_taken_the_moment_after_enrolment_is_under_the_new_key(site_env, board):
    """A running server may have read its key file just before enrolment
    replaced it. Texts never wait for a pseudonym, so its next text is taken
    under a first-come id, and the worker moves it under the new key."""
    running = site_app(site_env)
    runtime = running.extensions["gateway"]
    code = add_site(board.env, "Rose Court")
    assert runtime.pseudonym_key  # looked at just now, before the key changes

    enrol_here(running.config, board.url, code)
    with closing(connect(running.config["DATABASE"])) as db:
        handle_inbound(db, runtime, InboundSms("SM1", PHONE, "STOP"), MOMENT)
    run(site_env, "worker", "--once")

    org_key = read_key(pseudonym_key_file(board.env["GATEWAY_INSTANCE_PATH"]))
    assert participant_id(site_env, PHONE) == pseudonym(org_key, PHONE)
