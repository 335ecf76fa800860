"""Writing and publishing "You said, we did" posts, through the pages:
members draft, staff publish, a published post goes down the stream to its
sites once, the page says how it reads, and a person limited to some sites
sees and chooses only those."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gateway.board.database import reading, writing
from gateway.board.schema import audit, posts, stream
from gateway.board.store import posts as post_store
from gateway.board.store import sites
from gateway.board.store import stream as board_stream
from tests.board.pages import NOW

POST_ID = re.compile(r'id="post_id" name="post_id" type="hidden" value="([^"]+)"')
SEEN = re.compile(r'name="seen" value="([^"]+)"')
WORDS = "You said the lift was often broken. We have had it fixed."
SMS = "You said the lift broke a lot. We fixed it. Thank you for telling us."


@pytest.fixture
def rose(board) -> str:
    board.add_site("Oak House")
    return board.add_site("Rose Court")


def new_post_id(browser) -> str:
    page = browser.get("/board/posts/new")
    assert page.status_code == 200, page.get_data(as_text=True)
    return POST_ID.search(page.get_data(as_text=True)).group(1)


def a_post(board, **changes) -> dict:
    fields = {
        "words": WORDS,
        "sms_words": SMS,
        "change": "made",
        "rung": "consulting",
        "took_part": ["staff", "members"],
        "reason": "The lift company had to do the work.",
        "sites": [board.site_ids["Rose Court"]],
        "channels": ["kiosk", "sms"],
        "tag": "",
    }
    return fields | changes


def write(browser, fields: dict, post_id: str | None = None):
    post_id = post_id or new_post_id(browser)
    sent = browser.post(
        "/board/posts/new", {**fields, "post_id": post_id}, form_page="/board/posts/new"
    )
    return post_id, sent


def publish(browser, post_id: str):
    """Press Publish on the post's page, as it was when it was opened."""
    page = f"/board/posts/{post_id}"
    seen = SEEN.search(browser.get(page).get_data(as_text=True)).group(1)
    return browser.post(f"{page}/publish", {"seen": seen}, form_page=page)


def stored(board) -> list[dict]:
    with reading(board.engine) as conn:
        return [dict(row) for row in conn.execute(select(posts)).mappings()]


def test_a_member_writes_a_draft_and_staff_publish_it_to_its_sites(board, rose):
    member = board.browser("member")
    post_id, sent = write(member, a_post(board))
    assert sent.status_code == 302
    assert sent.headers["Location"].endswith(f"/board/posts/{post_id}")
    [draft] = stored(board)
    assert (draft["state"], draft["words"], draft["rung"]) == (
        "draft",
        WORDS,
        "consulting",
    )
    page = member.get(f"/board/posts/{post_id}").get_data(as_text=True)
    assert "Staff publish posts." in page and "Publish the post" not in page
    refused = member.post(
        f"/board/posts/{post_id}/publish", form_page=f"/board/posts/{post_id}"
    )
    assert refused.status_code == 403

    staff = board.browser("staff")
    published = publish(staff, post_id)

    assert published.status_code == 302
    assert stored(board)[0]["state"] == "published"
    with reading(board.engine) as conn:
        for_rose, _ = board_stream.since(conn, 0, rose, 10)
        for_oak, _ = board_stream.since(conn, 0, board.site_ids["Oak House"], 10)
        actions = conn.execute(select(audit.c.action)).scalars().all()
    assert for_oak == []
    [record] = for_rose
    assert record["kind"] == "post"
    assert record["body"] == {
        "id": post_id,
        "words": WORDS,
        "sms_words": SMS,
        "change": "made",
        "rung": "consulting",
        "took_part": ["staff", "members"],
        "reason": "The lift company had to do the work.",
        "channels": ["kiosk", "sms"],
        "published_at": stored(board)[0]["published_at"],
    }
    assert {"post_written", "post_published"} <= set(actions)


