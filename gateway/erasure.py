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
from pathlib import Path

from gateway import store
from gateway.db import write_txn
from gateway.pseudonyms import work_out_now

log = logging.getLogger("gateway.erasure")


@dataclass(frozen=True)
class Erased:
    responses: int  # erased here
    on_the_board: int  # records the board holds, to be erased there after sync


def carry_out_erasures(db, instance_path: str | Path, now: str) -> int:
    """Every confirmed request, carried out; how many people were erased."""
    done = 0
    for request in store.erasure.to_carry_out(db):
        erase_person(db, instance_path, request["participant_id"], now)
        done += 1
    if done:
        log.info("erased %d person(s) at their request", done)
    return done


def erase_person(db, instance_path: str | Path, participant_id: str, now: str):
    """Erase one person here, and queue the erasure for the board."""
    participant_id = work_out_now(db, instance_path, participant_id)
    with write_txn(db):
        responses = store.erasure.response_count(db, participant_id)
        sent = store.erasure.erase_participant(db, participant_id, now)
    return Erased(responses, len(sent))
