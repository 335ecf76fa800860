"""The board in a real browser, against `gateway demo` as the README says to run it.

One demo (a real process on a free port, with its sample data) serves every
test here; Debian's Chromium is driven through Playwright. The tests are:
the journey of an admin who reviews last week's poor answers and gives a
board member a look at one site; axe-core on each kind of page, and 200%
zoom; the keyboard alone; and the idle warning (time on the page is moved
with Playwright's clock, so nothing waits it out).
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from tests.board.browser_helpers import (
    ADMIN_PAGES,
    FIRST_SITE,
    SECOND_SITE,
    SIGNED_OUT_PAGES,
    ZOOMED,
    alert_response_path,
    assert_no_axe_violations,
    banner,
    board_today,
    changed,
    chart_parts,
    controls_out_of_reach,
    focus_step,
    new_board_context,
    open_figures,
    poor_answers,
    responses_at,
    rows,
    run_demo,
    sideways_scroll,
    sign_in,
    tab_to,
    unseen_focus,
)

OVERALL = "Overall, how was your experience of our service?"
TAG = "Waiting too long"
NOTE = "Call the manager about the waits. Staff only."
MEMBER = ("journey-member@example.org", "a long member password 42")
ALERT_WORDS = "night staff"  # hidden in the alert's "One of the night staff pushed me"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("board-browser")
    with run_demo(folder / "demo", folder / "demo.log") as running:
        yield running


@pytest.fixture(scope="module")
def admin_state(browser, demo) -> dict:
    """The demo admin's cookies, signed in once through the page."""
    context = new_board_context(browser)
    page = context.new_page()
    page.goto(demo.url("/board/sign-in"))
    sign_in(page, *demo.admin)
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture
def admin(browser, admin_state) -> Page:
    context = new_board_context(browser, storage_state=admin_state)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def alert_path(browser, demo, admin_state) -> str:
    """The alert's response, reviewed through its page: a tag, a note and hidden
    words, so that every part of the page is drawn."""
    context = new_board_context(browser, storage_state=admin_state)
    page = context.new_page()
    path = alert_response_path(page, demo)
    page.goto(demo.url(path))
    page.get_by_label("Add a tag", exact=True).fill("Night shift")
    page.get_by_role("button", name="Add the tag").click()
    page.get_by_label("Write a note for staff").fill("Told the manager at once.")
    page.get_by_role("button", name="Save the note").click()
    page.get_by_label("The words to hide").fill(ALERT_WORDS)
    page.get_by_role("button", name="Hide these words").click()
    expect(banner(page, "hidden from board members")).to_be_visible()
    context.close()
    return path


# 1. The journey -------------------------------------------------------------------


def test_an_admin_reviews_last_weeks_poor_answers_and_adds_a_member(
    browser, demo, admin, alert_path
):
    page = admin
    today = board_today()
    expected = poor_answers(demo, FIRST_SITE, today - timedelta(days=7), today)
    assert expected, "the demo has no poor answers at the first site last week"
    find_last_weeks_poor_answers(page, demo, len(expected))
    shown = page.locator("input[name=ids]").evaluate_all("all => all.map(b => b.value)")
    assert set(shown) == expected

    page.get_by_label("Select all on this page").check()
    page.get_by_label("Add a tag", exact=True).fill(TAG)
    page.get_by_role("button", name="Add the tag").click()
    expect(banner(page, changed(len(expected)))).to_be_visible()
    page.get_by_label("Select all on this page").check()
    page.get_by_role("button", name="Flag", exact=True).click()
    expect(banner(page, changed(len(expected)))).to_be_visible()
    expect(rows(page)).to_have_count(len(expected))  # the filters are kept
    for row in rows(page).all():
        expect(row.locator(".board-tag", has_text=TAG)).to_be_visible()
        expect(row.locator(".board-tag", has_text="Flagged")).to_be_visible()
    folders = page.get_by_role("navigation", name="Folders")
    expect(folders.get_by_role("link", name=re.compile("^Flagged"))).to_contain_text(
        str(len(expected))
    )

    response_url, passage = review_one_with_their_own_words(page)
    link = add_a_member_for_one_site(page, demo)
    context = new_board_context(browser)  # the member's own browser
    try:
        member = context.new_page()
        member.goto(link)
        expect(member.get_by_role("heading", level=1)).to_have_text(
            "Choose your password"
        )
        member.get_by_label("New password", exact=True).fill(MEMBER[1])
        member.get_by_label("Type the new password again").fill(MEMBER[1])
        member.get_by_role("button", name="Save password").click()
        expect(banner(member, "Your password is set.")).to_be_visible()
        sign_in(member, *MEMBER)
        sees_one_site_and_nothing_for_staff(member, demo, response_url, passage)
        sees_no_alert(member, demo, alert_path)
    finally:
        context.close()


