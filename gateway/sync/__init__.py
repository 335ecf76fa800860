"""Sync between sites and the organisation's board: every record arrives exactly once.

A site queues what must move up (closed responses, alerts, opt-outs) by
trigger, in the same transaction as the change. `gateway sync run` and the
worker push the queue in signed batches; the board stores each record under
its site and id, so a repeat is a no-op, and acknowledges every record. The
site marks as synced only what the board acknowledged. Down the other way,
the site takes the board's stream (opt-outs from other sites, and every
kind after them), each record applied once by its id.

- signing.py   HMAC-SHA256 request signatures, both sides
- protocol.py  what both sides agree on: batch size, the verify summary
- records.py   the records a site sends, built from its tables
- client.py    the site's HTTP client for the board
- runner.py    one pass and the retrying loop, with backoff
- stream.py    taking the board's stream, and what applies each kind
- enrolment.py joining a site to a board
"""