def test_publishing_twice_sends_it_once_and_a_published_post_cannot_change(board, rose):
    staff = board.browser("staff")
    post_id, _ = write(staff, a_post(board))
    page = f"/board/posts/{post_id}"
    seen = SEEN.search(staff.get(page).get_data(as_text=True)).group(1)
    for _ in range(2):  # a second click, or the page sent again
        staff.post(f"{page}/publish", {"seen": seen}, form_page=page)
    with reading(board.engine) as conn:
        assert len(conn.execute(select(stream.c.seq)).all()) == 1

    again = staff.get(f"/board/posts/{post_id}/change")
    assert again.status_code == 302  # to the post: there is no form to change it
    _, sent = write(staff, a_post(board, words="Something else."), post_id)
    assert sent.status_code == 302
    assert stored(board)[0]["words"] == WORDS
    said = staff.get(f"/board/posts/{post_id}").get_data(as_text=True)
    assert "Your changes were not kept." in said


def test_saving_the_same_new_draft_twice_keeps_one_draft(board, rose):
    staff = board.browser("staff")
    post_id, _ = write(staff, a_post(board))
    write(staff, a_post(board, words="We fixed the lift."), post_id)

    [draft] = stored(board)
    assert draft["words"] == "We fixed the lift."


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"words": ""}, "Write what you changed."),
        ({"words": "x" * 601}, "Use 600 letters or fewer."),
        ({"reason": ""}, "Say in one sentence why it was not decided together."),
        ({"rung": "voting"}, "Choose how it was decided."),
        ({"change": ""}, "Choose planned or made."),
        ({"took_part": []}, "Choose who took part."),
        ({"sites": []}, "Choose at least one site."),
        ({"sites": ["not-a-site"]}, "Choose sites from the list."),
        ({"channels": []}, "Choose at least one way to tell people."),
        ({"sms_words": ""}, "Write the text message, or do not send one."),
        ({"tag": "no such tag"}, "Choose a tag from the list."),
    ],
)
def test_a_mistake_is_explained_and_nothing_is_saved(board, rose, changes, problem):
    _, sent = write(board.browser("staff"), a_post(board, **changes))

    assert sent.status_code == 400
    page = sent.get_data(as_text=True)
    assert "There is a problem" in page and problem in page
    assert stored(board) == []


def test_co_production_needs_no_reason_and_keeps_none(board, rose):
    fields = a_post(board, rung="co-production", reason="left over")
    post_id, sent = write(board.browser("staff"), fields)

    assert sent.status_code == 302
    assert stored(board)[0]["reason"] == ""


def test_the_page_says_how_the_post_reads(board, rose):
    staff = board.browser("staff")
    long = " ".join(["word"] * 20) + "."
    post_id, _ = write(staff, a_post(board, words=long, sms_words="x" * 200))

    page = staff.get(f"/board/posts/{post_id}").get_data(as_text=True)

    assert "One sentence has 20 words. Try to keep to 15." in page
    assert "It takes 2 texts. Try to fit it in one." in page
    assert "It has 200 characters." in page


def test_a_person_limited_to_some_sites_sees_and_chooses_only_those(board, rose):
    oak = board.site_ids["Oak House"]
    staff = board.browser("staff")
    for_oak, _ = write(staff, a_post(board, sites=[oak]))
    for_both, _ = write(staff, a_post(board, sites=[oak, rose]))
    for_rose, _ = write(staff, a_post(board, sites=[rose]))

    limited = board.browser("staff", sites=("Rose Court",))
    assert limited.get(f"/board/posts/{for_oak}").status_code == 404
    assert limited.get(f"/board/posts/{for_oak}/change").status_code == 404
    listed = limited.get("/board/posts").get_data(as_text=True)
    assert for_both in listed and for_oak not in listed
    form = limited.get("/board/posts/new").get_data(as_text=True)
    assert "Rose Court" in form and "Oak House" not in form
    _, refused = write(limited, a_post(board, sites=[oak]))
    assert refused.status_code == 400
    # Nor can they change another site's draft by sending its id as new.
    _, refused = write(limited, a_post(board, sites=[rose]), post_id=for_oak)
    assert refused.status_code == 404

    # A post also for a site they cannot see: they read it, and that is all.
    page = limited.get(f"/board/posts/{for_both}").get_data(as_text=True)
    assert "Oak House" not in page and "Publish the post" not in page
    assert "also for sites you cannot see" in page
    assert limited.get(f"/board/posts/{for_both}/change").status_code == 403
    _, refused = write(limited, a_post(board, sites=[rose]), post_id=for_both)
    assert refused.status_code == 403
    seen = SEEN.search(staff.get(f"/board/posts/{for_both}").get_data(as_text=True))
    refused = limited.post(
        f"/board/posts/{for_both}/publish",
        {"seen": seen.group(1)},
        form_page=f"/board/posts/{for_rose}",
    )
    assert refused.status_code == 403
    with reading(board.engine) as conn:
        assert post_store.post(conn, for_both)["state"] == "draft"

    # Their own site's post they change and publish.
    assert publish(limited, for_rose).status_code == 302
    with reading(board.engine) as conn:
        assert post_store.post(conn, for_rose)["state"] == "published"


