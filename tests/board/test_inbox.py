"""The inbox: folders and their counts, rows in words, newest first 25 at a
time, every filter (kept in the address), bad filters, and changing many
pieces of feedback at once."""

from __future__ import annotations

from sqlalchemy import event

from tests.board.pages import (
    OVERALL,
    at,
    audit_actions,
    folder_counts,
    ids_on,
    rows_of,
    set_review,
)


def test_folders_count_what_they_hold_and_new_is_first(board):
    new = board.add_response("Oak House", OVERALL, closed_at=at(1))
    flagged = board.add_response("Oak House", OVERALL, closed_at=at(2))
    acted = board.add_response("Oak House", OVERALL, closed_at=at(3))
    closed = board.add_response("Oak House", OVERALL, closed_at=at(4))
    set_review(board, flagged, flagged=True, review_status="in_review")
    set_review(board, acted, review_status="actioned")
    set_review(board, closed, review_status="closed")
    staff = board.browser("staff")
    page = staff.get("/board/")
    assert folder_counts(page) == {"new": 1, "flagged": 1, "done": 2, "all": 4}
    assert ids_on(page) == [new]
    assert ids_on(staff.get("/board/?folder=flagged")) == [flagged]
    assert ids_on(staff.get("/board/?folder=done")) == [closed, acted]
    assert ids_on(staff.get("/board/?folder=all")) == [closed, acted, flagged, new]


def test_a_row_says_what_was_said_in_words(board):
    board.add_response(
        "Oak House",
        [
            {"step_id": "overall", "value": "very_poor", "raw": "5"},
            {"step_id": "why", "value": "The tea was cold", "raw": "The tea was cold"},
        ],
        channel="sms",
    )
    board.add_response("Elm Court", [{"step_id": "overall", "state": "no_answer"}])
    page = board.browser("member").get("/board/").get_data(as_text=True)
    assert "1 December 2026" in page
    assert "Oak House" in page and "Elm Court" in page
    assert "Text message" in page and "Kiosk" in page
    assert "Very poor" in page and "very_poor" not in page
    assert "“The tea was cold”" in page
    assert "Did not answer" in page
    assert "No one has it yet." in page


