"""In role `both`, the install's own site hands its queue to its own board.

The worker's sync pass runs exactly as a site's does (sync_once: batches,
acknowledgements, set-asides), with this in place of the HTTP client, so the
board reads every response in one shape whatever the role. Nothing travels
and nothing is signed: the records never leave the machine.
"""

from __future__ import annotations

from flows.formats import iso
from gateway.board.database import reading, writing
from gateway.board.intake import accept_batch, own_words_by_flows
from gateway.board.store import records, sites, stream, subject_access

LIMIT = 200  # records a pull takes at once, as over HTTP


class LocalBoard:
    """A BoardClient for the board in the same install."""

    def __init__(self, app):
        self._engine = app.extensions["board_engine"]
        self._runtime = app.extensions["gateway"]

    def push(self, records: list[dict]) -> tuple[list[dict], str]:
        now = iso(self._runtime.clock())
        with writing(self._engine) as conn:
            sites.ensure_local_site(
                conn, self._runtime.config["SITE"], self._runtime.site_id, now
            )
            site = sites.site(conn, site_id=self._runtime.site_id)
            said_freely = own_words_by_flows(self._runtime.flows)
            return accept_batch(conn, site, records, now, said_freely), now

    def stream(self, cursor: int) -> dict:
        """What the board publishes for this site, as a site's pull gets it
        (its own opt changes never come back)."""
        with reading(self._engine) as conn:
            found, upto = stream.since(conn, cursor, self._runtime.site_id, LIMIT)
        return {"cursor": upto, "records": found}

    def subject_access(self, participant: str, response_ids: list[str]) -> list[dict]:
        with reading(self._engine) as conn:
            site_id = self._runtime.site_id
            return subject_access.held_for(conn, site_id, participant, response_ids)

    def alerts_dealt_with(self, alert_ids: list[str]) -> list[dict]:
        with reading(self._engine) as conn:
            return records.alerts_dealt_with(conn, self._runtime.site_id, alert_ids)
