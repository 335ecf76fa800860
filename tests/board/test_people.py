"""The People and Sites pages, for admins only: adding people (with a
one-time link), changing their role and sites, turning accounts off and on,
the second-step rule, and adding and revoking sites. Every change is in the
audit log; members and staff can do none of it."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from gateway.board import accounts as rules
from gateway.board.database import reading, writing
from gateway.board.schema import (
    audit,
    board_settings,
    password_links,
    sites,
    user_sites,
    users,
)
from gateway.board.store import accounts
from gateway.board.sync_api import code_hash
from tests.board.pages import PASSWORD

LINK = re.compile(r'id="one-time-link">[^<]*/board/set-password/([^<\s]+)<')
CODE = re.compile(r'id="enrolment-code">([^<]+)<')


def everything(board) -> dict:
    """What an admin's actions could change."""
    with reading(board.engine) as conn:
        return {
            table.name: sorted(tuple(row) for row in conn.execute(select(table)))
            for table in (
                users,
                user_sites,
                password_links,
                sites,
                board_settings,
                audit,
            )
        }


def person_id(board, email: str) -> int:
    with reading(board.engine) as conn:
        return accounts.user_by_email(conn, email)["id"]


def logged(board, action: str) -> list[dict]:
    with reading(board.engine) as conn:
        rows = conn.execute(select(audit).where(audit.c.action == action)).mappings()
        return [{**row, "detail": json.loads(row["detail"])} for row in rows]


@pytest.fixture
def admin(board):
    board.add_site("Rose Court")
    board.add_site("Oak House")
    return board.browser("admin")


def post(browser, path: str, data: dict | None = None):
    return browser.post(path, data or {}, form_page="/board/account")


# Who may use these pages --------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "staff"])
def test_members_and_staff_cannot_see_people_or_sites(board, role):
    browser = board.browser(role)
    for path in (
        "/board/people",
        "/board/people/add",
        "/board/sites",
        "/board/sites/add",
    ):
        assert browser.get(path).status_code == 403, path


@pytest.mark.parametrize("role", ["member", "staff"])
def test_every_admin_action_posted_by_members_and_staff_is_refused(board, role):
    board.add_site("Rose Court")
    target = person_id(board, board.add_user("member"))
    turned_off = person_id(board, board.add_user("staff"))
    with writing(board.engine) as conn:
        accounts.disable_user(conn, turned_off, "2026-12-01T09:00:00Z")
    browser = board.browser(role)
    before = everything(board)
    actions = [
        ("/board/people/add", {"email": "x@example.org", "name": "X", "role": "admin"}),
        (f"/board/people/{target}", {"role": "admin"}),
        (f"/board/people/{target}/turn-off", {}),
        (f"/board/people/{turned_off}/turn-on", {}),
        (f"/board/people/{target}/new-link", {}),
        ("/board/people/second-step", {"required": "y"}),
        ("/board/sites/add", {"name": "Elm Lodge"}),
        ("/board/sites/Rose Court/revoke", {}),
    ]
    for path, data in actions:
        assert post(browser, path, data).status_code == 403, path
    assert everything(board) == before


def test_a_post_without_its_csrf_token_changes_nothing(board, admin):
    before = everything(board)
    answer = admin.client.post(
        "/board/people/add",
        data={"email": "x@example.org", "name": "X", "role": "staff"},
    )
    assert answer.status_code == 400
    assert (
        admin.client.post("/board/sites/add", data={"name": "Elm"}).status_code == 400
    )
    assert everything(board) == before


# People ----------------------------------------------------------------------------


def test_the_people_page_lists_everyone(board, admin):
    board.add_user("member", sites=("Rose Court",), name="Mina Member")
    page = admin.get("/board/people").get_data(as_text=True)
    assert "Mina Member" in page and "Rose Court" in page
    assert "Board member" in page and "Every site" in page  # the admin sees all


