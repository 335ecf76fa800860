"""The sample data `gateway demo` fills a board with, once: two sites, four
weeks of Friends and Family Test answers by text, kiosk and paper, one
safeguarding alert, and two people to sign in as.

Every response is marked as test data (is_test) and every site's name ends
with "(sample)". The answers are run through the flow engine, as paper cards
are (gateway.board.paper), so they have the shape real ones have, and the
one alert is raised by the engine from words that disclose harm.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from flows.formats import iso
from flows.model import Family
from gateway.board import paper
from gateway.board.accounts import hash_password, password_matches
from gateway.board.intake import own_words_by_flows
from gateway.board.store import accounts, audit, own_responses, records, sites
from gateway.ids import uuid7

FIRST_SITE = "Riverside Care Home (sample)"  # the demo install's own site
SECOND_SITE = "Hillside Day Centre (sample)"
KIOSKS = {FIRST_SITE: "Demo kiosk", SECOND_SITE: "Reception"}
FFT = "friends-and-family"  # flows/library/friends-and-family.yaml
HOW_MANY = 120
WEEKS = 4
# NHS England's published shares are about 80% very good or good: roughly so.
OVERALL = {
    "very_good": 48,
    "good": 26,
    "neither": 8,
    "poor": 7,
    "very_poor": 5,
    "dont_know": 6,
}
CHANNELS = {"sms": 45, "kiosk": 35, "paper": 20}
KIND_WORDS = (
    "The staff were kind and took their time with me.",
    "Lovely food today. The soup was hot.",
    "The garden is nice to sit in when it is sunny.",
    "Staff always say hello and know my name.",
    "The music afternoon was the best part of my week.",
    "Clean and calm. I felt welcome.",
    "My mum is happy here and that makes me happy.",
    "They explained everything in a way I understood.",
)
MIXED_WORDS = (
    "It was OK. Sometimes I wait a long time for help.",
    "Good staff but not enough of them at weekends.",
    "The room was fine. The TV is too loud in the lounge.",
)
COMPLAINTS = (
    "I waited over an hour for my tablets.",
    "Nobody told my family about the change to visiting times.",
    "The food was cold again and there was no choice.",
    "The call bell was not answered for a long time at night.",
    "Staff talked over me as if I was not there.",
    "My glasses went missing and nobody helped me look.",
)
# The one response that discloses harm: the engine raises its alert.
DISCLOSURE = "One of the night staff pushed me and I am scared of him."
FIRST_DISCLOSURE_DAY = 9  # days before the demo starts


@dataclass(frozen=True)
class SignIn:
    role: str  # admin or member
    email: str
    password: str
    name: str
    sites: tuple[str, ...] = ()


def sign_ins(passwords: dict[str, str] | None = None) -> list[SignIn]:
    """The demo's two people; new passwords unless `passwords` (role to
    password) gives them."""
    passwords = passwords or {}

    def password(role: str) -> str:
        return passwords.get(role) or secrets.token_urlsafe(12)

    return [
        SignIn("admin", "demo-admin@example.org", password("admin"), "Demo admin"),
        SignIn(
            "member",
            "demo-member@example.org",
            password("member"),
            "Demo board member",
            (FIRST_SITE,),
        ),
    ]


def has_samples(conn: Connection) -> bool:
    return sites.site(conn, name=SECOND_SITE) is not None


def fill_board(
    conn: Connection,
    runtime,
    *,
    local_site_id: str,
    people: list[SignIn],
    now: datetime,
) -> bool:
    """Add the sample sites, responses and alert, once; make sure the people
    exist with these passwords. False if the samples were there already."""
    if has_samples(conn):
        keep_sign_ins(conn, people, iso(now))
        return False
    sites.ensure_local_site(conn, FIRST_SITE, local_site_id, iso(now))
    sites.add_site(conn, SECOND_SITE, "", iso(now), iso(now))
    second_id = uuid7()
    sites.enrol_site(conn, SECOND_SITE, second_id, secrets.token_hex(32), iso(now))
    site_ids = {FIRST_SITE: local_site_id, SECOND_SITE: second_id}
    keep_sign_ins(conn, people, iso(now))  # the member's site must exist first
    typist = accounts.user_by_email(conn, people[0].email)["id"]
    made = [
        _store(conn, runtime, card, site_ids, typist)
        for card in sample_cards(now, random.Random(2026))  # noqa: S311 - not secret
    ]
    audit.record(
        conn,
        at=iso(now),
        user_id=None,
        action="sample_data_added",
        detail={"responses": len(made), "alerts": sum(made)},
        note="gateway demo: sample data, nothing real",
    )
    return True


def keep_sign_ins(conn: Connection, people: list[SignIn], now: str) -> None:
    for person in people:
        found = accounts.user_by_email(conn, person.email)
        if found is None:
            accounts.add_user(
                conn,
                email=person.email,
                name=person.name,
                role=person.role,
                now=now,
                sites=person.sites,
                password_hash=hash_password(person.password),
            )
        elif not password_matches(found["password_hash"], person.password):
            accounts.set_password_hash(
                conn, found["id"], hash_password(person.password)
            )


@dataclass(frozen=True)
class SampleCard:
    site: str
    channel: str
    at: datetime
    answers: dict[str, str]
    helped: bool = False


def sample_cards(now: datetime, rng: random.Random) -> list[SampleCard]:
    """HOW_MANY answers over the last WEEKS weeks, oldest first, and the one
    that discloses harm."""
    cards = [_sample_card(now, rng) for _ in range(HOW_MANY - 1)]
    cards.append(
        SampleCard(
            FIRST_SITE,
            "kiosk",
            _moment(now, FIRST_DISCLOSURE_DAY, 21),
            {"overall": "very_poor", "why": DISCLOSURE},
        )
    )
    return sorted(cards, key=lambda card: card.at)


def _sample_card(now: datetime, rng: random.Random) -> SampleCard:
    site = FIRST_SITE if rng.random() < 0.6 else SECOND_SITE
    channel = _pick(rng, CHANNELS)
    overall = _pick(rng, OVERALL)
    at = _moment(now, rng.randrange(1, WEEKS * 7 + 1), rng.randrange(8, 20), rng)
    answers = {"overall": overall}
    words = _words_for(overall, rng)
    if words:
        answers["why"] = words
    if channel == "sms" and rng.random() < 0.1:
        answers = {"overall": overall}  # went quiet after one answer: partial
    elif channel == "sms":
        answers.setdefault("why", "")
        answers["contact"] = "yes" if rng.random() < 0.3 else "no"
    answers = {step: value for step, value in answers.items() if value}
    helped = channel != "sms" and rng.random() < 0.2
    return SampleCard(site, channel, at, answers, helped)


def _words_for(overall: str, rng: random.Random) -> str | None:
    if overall in ("poor", "very_poor"):
        return rng.choice(COMPLAINTS) if rng.random() < 0.8 else None
    if overall == "neither":
        return rng.choice(MIXED_WORDS) if rng.random() < 0.6 else None
    if overall in ("very_good", "good"):
        return rng.choice(KIND_WORDS) if rng.random() < 0.4 else None
    return None


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _moment(now, days_ago: int, hour: int, rng: random.Random | None = None):
    day = (now - timedelta(days=days_ago)).replace(second=0, microsecond=0)
    minute = rng.randrange(60) if rng else 10
    return day.replace(hour=hour, minute=minute)


STOPPED = {"sms": "expired", "kiosk": "idle_reset", "paper": "finished_early"}


def _store(conn, runtime, card: SampleCard, site_ids: dict, typist: int) -> int:
    """One sample response through the engine into the board; its alerts."""
    flow = runtime.flows[FFT]
    family = Family.TEXT if card.channel == "sms" else Family.TOUCH
    result = paper.run_card(
        flow,
        card.answers,
        at=card.at,
        ctx=runtime.context(flow.language),
        language=flow.language,
        channel=card.channel,
        family=family,
        stop_reason=STOPPED[card.channel],
    )
    response_id = uuid7()
    record = paper.response_record(
        result,
        response_id=response_id,
        site_id=site_ids[card.site],
        helped=card.helped,
        entered_by=typist if card.channel == "paper" else None,
        kiosk=KIOSKS[card.site] if card.channel == "kiosk" else None,
    )
    own_steps = own_words_by_flows(runtime.flows)(record)
    record["flow_version"] = str(record["flow_version"])
    received = iso(card.at + timedelta(minutes=2))
    own_responses.add_response_once(conn, record, received, own_steps, is_test=True)
    alerts = paper.alert_records(
        result,
        response_id=response_id,
        site_id=site_ids[card.site],
        raised_at=iso(card.at),
        new_id=uuid7,
    )
    for alert in alerts:
        records.apply_alert(conn, alert, received)
    return len(alerts)