def test_newest_first_twenty_five_a_page(board):
    made = [
        board.add_response("Oak House", OVERALL, closed_at=at(1 + n // 24, n % 24))
        for n in range(27)
    ]
    staff = board.browser("staff")
    first = staff.get("/board/")
    assert ids_on(first) == made[::-1][:25]
    assert 'href="/board/?folder=new&amp;page=2"' in first.get_data(as_text=True)
    assert ids_on(staff.get("/board/?folder=new&page=2")) == made[1::-1]
    assert ids_on(staff.get("/board/?folder=new&page=99")) == made[1::-1]  # the last


def filtered_data(board) -> dict[str, str]:
    """A small inbox where each filter picks out a known few."""
    made = {
        "poor_sms": board.add_response(
            "Oak House",
            [{"step_id": "overall", "value": "poor", "raw": "4"}],
            channel="sms",
            closed_at=at(1),
        ),
        "good_kiosk_welsh": board.add_response(
            "Oak House",
            [{"step_id": "overall", "value": "good", "raw": "2"}],
            language="cy",
            closed_at=at(5),
        ),
        "very_poor_paper": board.add_response(
            "Elm Court",
            [
                {"step_id": "overall", "value": "very_poor", "raw": "5"},
                {"step_id": "why", "value": "Cold 100% TEA", "raw": "Cold 100% TEA"},
            ],
            channel="paper",
            flow_id="friends-and-family",
            closed_at=at(9),
        ),
        "opening_words": board.add_response(
            "Elm Court",
            [{"step_id": "overall", "value": "good", "raw": "good"}],
            opening_text="the staff_room was locked",
            closed_at=at(12),
        ),
    }
    return made


def test_every_filter_picks_out_what_it_says(board):
    made = filtered_data(board)
    staff_email = board.add_user("staff", name="Sam")
    staff = board.browser()
    staff.sign_in(staff_email)
    sam = next(u["id"] for u in rows_of(board, "users") if u["name"] == "Sam")
    set_review(board, made["good_kiosk_welsh"], assigned_to=sam, review_status="closed")
    tagging = board.browser("staff")
    tagging.post(
        f"/board/responses/{made['poor_sms']}/tags",
        {"tag_name": "food"},
        form_page="/board/tags",
    )
    cases = {
        "site=Elm+Court": {"very_poor_paper", "opening_words"},
        "site=Elm+Court&site=Oak+House": set(made),
        "flow=friends-and-family": {"very_poor_paper"},
        "channel=sms&channel=paper": {"poor_sms", "very_poor_paper"},
        "language=cy": {"good_kiosk_welsh"},
        "date_from=2026-11-05&date_to=2026-11-09": {
            "good_kiosk_welsh",
            "very_poor_paper",
        },
        "date_from=5%2F11%2F2026&date_to=9+11+2026": {  # as people write days
            "good_kiosk_welsh",
            "very_poor_paper",
        },
        "step=overall&value=poor&value=very_poor": {"poor_sms", "very_poor_paper"},
        "free_text=y": {"very_poor_paper", "opening_words"},
        "status=closed": {"good_kiosk_welsh"},
        "tag=food": {"poor_sms"},
        "assigned=me": {"good_kiosk_welsh"},
        f"assigned={sam}": {"good_kiosk_welsh"},
        "assigned=none": set(made) - {"good_kiosk_welsh"},
        "q=cold+100%25+tea": {"very_poor_paper"},  # any case, % as itself
        "q=STAFF_ROOM": {"opening_words"},
        "q=%25": {"very_poor_paper"},  # only the one with a % in it
        "q=staff%25room": set(),  # no wildcards
    }
    names = {value: key for key, value in made.items()}
    for query, expected in cases.items():
        page = staff.get(f"/board/?folder=all&{query}")
        assert page.status_code == 200, query
        assert "There is a problem" not in page.get_data(as_text=True), query
        assert {names[i] for i in ids_on(page)} == expected, query
        assert folder_counts(page)["all"] == len(expected), query


def test_chosen_filters_show_as_tags_that_take_each_away(board):
    filtered_data(board)
    page = board.browser("staff").get(
        "/board/?folder=all&channel=sms&channel=paper&q=tea"
    )
    text = page.get_data(as_text=True)
    assert "Filters you chose" in text
    assert (
        'href="/board/?channel=paper&amp;q=tea&amp;folder=all">'
        '<span class="board-visually-hidden">Remove filter: </span>'
        "How they answered: Text message</a>" in text
    )
    assert "Words they used: “tea”" in text
    assert '<a class="board-filter-tags__clear" href="/board/?folder=all">' in text


def test_answers_to_choose_are_the_ones_found(board):
    board.add_response("Oak House", [{"step_id": "overall", "value": "neither"}])
    page = board.browser("staff").get("/board/?step=overall")
    text = page.get_data(as_text=True)
    for words in ("Very good", "Neither good nor poor", "Very poor", "Don&#39;t know"):
        assert words in text
    nothing_yet = board.browser("staff").get("/board/").get_data(as_text=True)
    assert 'name="value"' not in nothing_yet  # choose a question first


def test_a_wrong_filter_gets_an_easy_message_and_is_left_out(board):
    made = filtered_data(board)
    staff = board.browser("staff")
    wrong = {
        "channel=fax": "Choose from the ways on the list.",
        "site=Nowhere": "Choose sites from the list.",
        "flow=nothing": "Choose a set of questions from the list.",
        "language=xx": "Choose a language from the list.",
        "date_from=2026-13-45": "Enter a real date, like 1/12/2026.",
        "date_to=31/12/9999": "Enter a date from 2000 to 2099.",
        "date_from=01/01/0001": "Enter a date from 2000 to 2099.",
        "date_from=2026-11-09&date_to=2026-11-01": "The last day must be after",
        "step=why": "Choose a question from the list.",
        "step=overall&value=awful": "Choose answers from the list.",
        "status=lost": "Choose from the list.",
        "tag=nothing": "Choose a tag from the list.",
        "assigned=999": "Choose a person from the list.",
        "q=" + "a" * 101: "Use 100 letters or fewer.",
        "page=x&folder=nowhere": None,
    }
    for query, message in wrong.items():
        page = staff.get(f"/board/?folder=all&{query}")
        text = page.get_data(as_text=True)
        assert page.status_code == 200, query
        if message:
            assert "There is a problem" in text and message in text, query
        assert len(ids_on(page)) == len(made), query  # (folder=nowhere: New)


def test_a_site_limited_person_sees_only_their_sites_and_counts(board):
    made = filtered_data(board)
    oak = board.browser("staff", sites=("Oak House",))
    page = oak.get("/board/?folder=all")
    text = page.get_data(as_text=True)
    assert set(ids_on(page)) == {made["poor_sms"], made["good_kiosk_welsh"]}
    assert folder_counts(page) == {"new": 2, "flagged": 0, "done": 0, "all": 2}
    assert "Elm Court" not in text
    other = oak.get("/board/?folder=all&site=Elm+Court")
    assert "Choose sites from the list." in other.get_data(as_text=True)
    assert made["very_poor_paper"] not in other.get_data(as_text=True)
    assert folder_counts(oak.get("/board/?folder=all&q=tea"))["all"] == 0


def test_a_page_takes_the_same_few_queries_however_many_rows(board):
    """No query per row: a page of 25 costs what a page of 1 costs."""
    staff = board.browser("staff")

    def statements_for(path: str) -> int:
        seen = []

        def count(*args):
            seen.append(args[2])

        event.listen(board.engine, "before_cursor_execute", count)
        assert staff.get(path).status_code == 200
        event.remove(board.engine, "before_cursor_execute", count)
        return len(seen)

    board.add_response("Oak House", OVERALL)
    one = statements_for("/board/?folder=all")
    for _ in range(30):
        board.add_response("Oak House", OVERALL + [{"step_id": "why", "raw": "a b"}])
    assert statements_for("/board/?folder=all") == one


def test_changing_many_at_once_is_logged_for_each(board):
    made = filtered_data(board)
    chosen = [made["poor_sms"], made["very_poor_paper"]]
    staff = board.browser("staff")
    view = "/board/?folder=all&channel=sms&channel=paper"
    back = "channel=sms&channel=paper&folder=all"
    answer = staff.post(
        "/board/bulk/tag", {"ids": chosen, "tag": "food", "back": back}, form_page=view
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/board/?" + back
    assert "2 pieces of feedback changed." in staff.get(view).get_data(as_text=True)
    for change in ("flag", "done", "restore", "unflag"):
        staff.post(
            "/board/bulk/review",
            {"ids": chosen, "change": change, "back": back},
            form_page=view,
        )
    rows = {row["id"]: row for row in rows_of(board, "responses")}
    for response_id in chosen:
        assert (rows[response_id]["review_status"], rows[response_id]["flagged"]) == (
            "new",
            False,
        )
        # restore puts it back in New and takes the flag off; unflag then
        # finds nothing to change, and logs nothing
        assert audit_actions(board, response_id) == [
            "bulk_tag",
            "flagged",
            "status",
            "status",
            "flagged",
        ]
    untouched = made["good_kiosk_welsh"]
    assert audit_actions(board, untouched) == []
    nothing = staff.post(
        "/board/bulk/review", {"change": "flag", "back": back}, form_page=view
    )
    assert "Choose some feedback first." in staff.get(
        nothing.headers["Location"]
    ).get_data(as_text=True)


def test_board_members_may_add_tags_to_many_but_nothing_else(board):
    made = filtered_data(board)
    member = board.browser("member")
    chosen = [made["poor_sms"]]
    answer = member.post(
        "/board/bulk/tag", {"ids": chosen, "tag": "garden"}, form_page="/board/"
    )
    assert answer.status_code == 302
    assert audit_actions(board, made["poor_sms"]) == ["bulk_tag"]
    before = rows_of(board, "responses")
    for change in ("flag", "unflag", "done", "restore"):
        refused = member.post(
            "/board/bulk/review", {"ids": chosen, "change": change}, form_page="/board/"
        )
        assert refused.status_code == 403
    assert rows_of(board, "responses") == before
    staff = board.browser("staff")
    staff.post(
        "/board/bulk/tag",
        {"ids": [made["opening_words"]], "tag": "complaint"},
        form_page="/board/",
    )
    staff.post(
        "/board/tags", {"name": "complaint", "staff_only": "y"}, form_page="/board/"
    )
    tagged = rows_of(board, "response_tags")
    refused = member.post(
        "/board/bulk/tag", {"ids": chosen, "tag": "Complaint"}, form_page="/board/"
    )
    assert "Only staff can use that tag." in member.get(
        refused.headers["Location"]
    ).get_data(as_text=True)
    assert rows_of(board, "response_tags") == tagged
    page = member.get("/board/").get_data(as_text=True)
    assert "Add the tag" in page and 'value="flag"' not in page


def test_what_people_wrote_is_escaped(board):
    board.add_response(
        "Oak <b>House</b>",
        [
            {
                "step_id": "why",
                "value": "<script>alert(1)</script>",
                "raw": "<script>alert(1)</script> yes",
            }
        ],
    )
    page = board.browser("member").get("/board/").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<b>House" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; yes" in page