def test_adding_a_person_shows_their_link_once_and_logs_it(board, admin):
    answer = post(
        admin,
        "/board/people/add",
        {
            "email": "Sam@Example.org",
            "name": "Sam",
            "role": "staff",
            "sites": ["Oak House"],
        },
    )
    assert answer.status_code == 200
    token = LINK.search(answer.get_data(as_text=True)).group(1)
    with reading(board.engine) as conn:
        sam = accounts.user_by_email(conn, "sam@example.org")
    assert (sam["role"], sam["sites"], sam["password_hash"]) == (
        "staff",
        ("Oak House",),
        None,
    )
    assert board.browser().get(f"/board/set-password/{token}").status_code == 200
    [entry] = logged(board, "user_added")
    assert entry["response_id"] is None and entry["user_id"] is not None
    assert entry["detail"]["email"] == "sam@example.org"
    assert "sam@example.org" in admin.get("/board/people").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "", "name": "Sam", "role": "staff"}, "Enter their email address."),
        ({"email": "sam", "name": "Sam", "role": "staff"}, "like name@example.org"),
        (
            {"email": "sam@example.org", "name": "", "role": "staff"},
            "Enter their name.",
        ),
        (
            {"email": "sam@example.org", "name": "S" * 101, "role": "staff"},
            "100 characters",
        ),
        ({"email": "sam@example.org", "name": "Sam"}, "Choose a role."),
        (
            {
                "email": "sam@example.org",
                "name": "Sam",
                "role": "staff",
                "sites": ["Mars"],
            },
            "Choose from the sites on the list.",
        ),
    ],
)
def test_a_person_that_cannot_be_added_gets_a_clear_message(
    board, admin, data, message
):
    before = everything(board)
    answer = post(admin, "/board/people/add", data)
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
    assert everything(board) == before


def test_an_email_with_an_account_cannot_be_added_again(board, admin):
    email = board.add_user("member")
    before = everything(board)
    answer = post(
        admin,
        "/board/people/add",
        {"email": email.upper(), "name": "Again", "role": "staff"},
    )
    assert answer.status_code == 400
    assert "Someone has this email address already." in answer.get_data(as_text=True)
    assert everything(board) == before


def test_changing_a_persons_role_and_sites(board, admin):
    target = person_id(board, board.add_user("member"))
    answer = post(
        admin,
        f"/board/people/{target}",
        {"role": "staff", "sites": ["Rose Court", "Oak House"]},
    )
    assert answer.status_code == 302
    with reading(board.engine) as conn:
        changed = accounts.user(conn, target)
    assert changed["role"] == "staff"
    assert changed["sites"] == ("Oak House", "Rose Court")
    [entry] = logged(board, "user_changed")
    assert entry["detail"]["role"] == ["member", "staff"]
    assert post(admin, f"/board/people/{target}", {"role": "staff"}).status_code == 302
    with reading(board.engine) as conn:
        assert accounts.user(conn, target)["sites"] == ()  # every site again


def test_turning_an_account_off_signs_them_out_and_on_lets_them_back(board, admin):
    email = board.add_user("member")
    target = person_id(board, email)
    them = board.browser()
    them.sign_in(email)
    assert them.get("/board/account").status_code == 200
    assert post(admin, f"/board/people/{target}/turn-off").status_code == 302
    assert them.get("/board/account").status_code == 302
    answer = board.browser().sign_in(email)
    assert answer.status_code == 400  # as for any wrong password
    assert post(admin, f"/board/people/{target}/turn-on").status_code == 302
    assert board.browser().sign_in(email).status_code == 302
    assert [len(logged(board, a)) for a in ("user_disabled", "user_enabled")] == [1, 1]


def test_an_admin_cannot_turn_themselves_off(board, admin):
    me = person_id(board, _admin_email(board))
    post(admin, f"/board/people/{me}/turn-off")
    with reading(board.engine) as conn:
        assert accounts.user(conn, me)["disabled_at"] is None
    assert "You cannot turn off your own account." in admin.get(
        f"/board/people/{me}"
    ).get_data(as_text=True)


def test_the_last_admin_stays_an_admin(board, admin):
    me = person_id(board, _admin_email(board))
    answer = post(admin, f"/board/people/{me}", {"role": "staff"})
    assert answer.status_code == 400
    assert "They are the only admin." in answer.get_data(as_text=True)
    other = person_id(board, board.add_user("admin"))
    assert post(admin, f"/board/people/{other}/turn-off").status_code == 302
    assert post(admin, f"/board/people/{me}", {"role": "staff"}).status_code == 400
    with reading(board.engine) as conn:
        assert accounts.user(conn, me)["role"] == "admin"
        assert accounts.enabled_admins(conn) == 1


def _admin_email(board) -> str:
    with reading(board.engine) as conn:
        return conn.execute(
            select(users.c.email).where(users.c.role == "admin")
        ).scalar()


