"""Reviewing a response: status, flag, who has it, tags, notes and comments,
hidden words, safeguarding alerts, and the activity log."""

from __future__ import annotations

import re

from tests.board.pages import audit_actions, rows_of, set_clock

FORMS = "/board/tags"  # a page to take each form's CSRF token from
WHY = "My name is Jo Bloggs and the tea was cold"


def feedback(board, site: str = "Oak House", **fields) -> str:
    return board.add_response(
        site,
        [
            {"step_id": "overall", "value": "poor", "raw": "4"},
            {"step_id": "why", "value": WHY, "raw": WHY, "prompt": "Why?"},
        ],
        **fields,
    )


def one(board, table: str, **where) -> dict:
    found = [
        row
        for row in rows_of(board, table)
        if all(row[k] == v for k, v in where.items())
    ]
    assert len(found) == 1, found
    return found[0]


def last_audit(board) -> dict:
    return max(rows_of(board, "audit"), key=lambda row: row["seq"])


def signed_in(board, role: str, name: str, sites: tuple[str, ...] = ()):
    browser = board.browser()
    browser.sign_in(board.add_user(role, sites, name=name))
    return browser


def test_status_flag_and_who_has_it(board):
    response_id = feedback(board)
    sam = signed_in(board, "staff", "Sam")
    board.add_site("Elm Court")
    signed_in(board, "staff", "Kit", sites=("Elm Court",))  # cannot see Oak House
    base = f"/board/responses/{response_id}"
    answer = sam.post(
        f"{base}/status",
        {"status": "actioned", "status_note": "Spoke to the cook"},
        form_page=FORMS,
    )
    assert answer.status_code == 302
    assert "Saved. It is now: Acted on." in sam.get(base).get_data(as_text=True)
    assert one(board, "responses")["review_status"] == "actioned"
    entry = last_audit(board)
    assert (entry["action"], entry["note"]) == ("status", "Spoke to the cook")
    assert '"from": "new"' in entry["detail"] and '"to": "actioned"' in entry["detail"]
    wrong = sam.post(f"{base}/status", {"status": "lost"}, form_page=FORMS)
    assert wrong.status_code == 400
    assert "Choose where it has got to." in wrong.get_data(as_text=True)

    sam.post(f"{base}/flag", {"flagged": "yes"}, form_page=FORMS)
    assert one(board, "responses")["flagged"] is True
    sam.post(f"{base}/flag", {"flagged": "no"}, form_page=FORMS)
    assert one(board, "responses")["flagged"] is False

    people = {row["name"]: row["id"] for row in rows_of(board, "users")}
    page = sam.get(base).get_data(as_text=True)
    assert ">Sam</option>" in page and ">Kit</option>" not in page
    sam.post(f"{base}/assign", {"person": str(people["Sam"])}, form_page=FORMS)
    assert one(board, "responses")["assigned_to"] == people["Sam"]
    refused = sam.post(
        f"{base}/assign", {"person": str(people["Kit"])}, form_page=FORMS
    )
    assert refused.status_code == 400
    assert "Choose a person from the list." in refused.get_data(as_text=True)
    sam.post(f"{base}/assign", {"person": ""}, form_page=FORMS)
    assert one(board, "responses")["assigned_to"] is None
    assert audit_actions(board, response_id) == [
        "status",
        "flagged",
        "flagged",
        "assigned",
        "assigned",
    ]


def test_tags_are_made_suggested_taken_off_and_explained(board):
    first, second = feedback(board), feedback(board)
    member = signed_in(board, "member", "Mo")
    member.post(
        f"/board/responses/{first}/tags",
        {"tag_name": " Food  and drink "},
        form_page=FORMS,
    )
    member.post(
        f"/board/responses/{first}/tags",
        {"tag_name": "food AND drink"},
        form_page=FORMS,
    )
    assert [t["name"] for t in rows_of(board, "tags")] == ["Food and drink"]
    assert len(rows_of(board, "response_tags")) == 1  # the same tag, in any case
    page = member.get(f"/board/responses/{second}").get_data(as_text=True)
    assert '<datalist id="board-tag-names">' in page
    assert '<option value="Food and drink">' in page

    staff = signed_in(board, "staff", "Sam")
    changed = staff.post(
        "/board/tags",
        {"name": "Food and drink", "description": "Meals, snacks and drinks"},
        form_page=FORMS,
    )
    assert changed.status_code == 302
    assert "Meals, snacks and drinks" in member.get(FORMS).get_data(as_text=True)
    assert one(board, "tags")["description"] == "Meals, snacks and drinks"
    assert last_audit(board)["action"] == "tag_changed"

    member.post(
        f"/board/responses/{first}/tags/remove",
        {"tag_name": "Food and drink"},
        form_page=FORMS,
    )
    assert rows_of(board, "response_tags") == []
    assert audit_actions(board, first) == ["tag_added", "tag_removed"]
    assert "Change the tag" in staff.get("/board/tags?change=Food+and+drink").get_data(
        as_text=True
    )
    assert "Change the tag" not in member.get(
        "/board/tags?change=Food+and+drink"
    ).get_data(as_text=True)


