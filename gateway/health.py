"""`GET /healthz`: is the gateway up, is its database sound, and what is waiting."""

from __future__ import annotations

import sqlite3

from flask import Blueprint, jsonify

from gateway import __version__, store
from gateway.db import get_db
from gateway.migrations import pending
from gateway.runtime import current_runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    runtime = current_runtime()
    body = {
        "status": "ok",
        "version": __version__,
        "site": {"id": runtime.site_id, "name": runtime.config["SITE"]},
        "flows": sorted(runtime.flows),
    }
    try:
        # Cheap reads only: load balancers poll this every few seconds, and an
        # integrity check reads the whole file. A damaged file still raises here.
        db = get_db()
        body["database"] = {
            "state": "ok",
            "journal_mode": next(db.query("PRAGMA journal_mode"))["journal_mode"],
            "pending_migrations": pending(db),
        }
        body["queued"] = store.queue_counts(db)
    except sqlite3.Error as error:
        body["status"] = "error"
        body["database"] = {"state": "unavailable", "error": type(error).__name__}
        return jsonify(body), 503
    return jsonify(body)
