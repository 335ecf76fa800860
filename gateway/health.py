"""`GET /healthz`: is the gateway up, is its database sound, and what is waiting.

Anyone may ask whether it is up. The details (site, version, flows, counts)
are for this machine, or for a monitor that sends the health token.
"""

from __future__ import annotations

import sqlite3

from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from gateway import __version__, store
from gateway.access import has_health_token, is_local_request
from gateway.db import get_db
from gateway.migrations import board_pending, pending
from gateway.runtime import current_runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    details = is_local_request() or has_health_token()
    runtime = current_runtime()
    body = {"status": "ok"}
    if details:
        body |= {
            "version": __version__,
            "site": {"id": runtime.site_id, "name": runtime.config["SITE"]},
            "flows": sorted(runtime.flows),
        }
    try:
        # Cheap reads only: load balancers poll this every few seconds, and an
        # integrity check reads the whole file. A damaged file still raises here.
        db = get_db()
        database = {
            "state": "ok",
            "journal_mode": next(db.query("PRAGMA journal_mode"))["journal_mode"],
            "pending_migrations": pending(db) + board_pending(runtime.config),
        }
        queued = store.responses.queue_counts(db)
        board = _board_counts()
    except (sqlite3.Error, SQLAlchemyError) as error:
        body["status"] = "error"
        if details:
            body["database"] = {"state": "unavailable", "error": type(error).__name__}
        return jsonify(body), 503
    if details:
        body |= {"database": database, "queued": queued}
        if board is not None:
            body["board"] = board
    return jsonify(body)


def _board_counts() -> dict | None:
    """Every site's responses and open alerts, where this install has a board."""
    engine = current_app.extensions.get("board_engine")
    if engine is None:
        return None
    from gateway.board.database import reading
    from gateway.board.store import records

    with reading(engine) as conn:
        return records.counts(conn)