def find_last_weeks_poor_answers(page: Page, demo, how_many: int) -> None:
    """The filter form, as a person uses it: a site, the question, Apply,
    then its answers and the days."""
    today = board_today()
    page.goto(demo.url("/board/"))
    folders = page.get_by_role("navigation", name="Folders")
    folders.get_by_role("link", name=re.compile("^All")).click()
    filters = page.locator("form[method=get]")
    filters.get_by_label(FIRST_SITE, exact=True).check()
    filters.get_by_label("Question", exact=True).select_option(label=OVERALL)
    filters.get_by_role("button", name="Apply filters").click()
    filters.get_by_label("Poor", exact=True).check()
    filters.get_by_label("Very poor", exact=True).check()
    filters.get_by_label("From (the first day)").fill(
        (today - timedelta(days=7)).isoformat()
    )
    filters.get_by_label("To (the last day)").fill(today.isoformat())
    filters.get_by_role("button", name="Apply filters").click()
    expect(rows(page)).to_have_count(how_many)
    for row in rows(page).all():
        expect(row.locator("td[data-label=Site]")).to_have_text(FIRST_SITE)
        expect(row.locator(".board-inbox__answer")).to_have_text(
            re.compile("^(Poor|Very poor)$")
        )


def review_one_with_their_own_words(page: Page) -> tuple[str, str]:
    """Open one, hide a few of its words, write a note, mark it done; its
    address and the words hidden."""
    with_words = rows(page).filter(has=page.locator(".board-inbox__words")).first
    words = with_words.locator(".board-inbox__words").inner_text().strip("“”. ")
    passage = " ".join(words.split()[1:4])
    with_words.locator(".board-inbox__date a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Feedback from {FIRST_SITE}"
    )
    page.get_by_label("The words to hide").fill(passage)
    page.get_by_role("button", name="Hide these words").click()
    expect(banner(page, "hidden from board members now")).to_be_visible()
    page.get_by_label("Write a note for staff").fill(NOTE)
    page.get_by_role("button", name="Save the note").click()
    expect(banner(page, "Your note is saved.")).to_be_visible()
    expect(page.locator(".board-timeline")).to_contain_text(NOTE)
    review = page.locator("form", has=page.get_by_role("radio", name="Done"))
    review.get_by_role("radio", name="Done").check()
    review.get_by_role("button", name="Save").click()
    expect(banner(page, "Saved. It is now: Done.")).to_be_visible()
    return page.url, passage


def add_a_member_for_one_site(page: Page, demo) -> str:
    """People, Add a person: a board member for the first site; their link."""
    menu = page.get_by_role("navigation", name="Menu")
    menu.get_by_role("link", name="People").click()
    page.get_by_role("link", name="Add a person").click()
    page.get_by_label("Email address").fill(MEMBER[0])
    page.get_by_label("Name", exact=True).fill("Journey member")
    page.get_by_label(re.compile("^Board member")).check()
    page.get_by_label(FIRST_SITE, exact=True).check()
    page.get_by_role("button", name="Add person").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Give them this link")
    link = page.locator("#one-time-link").inner_text().strip()
    assert link.startswith(demo.url("/board/set-password/")), link
    return link


def sees_one_site_and_nothing_for_staff(member, demo, response_url, passage):
    everything = len(responses_at(demo, FIRST_SITE))
    member.goto(demo.url("/board/?folder=all"))
    expect(member.locator(".board-results-count")).to_have_text(
        f"Showing 1 to {min(everything, 25)} of {everything}."
    )
    for row in rows(member).all():
        expect(row.locator("td[data-label=Site]")).to_have_text(FIRST_SITE)
    assert SECOND_SITE not in member.content()
    other = sorted(responses_at(demo, SECOND_SITE))[0]
    assert member.goto(demo.url(f"/board/responses/{other}")).status == 404

    member.goto(response_url)
    expect(member.locator(".board-conversation")).to_contain_text("[hidden]")
    expect(member.get_by_label("Write a comment")).to_be_visible()
    expect(member.get_by_label("Write a note for staff")).to_have_count(0)
    assert passage not in member.content()
    assert NOTE not in member.content()
    # Searching for the hidden words does not find it (others may say them too).
    member.goto(demo.url("/board/?" + urlencode({"folder": "all", "q": passage})))
    expect(member.get_by_role("heading", level=1)).to_have_text("Feedback")
    found = member.locator(".board-inbox__date a").evaluate_all(
        "links => links.map(link => link.href)"
    )
    assert response_url not in found


