"""The board's SQL, and only the board's: one module per area, each a set of
functions over a SQLAlchemy Connection, written in Core so that they run the
same on SQLite and PostgreSQL.

- sites.py     enrolled sites and the nonces of their signed requests
- records.py   every record sites sent, and the responses, answers and alerts
               they carry
- accounts.py  the people who use the board, their sign-in and sites
- inbox.py     finding responses: folders, filters, counts, pages
- filter_choices.py  what the inbox's filters offer: sites, flows, answers
- audit.py     the append-only log of every change anyone makes
- activity_log.py  that log as one viewer may see it
- own_responses.py  responses typed in on the board itself (paper cards)
- review.py    what people do to a response: status, flag, assignment, alerts
               acknowledged, who has it open
- tagging.py   tags, and which responses carry them
- comments.py  comments everyone reads, and notes only staff read
- hidden_words.py  words hidden from board members
- own_words.py  what people wrote, kept for the word search
"""

from gateway.board.store import audit, records, sites  # noqa: F401
