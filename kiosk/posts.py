"""'You said, we did' on a kiosk: what residents read of a post.

Each post the board published for this site's kiosks, newest first: its
words, whether the change is made or planned, and how the decision was
made, said plainly ("We decided this together with residents"), with the
board's reason below co-production.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ON_WELCOME = 1  # posts on the welcome screen: the newest, kept short
ON_THEIR_SCREEN = 10  # posts on "What we changed"
BACK_TO_WELCOME_SECONDS = 120  # then the kiosk is ready for the next person

CHANGE = {
    "made": _l("We have done this."),
    "planned": _l("We plan to do this."),
}
HOW_DECIDED = {  # the ladder of co-production, in residents' words
    "informing": _l("We decided this. We are telling you about it."),
    "consulting": _l("We asked people first. Then we decided."),
    "engaging": _l("We worked on this with people. Then we decided."),
    "co-design": _l("We planned this together with residents."),
    "co-production": _l("We decided this together with residents."),
}


def for_residents(post: dict) -> dict:
    """A post as the kiosk shows it."""
    return {
        "id": post["id"],
        "words": post["words"],
        "change": str(CHANGE.get(post["change"], "")),
        "how_decided": str(HOW_DECIDED.get(post["rung"], "")),
        "reason": post["reason"] if post["rung"] != "co-production" else "",
    }