def sees_no_alert(member, demo, alert_path):
    member.goto(demo.url(alert_path))
    expect(member.get_by_role("heading", level=1)).to_have_text(
        f"Feedback from {FIRST_SITE}"
    )
    expect(member.locator(".board-conversation")).to_contain_text("[hidden]")
    assert "Safeguarding" not in member.content()
    assert ALERT_WORDS not in member.content()
    member.goto(demo.url("/board/?folder=all&q=scared"))  # the alert's words
    expect(rows(member)).to_have_count(1)
    assert "Safeguarding" not in member.content()


# 2. axe-core, and zoom ---------------------------------------------------------------


@pytest.mark.parametrize("name", [*SIGNED_OUT_PAGES, *ADMIN_PAGES])
def test_axe_core_finds_no_problems(browser, demo, admin_state, alert_path, name):
    signed_in = name in ADMIN_PAGES
    state = admin_state if signed_in else None
    context = new_board_context(browser, storage_state=state)
    try:
        page = context.new_page()
        (ADMIN_PAGES if signed_in else SIGNED_OUT_PAGES)[name](page, demo)
        assert_no_axe_violations(page, name)
    finally:
        context.close()


def assert_fits_and_works(page: Page) -> None:
    widths = sideways_scroll(page)
    assert widths["scrollWidth"] <= widths["clientWidth"] + 1, widths
    assert controls_out_of_reach(page) == []


@pytest.mark.parametrize(
    "name",
    [
        "inbox with filters",
        "a response with an alert",
        "write a post, with a mistake",
        "a draft post",
    ],
)
def test_at_200_percent_zoom_every_control_fits_and_works(
    browser, demo, admin_state, alert_path, name
):
    context = new_board_context(browser, storage_state=admin_state, **ZOOMED)
    try:
        page = context.new_page()
        ADMIN_PAGES[name](page, demo)
        assert_fits_and_works(page)
        assert_no_axe_violations(page, f"{name} at 200% zoom")
    finally:
        context.close()


@pytest.mark.parametrize(
    ("name", "width"),
    [
        pytest.param("inbox with filters", 1024),
        ("a response with an alert", 1024),
        pytest.param("people", 800),
        ("add a person", 800),
        ("your account", 800),
        ("a draft post", 800),
    ],
)
def test_at_tablet_widths_nothing_scrolls_sideways(
    browser, demo, admin_state, alert_path, name, width
):
    """1024px is a tablet, or 125% zoom on a 1280px screen; 800px, 160%."""
    viewport = {"width": width, "height": 768}
    context = new_board_context(browser, storage_state=admin_state, viewport=viewport)
    try:
        page = context.new_page()
        ADMIN_PAGES[name](page, demo)
        assert_fits_and_works(page)
    finally:
        context.close()


# 3. The keyboard alone --------------------------------------------------------------

# Chromium's own date box has a fourth Tab stop, its calendar button, which
# shows no focus at all: the inbox's two date filters are <input type=date>.
DATE_PICKERS = {"date_from (stop 4 of 4)", "date_to (stop 4 of 4)"}


def test_signing_in_and_opening_feedback_with_the_keyboard_only(browser, demo):
    context = new_board_context(browser)
    try:
        page = context.new_page()
        page.goto(demo.url("/board/sign-in"))
        steps = tab_to(page, lambda step: step["words"] == "email")
        page.keyboard.type(demo.admin[0])
        page.keyboard.press("Tab")
        steps.append(focus_step(page))
        page.keyboard.type(demo.admin[1])
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("Feedback")

        first = rows(page).first.locator(".board-inbox__date a").get_attribute("href")
        steps += tab_to(page, lambda step: step["href"] == first)
        page.keyboard.press("Tab")  # one past it, to see it without focus
        steps.append(focus_step(page))
        page.keyboard.press("Shift+Tab")
        assert page.evaluate("document.activeElement.getAttribute('href')") == first
        assert [stop for stop in unseen_focus(steps) if stop not in DATE_PICKERS] == []
        page.keyboard.press("Enter")
        expect(page).to_have_url(demo.url(first))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Feedback from")
    finally:
        context.close()


def test_every_tab_stop_in_the_inbox_date_filters_shows_focus(admin, demo):
    admin.goto(demo.url("/board/"))
    admin.get_by_label("Language").focus()
    steps = tab_to(admin, lambda step: step["words"] == "date_to")
    steps += tab_to(admin, lambda step: step["words"] != "date_to")
    assert unseen_focus(steps) == []


# 4. The idle warning ------------------------------------------------------------------


