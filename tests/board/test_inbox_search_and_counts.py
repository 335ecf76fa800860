"""The inbox's word search and its folder counts: what a search finds, in
any case and form, and that the quick counts with nothing chosen agree with
a filtered page's single pass."""

from __future__ import annotations

from tests.board.pages import OVERALL, at, folder_counts, ids_on, set_review


def test_the_word_search_finds_own_words_in_any_case_and_form(board):
    said = {
        "cafe": "The CAFÉ shut early",
        "street": "Parking on the Straße is hard",
        "ligature": "The ﬁre door sticks",  # one character: "fi"
    }
    made = {
        key: board.add_response(
            "Oak House",
            [*OVERALL, {"step_id": "why", "value": words, "raw": words}],
        )
        for key, words in said.items()
    }
    scale_only = board.add_response(
        "Oak House",
        [{"step_id": "overall", "value": "poor", "raw": "Poor"}],
    )
    staff = board.browser("staff")
    names = {value: key for key, value in made.items()}
    for words, expected in {
        "café": {"cafe"},
        "Café SHUT": {"cafe"},
        "STRASSE": {"street"},
        "fire door": {"ligature"},
        "poor": set(),  # a scale's answer is not a person's own words
    }.items():
        page = staff.get("/board/?folder=all&q=" + words.replace(" ", "+"))
        found = {names.get(i, i) for i in ids_on(page)}
        assert found == expected, words
        assert folder_counts(page)["all"] == len(expected), words
    assert scale_only in ids_on(staff.get("/board/?folder=all&step=overall&value=poor"))


def test_counts_with_nothing_chosen_match_counts_with_a_filter(board):
    """The inbox counts its folders two ways: the first page's quick counts
    and a filtered page's single pass must agree on every mix."""
    statuses = ("new", "in_review", "actioned", "closed")
    for number, status in enumerate(statuses * 3):
        made = board.add_response("Oak House", OVERALL, closed_at=at(number + 1))
        set_review(board, made, review_status=status, flagged=number % 3 == 0)
    staff = board.browser("staff")
    quick = folder_counts(staff.get("/board/"))
    assert quick == {"new": 3, "flagged": 4, "done": 6, "all": 12}
    assert folder_counts(staff.get("/board/?site=Oak+House")) == quick