def test_a_new_link_for_someone_who_forgot_their_password(board, admin):
    email = board.add_user("member")
    target = person_id(board, email)
    first = LINK.search(
        post(admin, f"/board/people/{target}/new-link").get_data(as_text=True)
    )
    second = LINK.search(
        post(admin, f"/board/people/{target}/new-link").get_data(as_text=True)
    )
    assert (
        board.browser().get(f"/board/set-password/{first.group(1)}").status_code == 404
    )
    assert (
        board.browser().get(f"/board/set-password/{second.group(1)}").status_code == 200
    )
    assert len(logged(board, "password_link_made")) == 2
    assert board.browser().sign_in(email, PASSWORD).status_code == 302  # until then


def test_a_turned_off_account_gets_no_link_and_its_links_stop(board, admin):
    target = person_id(board, board.add_user("member"))
    token = LINK.search(
        post(admin, f"/board/people/{target}/new-link").get_data(as_text=True)
    )
    post(admin, f"/board/people/{target}/turn-off")
    assert (
        board.browser().get(f"/board/set-password/{token.group(1)}").status_code == 404
    )
    assert post(admin, f"/board/people/{target}/new-link").status_code == 302
    assert len(logged(board, "password_link_made")) == 1


def test_an_admin_can_require_a_second_step_for_staff(board, admin):
    answer = post(admin, "/board/people/second-step", {"required": "y"})
    assert answer.status_code == 302
    with reading(board.engine) as conn:
        assert accounts.setting(conn, rules.REQUIRE_SECOND_STEP) == "1"
    [entry] = logged(board, "setting_changed")
    assert entry["detail"] == {rules.REQUIRE_SECOND_STEP: "1"}
    assert (
        admin.get("/board/people").headers["Location"] == "/board/account/second-step"
    )


# Sites --------------------------------------------------------------------------------


def test_the_sites_page_lists_each_site(board, admin):
    page = admin.get("/board/sites").get_data(as_text=True)
    assert "Rose Court" in page and "Oak House" in page
    assert "1 December 2026" in page  # last in touch


def test_adding_a_site_shows_its_code_once(board, admin):
    answer = post(admin, "/board/sites/add", {"name": "  Elm Lodge "})
    code = CODE.search(answer.get_data(as_text=True)).group(1)
    with reading(board.engine) as conn:
        waiting = conn.execute(select(sites).where(sites.c.name == "Elm Lodge")).one()
    assert waiting.enrol_code_hash == code_hash(code) and waiting.enrolled_at is None
    assert logged(board, "site_added")[0]["detail"] == {"site": "Elm Lodge"}
    refused = post(admin, "/board/sites/add", {"name": "Rose Court"})
    assert refused.status_code == 400
    assert "There is a site called Rose Court already." in refused.get_data(
        as_text=True
    )
    assert post(admin, "/board/sites/add", {"name": ""}).status_code == 400


def test_revoking_a_site_asks_first(board, admin):
    asked = admin.get("/board/sites/Rose Court/revoke")
    assert asked.status_code == 200 and "Revoke Rose Court?" in asked.get_data(
        as_text=True
    )
    with reading(board.engine) as conn:
        assert (
            conn.execute(
                select(sites.c.revoked_at).where(sites.c.name == "Rose Court")
            ).scalar()
            is None
        )
    assert post(admin, "/board/sites/Rose Court/revoke").status_code == 302
    with reading(board.engine) as conn:
        assert conn.execute(
            select(sites.c.revoked_at).where(sites.c.name == "Rose Court")
        ).scalar()
    assert len(logged(board, "site_revoked")) == 1
    assert admin.get("/board/sites/Rose Court/revoke").status_code == 404


def test_names_in_messages_are_never_read_as_html(board, admin):
    board.add_site("<b>Elm</b>")
    refused = post(admin, "/board/sites/add", {"name": "<b>Elm</b>"}).get_data(
        as_text=True
    )
    assert "&lt;b&gt;Elm&lt;/b&gt;" in refused and "<b>Elm</b>" not in refused
    target = person_id(board, board.add_user("member", name="<i>Bo</i>"))
    post(admin, f"/board/people/{target}", {"role": "staff"})
    people = admin.get("/board/people").get_data(as_text=True)
    assert "&lt;i&gt;Bo&lt;/i&gt;" in people and "<i>Bo</i>" not in people
