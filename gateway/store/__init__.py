"""All of a site's SQL lives in this package, one module per area.

Functions take a sqlite-utils Database and return plain data. Writers expect
to run inside `gateway.db.write_txn`; the caller owns the transaction.
Callers name the area: `store.outbox.claim(db, ...)`, `store.sms.phone_for(...)`.
(The board's SQL is gateway/board/store.py.)
"""

from gateway.store import (  # noqa: F401 - loaded so `store.<area>` works
    conversations,
    core,
    duty,
    erasure,
    kiosks,
    outbox,
    participants,
    posts,
    responses,
    retention,
    sms,
    stream,
    subject_access,
    sync,
)
