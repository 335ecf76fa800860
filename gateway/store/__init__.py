"""All SQL the gateway runs lives in this package, one module per area.

Functions take a sqlite-utils Database and return plain data. Writers expect
to run inside `gateway.db.write_txn`; the caller owns the transaction.
Callers use `store.name`; each module's names are gathered here.
"""

from gateway.store.conversations import (
    OpenSession,
    add_alerts,
    create_response,
    find_open_session,
    idle_sessions,
    load_session,
    save_session,
)
from gateway.store.core import ensure_participant, get_meta, set_meta, set_meta_once
from gateway.store.outbox import (
    STATUS_RANK,
    cancel_for_participant,
    claim,
    enqueue,
    has_pending_invitation,
    list_outbox,
    mark_failed,
    mark_sent,
    next_due,
    outbox_counts,
    record_delivery_status,
    schedule_retry,
    set_body,
)
from gateway.store.responses import alerts_for, closed_responses, queue_counts
from gateway.store.sms import (
    inbound_reply,
    mark_privacy_notice,
    participant,
    phone_for,
    record_inbound,
    request_erasure,
    set_opted_out,
    sms_participant,
)

__all__ = [
    "OpenSession",
    "STATUS_RANK",
    "add_alerts",
    "alerts_for",
    "cancel_for_participant",
    "claim",
    "closed_responses",
    "create_response",
    "enqueue",
    "has_pending_invitation",
    "ensure_participant",
    "find_open_session",
    "get_meta",
    "idle_sessions",
    "inbound_reply",
    "list_outbox",
    "load_session",
    "mark_failed",
    "mark_privacy_notice",
    "mark_sent",
    "next_due",
    "outbox_counts",
    "participant",
    "phone_for",
    "queue_counts",
    "record_delivery_status",
    "record_inbound",
    "request_erasure",
    "save_session",
    "schedule_retry",
    "set_body",
    "set_meta",
    "set_meta_once",
    "set_opted_out",
    "sms_participant",
]
