"""Reminding duty contacts of alerts no one has dealt with yet.

An alert's duty contacts are texted when it is raised (gateway.conversations).
While the board has not said that someone dealt with it (sync brings that
back), the worker texts them again every GATEWAY_ALERT_REMINDER_MINUTES: the
second time the same people, the third time the escalation contacts as well.
Then it stops texting (each reminder is logged as a warning); the alert stays
at the top of the board's staff pages until someone deals with it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flows.formats import iso
from gateway import store
from gateway.db import write_txn

log = logging.getLogger("gateway.safeguarding")
ROUNDS = 3  # the first text, a reminder, then the escalation contacts too


def remind_duty_contacts(db, config: dict, now: datetime) -> int:
    """Text again about alerts still open; how many texts were queued."""
    wait = timedelta(minutes=config["ALERT_REMINDER_MINUTES"])
    queued = 0
    with write_txn(db):
        for alert in store.duty.not_dealt_with(db, iso(now - wait), ROUNDS):
            escalating = alert["rounds"] + 1 >= ROUNDS
            who = "duty and escalation" if escalating else "duty"
            log.warning(
                "safeguarding alert %s is not dealt with yet: texting the %s "
                "contacts again",
                alert["id"],
                who,
            )
            sent = store.duty.notify(db, [alert["id"]], iso(now), escalating)
            if not sent:
                log.error(
                    "safeguarding alert %s: there is no duty contact to text "
                    "(add one with `gateway duty add`)",
                    alert["id"],
                )
            queued += sent
    return queued
