"""SQL for reading closed responses, their answers and alerts, and queue counts."""

from __future__ import annotations

from collections.abc import Iterator

import sqlite_utils

Database = sqlite_utils.Database


# Reading responses ----------------------------------------------------------------


def closed_responses(
    db: Database,
    *,
    since: str | None = None,
    include_test: bool = False,
    flow_id: str | None = None,
) -> Iterator[dict]:
    """Closed responses, oldest first, each with its answers keyed by step id."""
    clauses, params = ["r.status != 'open'"], []
    if since:
        clauses.append("r.closed_at >= ?")
        params.append(since)
    if not include_test:
        clauses.append("r.is_test = 0")
    if flow_id:
        clauses.append("r.flow_id = ?")
        params.append(flow_id)
    where = " AND ".join(clauses)
    # Only a board has board_sites (the board's migrations make it): there a
    # response is named by the site that sent it; at a site, by this site.
    site, sites = "m.value", ""
    if "board_sites" in db.table_names():
        site = "coalesce(b.name, m.value)"
        sites = "LEFT JOIN board_sites b ON b.site_id = r.site_id"
    rows = db.query(
        f"""SELECT r.id, r.flow_id, r.flow_version, r.channel, r.language, r.kiosk,
                r.site_id, {site} AS site, r.started_at,
                r.closed_at, r.status, r.close_reason, r.is_test, r.opening_text,
                r.helped
            FROM responses r LEFT JOIN meta m ON m.key = 'site_name' {sites}
            WHERE {where} ORDER BY r.id""",  # noqa: S608 - clauses are fixed text
        params,
    )
    for row in rows:
        row["is_test"] = bool(row["is_test"])
        row["answers"] = {
            answer.pop("step_id"): answer
            for answer in db.query(
                """SELECT step_id, value, raw, prompt, state, answered_at
                   FROM answers WHERE response_id = ? ORDER BY position""",
                [row["id"]],
            )
        }
        yield row


def alerts_for(db: Database, response_id: str) -> list[dict]:
    return list(
        db.query(
            "SELECT * FROM alerts WHERE response_id = ? ORDER BY id", [response_id]
        )
    )


def queue_counts(db: Database) -> dict:
    """What is waiting: open conversations, closed responses and open alerts."""
    row = next(
        db.query("""
        SELECT
          (SELECT count(*) FROM sessions) AS open_conversations,
          (SELECT count(*) FROM responses WHERE status != 'open' AND is_test = 0)
              AS closed_responses,
          (SELECT count(*) FROM alerts WHERE status = 'open' AND is_test = 0)
              AS open_alerts
    """)
    )
    return dict(row)