def test_the_idle_warning_keeps_the_session_and_what_was_typed(
    browser, demo, admin_state, alert_path
):
    context = new_board_context(browser, storage_state=admin_state)
    try:
        page = context.new_page()
        page.clock.install()
        address = demo.url(alert_path)
        page.goto(address)
        page.evaluate("() => { window.sameDocument = true; }")
        warning = page.get_by_role("alertdialog", name="Are you still there?")
        stay = page.get_by_role("button", name="Stay signed in")
        idle = int(page.locator("body").get_attribute("data-idle-seconds"))
        warn = int(page.locator("body").get_attribute("data-warn-seconds"))

        page.clock.fast_forward((idle - warn + 5) * 1000)
        expect(warning).to_be_visible()
        expect(stay).to_be_focused()
        with page.expect_response("**/board/keep-alive") as kept:
            stay.click()
        assert kept.value.status == 204
        expect(warning).to_be_hidden()

        typed = "The night staff need to hear about this. Ring on Monday."
        page.get_by_label("Write a note for staff").fill(typed)
        # Had "Stay" not started the time again, the page would have signed
        # out at `idle` and been drawn afresh, and this warning would be late.
        page.clock.fast_forward((idle - warn + 5) * 1000)
        expect(warning).to_be_visible()
        assert page.evaluate("() => window.sameDocument === true")

        # The board's own limit runs on the server's real clock, which no test
        # moves: forget the session cookie, as the board forgets a stale one.
        context.clear_cookies()
        page.clock.fast_forward(warn * 1000)
        page.wait_for_url("**/board/sign-in**")
        sign_in(page, *demo.admin)
        expect(page).to_have_url(address)
        expect(page.get_by_text("We kept what you had typed.")).to_be_visible()
        expect(page.get_by_label("Write a note for staff")).to_have_value(typed)
    finally:
        context.close()


# 5. The Figures page ------------------------------------------------------------------

CHARTS = (
    "Good or very good, week by week",
    "The answers to one question",
    "How people gave feedback",
    "The language people used",
    "Tags, month by month",
)
PHONE = {"width": 320, "height": 640}


@pytest.fixture(scope="module")
def member_state(browser, demo) -> dict:
    """The demo member's cookies (they see the first site only)."""
    context = new_board_context(browser)
    page = context.new_page()
    page.goto(demo.url("/board/sign-in"))
    sign_in(page, *demo.sign_ins["member"])
    state = context.storage_state()
    context.close()
    return state


def assert_every_chart_is_a_picture_with_words_and_a_table(page: Page) -> None:
    parts = chart_parts(page)
    assert [part["heading"] for part in parts] == list(CHARTS)
    for part in parts:
        where = part["heading"]
        assert part["summary"], f"{where}: no sentence saying what it shows"
        if part["heading"] == "Tags, month by month" and part["role"] is None:
            assert part["summary"] == "No feedback in these months has a tag."
            continue
        assert part["role"] == "img", where
        assert part["title"] and part["title"] in part["named"], where
        assert part["caption"] and part["headers"] >= 2, where
        assert part["width"] > 200, where


def test_each_chart_has_a_picture_a_title_a_summary_and_a_table(admin, demo):
    open_figures(admin, demo)
    assert_every_chart_is_a_picture_with_words_and_a_table(admin)
    summary = admin.locator(".board-figure__summary").first
    expect(summary).to_contain_text("said good or very good")
    admin.get_by_role("link", name="Read this feedback in the inbox").first.click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Feedback")
    folders = admin.get_by_role("navigation", name="Folders")
    shown = folders.get_by_role("link", name=re.compile("^All"))
    expect(shown).to_have_attribute("aria-current", "page")


def test_a_member_sees_their_sites_figures_with_small_numbers_hidden(
    browser, demo, member_state
):
    context = new_board_context(browser, storage_state=member_state)
    try:
        page = context.new_page()
        open_figures(page, demo)
        assert_every_chart_is_a_picture_with_words_and_a_table(page)
        expect(page.get_by_text("We do not show numbers from 1 to 4.")).to_be_visible()
        assert SECOND_SITE not in page.content()
        assert_no_axe_violations(page, "figures, for a member")
    finally:
        context.close()


@pytest.mark.parametrize(
    ("name", "options"),
    [("200% zoom", ZOOMED), ("a phone, 320px wide", {"viewport": PHONE})],
)
def test_the_figures_fit_and_work_small(browser, demo, admin_state, name, options):
    context = new_board_context(browser, storage_state=admin_state, **options)
    try:
        page = context.new_page()
        open_figures(page, demo)
        assert_fits_and_works(page)
        assert_every_chart_is_a_picture_with_words_and_a_table(page)
        assert_no_axe_violations(page, f"figures at {name}")
    finally:
        context.close()
