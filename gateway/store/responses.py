"""SQL for reading closed responses, their answers and alerts, and queue counts."""

from __future__ import annotations

from collections.abc import Iterator

import sqlite_utils

Database = sqlite_utils.Database


# Reading responses ----------------------------------------------------------------


CHUNK = 1000  # responses read at a time, each chunk's answers in one query


def closed_responses(
    db: Database,
    *,
    since: str | None = None,
    before: str | None = None,
    include_test: bool = False,
    flow_id: str | None = None,
    channels: tuple[str, ...] = (),
    language: str | None = None,
) -> Iterator[dict]:
    """Closed responses, oldest first (by id), each with its answers keyed by
    step id, read CHUNK at a time: memory stays flat however many there are."""
    where, params = _closed_where(
        since, before, include_test, flow_id, channels, language
    )
    # Only a board has board_sites (the board's migrations make it): there a
    # response is named by the site that sent it; at a site, by this site.
    site, sites = "m.value", ""
    if "board_sites" in db.table_names():
        site = "coalesce(b.name, m.value)"
        sites = "LEFT JOIN board_sites b ON b.site_id = r.site_id"
    after = ""
    while True:
        rows = list(
            db.query(
                f"""SELECT r.id, r.flow_id, r.flow_version, r.channel, r.language,
                        r.kiosk, r.site_id, {site} AS site, r.started_at,
                        r.closed_at, r.status, r.close_reason, r.is_test,
                        r.opening_text, r.helped
                    FROM responses r LEFT JOIN meta m ON m.key = 'site_name' {sites}
                    WHERE {where} AND r.id > ?
                    ORDER BY r.id LIMIT {CHUNK}""",  # noqa: S608 - fixed text
                [*params, after],
            )
        )
        if not rows:
            return
        answers = _answers_of(db, [row["id"] for row in rows])
        for row in rows:
            row["is_test"] = bool(row["is_test"])
            row["answers"] = answers.get(row["id"], {})
            yield row
        after = rows[-1]["id"]


def closed_step_ids(db: Database, **filters) -> list[tuple[str, str]]:
    """Each (flow id, step id) answered in the closed responses that match
    `filters` (closed_responses' own): an export's columns, before its rows."""
    where, params = _closed_where(**filters)
    return [
        (row["flow_id"], row["step_id"])
        for row in db.query(
            f"""SELECT DISTINCT r.flow_id, a.step_id
                FROM responses r JOIN answers a ON a.response_id = r.id
                WHERE {where}""",  # noqa: S608 - clauses are fixed text
            params,
        )
    ]


def count_closed(db: Database, **filters) -> int:
    """How many closed responses match `filters` (closed_responses' own)."""
    where, params = _closed_where(**filters)
    query = f"SELECT count(*) AS n FROM responses r WHERE {where}"  # noqa: S608
    return next(db.query(query, params))["n"]


def _closed_where(
    since=None,
    before=None,
    include_test=False,
    flow_id=None,
    channels=(),
    language=None,
) -> tuple[str, list]:
    clauses, params = ["r.status != 'open'"], []
    if since:
        clauses.append("r.closed_at >= ?")
        params.append(since)
    if before:
        clauses.append("r.closed_at < ?")
        params.append(before)
    if not include_test:
        clauses.append("r.is_test = 0")
    if flow_id:
        clauses.append("r.flow_id = ?")
        params.append(flow_id)
    if channels:
        clauses.append(f"r.channel IN ({', '.join('?' for _ in channels)})")
        params += list(channels)
    if language:
        clauses.append("r.language = ?")
        params.append(language)
    return " AND ".join(clauses), params


def _answers_of(db: Database, response_ids: list[str]) -> dict[str, dict]:
    """The answers of these responses, by response and then step id, in order."""
    found: dict[str, dict] = {}
    marks = ", ".join("?" for _ in response_ids)
    for answer in db.query(
        f"""SELECT response_id, step_id, value, raw, prompt, state, answered_at
            FROM answers WHERE response_id IN ({marks})
            ORDER BY response_id, position""",  # noqa: S608 - placeholders only
        response_ids,
    ):
        its = found.setdefault(answer.pop("response_id"), {})
        its[answer.pop("step_id")] = answer
    return found


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
