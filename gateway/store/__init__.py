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
from gateway.store.responses import alerts_for, closed_responses, queue_counts

__all__ = [
    "OpenSession",
    "add_alerts",
    "alerts_for",
    "closed_responses",
    "create_response",
    "ensure_participant",
    "find_open_session",
    "get_meta",
    "idle_sessions",
    "load_session",
    "queue_counts",
    "save_session",
    "set_meta",
    "set_meta_once",
]