def test_a_staff_only_tag_is_for_staff_alone(board):
    response_id = feedback(board)
    staff = signed_in(board, "staff", "Sam")
    member = signed_in(board, "member", "Mo")
    staff.post(
        f"/board/responses/{response_id}/tags",
        {"tag_name": "Complaint"},
        form_page=FORMS,
    )
    staff.post("/board/tags", {"name": "Complaint", "staff_only": "y"}, form_page=FORMS)
    assert one(board, "tags")["staff_only"] is True
    refused = member.post(
        f"/board/responses/{response_id}/tags",
        {"tag_name": "complaint"},
        form_page=FORMS,
    )
    assert refused.status_code == 400
    assert "Only staff can use that tag." in refused.get_data(as_text=True)
    member.post(
        f"/board/responses/{response_id}/tags/remove",
        {"tag_name": "Complaint"},
        form_page=FORMS,
    )
    assert len(rows_of(board, "response_tags")) == 1  # members cannot take it off
    assert "Complaint" in staff.get("/board/?folder=all").get_data(as_text=True)


def test_notes_and_comments_and_changing_them_for_a_short_while(board):
    response_id = feedback(board)
    base = f"/board/responses/{response_id}"
    set_clock(board, "2026-12-01T10:00:00Z")
    sam = signed_in(board, "staff", "Sam")
    mo = signed_in(board, "member", "Mo")
    sam.post(f"{base}/notes", {"internal_note": "Call the family"}, form_page=FORMS)
    mo.post(f"{base}/comments", {"comment": "This matters to us"}, form_page=FORMS)
    empty = mo.post(f"{base}/comments", {"comment": "  "}, form_page=FORMS)
    assert "Write your comment first." in empty.get_data(as_text=True)
    note = one(board, "notes", staff_only=True)
    comment = one(board, "notes", staff_only=False)
    assert "Call the family" in sam.get(base).get_data(as_text=True)
    assert "This matters to us" in sam.get(base).get_data(as_text=True)

    set_clock(board, "2026-12-01T10:14:00Z")
    assert "Change what you wrote" in mo.get(base).get_data(as_text=True)
    mo.post(
        f"{base}/notes/{comment['id']}/edit",
        {"note_body": "This matters a lot to us"},
        form_page=FORMS,
    )
    assert one(board, "notes", id=comment["id"])["body"] == "This matters a lot to us"
    empty = mo.post(
        f"{base}/notes/{comment['id']}/edit", {"note_body": " "}, form_page=FORMS
    )
    assert empty.status_code == 400
    assert "Write something. It cannot be empty." in empty.get_data(as_text=True)
    assert '<details class="board-details" open>' in empty.get_data(as_text=True)
    edit = last_audit(board)
    assert edit["action"] == "comment_edited"
    assert "This matters to us" in edit["detail"]  # the log keeps what it said

    theirs = mo.post(
        f"{base}/notes/{note['id']}/edit", {"note_body": "changed"}, form_page=FORMS
    )
    assert theirs.status_code == 302
    assert one(board, "notes", id=note["id"])["body"] == "Call the family"

    set_clock(board, "2026-12-01T10:16:00Z")
    assert "Change what you wrote" not in mo.get(base).get_data(as_text=True)
    late = mo.post(
        f"{base}/notes/{comment['id']}/edit", {"note_body": "late"}, form_page=FORMS
    )
    assert "You cannot change that now." in mo.get(late.headers["Location"]).get_data(
        as_text=True
    )
    assert one(board, "notes", id=comment["id"])["body"] == "This matters a lot to us"
    assert audit_actions(board, response_id) == [
        "note_added",
        "comment_added",
        "comment_edited",
    ]


