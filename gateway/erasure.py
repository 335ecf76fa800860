"""Carrying out erasure: a person's answers and number go, at the site and then
on the board.

A request is confirmed by the person (DELETE, then YES, see
gateway.sms.deleting) or made by staff (`gateway erase`). The worker carries
out confirmed requests on every pass. Their pseudonym is worked out first, so
the one pseudonym kept (opted out, so they are never invited again) is the
one the board and every other site know them by. Then everything else is
erased in one transaction (store.erasure.erase_participant), and an erasure
record naming what the board was sent goes to the board, which erases it too
(gateway.board.store.erasure).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flows.formats import iso
from gateway import store
from gateway.db import write_txn
from gateway.pseudonyms import work_out_now

log = logging.getLogger("gateway.erasure")


# An erasure waits while the person has an alert raised this recently that no
# one has dealt with: a duty contact may need their number to reach them.
ALERT_HOLDS_ERASURE_FOR = timedelta(days=7)


@dataclass(frozen=True)
class Erased:
    responses: int  # erased here
    on_the_board: int  # records the board holds, to be erased there after sync


class NotYet(Exception):
    """The erasure must wait; the message says why, in plain words."""


def carry_out_erasures(db, instance_path: str | Path, now: datetime) -> int:
    """Every confirmed request that may be carried out now; how many people
    were erased. One that must wait stays confirmed for the next pass."""
    done = 0
    for request in store.erasure.to_carry_out(db, iso(now - ALERT_HOLDS_ERASURE_FOR)):
        try:
            erase_person(db, instance_path, request["participant_id"], now)
        except NotYet:
            continue
        done += 1
    if done:
        log.info("erased %d person(s) at their request", done)
    return done


def erase_person(db, instance_path: str | Path, participant_id: str, now: datetime):
    """Erase one person here, and queue the erasure for the board."""
    alerts_since = iso(now - ALERT_HOLDS_ERASURE_FOR)
    if store.erasure.waiting_for_an_alert(db, participant_id, alerts_since):
        raise NotYet(
            "They have an alert no one has dealt with yet. Their number is kept "
            "until a duty contact has dealt with it (or for 7 days)."
        )
    participant_id = work_out_now(db, instance_path, participant_id)
    with write_txn(db):
        if store.participants.is_unkeyed(db, participant_id):
            # The key changed meanwhile: the pseudonym kept must be the one
            # the board knows, so this waits for the worker's next pass.
            raise NotYet("Their pseudonym is still being worked out.")
        responses = store.erasure.response_count(db, participant_id)
        sent = store.erasure.erase_participant(db, participant_id, iso(now))
    return Erased(responses, len(sent))