def test_staff_publish_the_draft_they_read_not_one_changed_since(board, rose):
    staff = board.browser("staff")
    post_id, _ = write(staff, a_post(board))
    page = f"/board/posts/{post_id}"
    seen = SEEN.search(staff.get(page).get_data(as_text=True)).group(1)
    # In the same second, so no time tells the two drafts apart.
    write(board.browser("member"), a_post(board, words="Different words."), post_id)

    stale = staff.post(f"{page}/publish", {"seen": seen}, form_page=page)

    assert stale.status_code == 302
    said = staff.get(page).get_data(as_text=True)
    assert "Someone changed the draft after you opened it." in said
    assert stored(board)[0]["state"] == "draft"
    assert publish(staff, post_id).status_code == 302  # read again, then publish
    assert stored(board)[0]["state"] == "published"


def test_a_post_goes_only_to_sites_not_revoked(board, rose):
    staff = board.browser("staff")
    oak = board.site_ids["Oak House"]
    both, _ = write(staff, a_post(board, sites=[oak, rose]))
    only_oak, _ = write(staff, a_post(board, sites=[oak]))
    with writing(board.engine) as conn:
        sites.revoke_site(conn, "Oak House", NOW)

    publish(staff, both)
    publish(staff, only_oak)

    with reading(board.engine) as conn:
        [record] = conn.execute(select(stream.c.seq)).all()
        assert board_stream.since(conn, 0, oak, 10)[0] == []
        assert post_store.post(conn, only_oak)["state"] == "draft"
    said = staff.get(f"/board/posts/{only_oak}").get_data(as_text=True)
    assert "No site can get it." in said


def test_a_text_in_letters_that_need_more_room_is_counted_as_texts(board, rose):
    """Curly quotes and Welsh letters make a text hold 70, not 160."""
    long_welsh = "Dŵr ’n oer. " * 25  # 275 characters: 5 texts of 67
    _, sent = write(board.browser("staff"), a_post(board, sms_words=long_welsh))

    assert sent.status_code == 400
    assert "That is more than 3 texts. Make it shorter." in sent.get_data(as_text=True)


def test_a_post_id_that_is_not_one_the_form_made_is_refused(board, rose):
    staff = board.browser("staff")
    _, sent = write(staff, a_post(board), post_id="../../etc")
    assert sent.status_code == 400
    assert stored(board) == []
    assert staff.get("/board/posts/" + "x" * 100).status_code == 404


def test_the_activity_log_says_who_wrote_and_published_a_post(board, rose):
    staff = board.browser("staff")
    post_id, _ = write(staff, a_post(board))
    publish(staff, post_id)

    page = staff.get("/board/activity")

    assert page.status_code == 200
    said = page.get_data(as_text=True)
    assert "wrote a draft post." in said and "published a post." in said


def test_lines_as_a_browser_sends_them_reach_the_site_as_lines(board, rose):
    """A browser ends each line of a text box with CR LF."""
    staff = board.browser("staff")
    lines = "You said the lift broke.\r\nWe fixed it.\r\n"
    post_id, _ = write(staff, a_post(board, words=lines, sms_words="We fixed it."))
    publish(staff, post_id)

    with reading(board.engine) as conn:
        [record], _ = board_stream.since(conn, 0, rose, 10)
    assert record["body"]["words"] == "You said the lift broke.\nWe fixed it."