def test_hidden_words_are_hidden_from_members_everywhere(board):
    response_id = feedback(board, opening_text="Hi it is Jo Bloggs here")
    base = f"/board/responses/{response_id}"
    staff = signed_in(board, "staff", "Sam")
    member = signed_in(board, "member", "Mo")
    wrong = staff.post(
        f"{base}/hide", {"hide_in": "why", "passage": "Jo Smith"}, form_page=FORMS
    )
    assert wrong.status_code == 400
    assert "Those words are not in that answer." in wrong.get_data(as_text=True)
    assert rows_of(board, "redactions") == []
    for where in ("why", "_opening"):
        answer = staff.post(
            f"{base}/hide", {"hide_in": where, "passage": "Jo Bloggs"}, form_page=FORMS
        )
        assert answer.status_code == 302

    for page in (member.get(base), member.get("/board/")):
        text = page.get_data(as_text=True)
        assert "Bloggs" not in text
        assert "[hidden]" in text
    assert "My name is" in member.get(base).get_data(as_text=True)
    for words in ("bloggs", "is jo", "tea was cold"):
        found = member.get(f"/board/?q={words.replace(' ', '+')}")
        expected = 1 if words == "tea was cold" else 0
        assert len(re.findall('name="ids"', found.get_data(as_text=True))) == expected
        staff_found = staff.get(f"/board/?q={words.replace(' ', '+')}")
        assert 'name="ids"' in staff_found.get_data(as_text=True)
    staff_page = staff.get(base).get_data(as_text=True)
    assert "Hidden from board members: </span>Jo Bloggs</mark>" in staff_page

    hidden = one(board, "redactions", step_id="why")
    staff.post(f"{base}/hidden/{hidden['id']}/show", form_page=FORMS)
    assert "My name is Jo Bloggs" in member.get(base).get_data(as_text=True)
    assert "Hi it is Jo Bloggs" not in member.get(base).get_data(as_text=True)
    searched = member.get("/board/?q=jo+bloggs").get_data(as_text=True)  # its answer
    assert len(re.findall('name="ids"', searched)) == 1
    assert audit_actions(board, response_id) == [
        "redacted",
        "redacted",
        "redaction_undone",
    ]
    assert "Jo Bloggs" in last_audit(board)["detail"]


def test_a_safeguarding_alert_is_dealt_with_and_leaves_the_list(board):
    response_id = feedback(board)
    board.add_alert("Oak House", response_id, category="self_harm")
    staff = signed_in(board, "staff", "Sam")
    inbox = staff.get("/board/").get_data(as_text=True)
    assert "Safeguarding: 1 alert needs someone to act" in inbox
    page = staff.get(f"/board/responses/{response_id}").get_data(as_text=True)
    assert "They may hurt themselves" in page
    assert "Who did you tell? What happened?" in page
    alert_id = one(board, "alerts")["id"]
    done = f"/board/responses/{response_id}/alerts/{alert_id}/done"
    empty = staff.post(done, {"what_was_done": ""}, form_page=FORMS)
    assert empty.status_code == 400
    assert "Write what you did." in empty.get_data(as_text=True)
    assert one(board, "alerts")["status"] == "open"
    staff.post(done, {"what_was_done": "Told the duty manager, Ana"}, form_page=FORMS)
    alert = one(board, "alerts")
    assert alert["status"] == "acknowledged" and alert["what_was_done"]
    entry = last_audit(board)
    assert (entry["action"], entry["note"]) == (
        "alert_acknowledged",
        "Told the duty manager, Ana",
    )
    assert "Safeguarding:" not in staff.get("/board/").get_data(as_text=True)
    again = staff.post(done, {"what_was_done": "twice"}, form_page=FORMS)
    assert "Someone dealt with it already." in staff.get(
        again.headers["Location"]
    ).get_data(as_text=True)


def test_the_activity_log_in_words_newest_first_by_site(board):
    oak, elm = feedback(board), feedback(board, site="Elm Court")
    sam = signed_in(board, "staff", "Sam")
    for response_id in (oak, elm):
        sam.post(
            f"/board/responses/{response_id}/status",
            {"status": "closed"},
            form_page=FORMS,
        )
    page = sam.get("/board/activity").get_data(as_text=True)
    assert page.count("Sam marked it Done.") == 2
    assert page.index(f"/board/responses/{elm}") < page.index(f"/board/responses/{oak}")
    only_oak = signed_in(board, "staff", "Kit", sites=("Oak House",))
    page = only_oak.get("/board/activity").get_data(as_text=True)
    assert page.count("Sam marked it Done.") == 1 and elm not in page
    assert board.browser("member").get("/board/activity").status_code == 403


def test_the_activity_log_goes_back_a_page_at_a_time(board):
    response_id = feedback(board)
    sam = signed_in(board, "staff", "Sam")
    for number in range(52):
        sam.post(
            f"/board/responses/{response_id}/comments",
            {"comment": f"comment {number}"},
            form_page=FORMS,
        )
    first = sam.get("/board/activity").get_data(as_text=True)
    assert first.count("Sam wrote a comment.") == 50
    older = re.search(r'href="(/board/activity\?before=\d+)"', first).group(1)
    second = sam.get(older).get_data(as_text=True)
    assert second.count("Sam wrote a comment.") == 2
    assert "comment 0" in second and "comment 51" not in second
    assert sam.get("/board/activity?before=nonsense").status_code == 200
