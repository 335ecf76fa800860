"""The kiosk's accessibility bar in a real browser (Debian's Chromium).

axe-core finds no violations on any kind of screen; every button is at least
64 px square; at 200% text nothing needs scrolling sideways; the flow can be
done by keyboard alone with a visible focus ring; read-aloud speaks the
question and answers (a stubbed voice); errors are explained and focused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from gateway import store
from gateway.db import connect, write_txn
from tests.conftest import serve_gateway
from tests.kiosk.browser import (
    FFT_OVERALL,
    FFT_SCALE,
    FFT_THANKS,
    FFT_WHY,
    MIN_TARGET_PX,
    SAVING,
    SLOW,
    STILL_THERE,
    WELCOME,
    add_kiosk,
    axe_violations,
    button,
    describe_violations,
    focus_ring,
    focused_words,
    heading,
    next_screen,
    only_response,
    page_widths,
    refuse_posts,
    start_friends_and_family,
    stub_speech,
    tap,
    tap_and_stay,
    tap_target_sizes,
    wait_until_ready,
    zoom_text,
)
from tests.posts import a_post

MEALS = "How are the meals?"
POST = a_post(
    words="You said the garden path was hard to walk on. We made it wider.",
    rung="consulting",
    reason="The builders needed an answer that week.",
    channels=["kiosk"],
)
VISITS = "Do you see your family and friends as much as you want?"
NUMBER_FLOW = """\
id: outings
version: 1
title: Outings
language: en
steps:
  - id: trips
    kind: number
    min: 0
    max: 10
    text: How many trips out would you like each month?
thank_you: Thank you for telling us.
"""


# Every kind of screen, for the checks that apply to all of them ------------------


@pytest.fixture
def every_kiosk(gateway_env, tmp_path) -> dict[str, str]:
    """Kiosks for each kind of step; yields their addresses by name."""
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "outings.yaml").write_text(NUMBER_FLOW, encoding="utf-8")
    gateway_env["GATEWAY_FLOWS_PATH"] = str(flows)
    paths = {
        "Lounge": add_kiosk(gateway_env, "Lounge"),
        "Garden": add_kiosk(gateway_env, "Garden", flow="care-home-life"),
        "Hall": add_kiosk(gateway_env, "Hall", flow="outings"),
    }
    keep_a_post(gateway_env)
    with serve_gateway(gateway_env, tmp_path / "serve.log") as (base, _process):
        yield {name: base + path for name, path in paths.items()}


def keep_a_post(env: dict) -> None:
    """A "You said, we did" post, as the board's stream brings one."""
    db = connect(str(Path(env["GATEWAY_INSTANCE_PATH"]) / "gateway.sqlite3"))
    try:
        with write_txn(db):
            store.posts.keep(db, POST, "2026-11-21T09:00:00Z")
    finally:
        db.close()


@pytest.fixture
def tour_page(context) -> Page:
    """A page with a voice, so that "Read aloud" shows and is checked too."""
    stub_speech(context)
    page = context.new_page()
    page.clock.install()
    return page


def settled_tap(page: Page, name: str) -> None:
    """Tap without waiting out the double-tap guard in real time."""
    page.clock.run_for(600)
    tap(page, name)


def every_screen(page: Page, kiosks: dict[str, str]) -> Iterator[str]:
    """Show each kind of kiosk screen in turn, yielding its name while it shows."""
    page.goto(kiosks["Garden"])
    expect(heading(page)).to_have_text(WELCOME)
    pages_in_history = page.evaluate("history.length")
    yield "welcome, with a post"
    page.get_by_role("link", name="What we changed").click()
    expect(heading(page)).to_have_text("What we changed")
    yield "what we changed"
    page.get_by_role("link", name="Back to the start").click()
    expect(heading(page)).to_have_text(WELCOME)
    # The screens replaced each other: none is left in the history.
    assert page.evaluate("history.length") == pages_in_history
    settled_tap(page, "Start")
    expect(heading(page)).to_have_text(MEALS)
    yield "three-faces scale"
    settled_tap(page, "Bad")
    expect(heading(page)).to_have_text("What would make the meals better?")
    yield "text"
    page.get_by_role("textbox").fill("Hotter food")
    settled_tap(page, "Next")
    expect(heading(page)).to_have_text("What would you like to do more of?")
    yield "choice with pictures"
    settled_tap(page, "Music and singing")
    expect(heading(page)).to_have_text(VISITS)
    yield "yes/no"
    page.clock.fast_forward("01:01")  # past the default 60 idle seconds
    expect(heading(page)).to_have_text(STILL_THERE)
    yield "still there"
    button(page, "Yes, carry on").click()
    expect(heading(page)).to_have_text(VISITS)
    page.route("**/r/**", refuse_posts)
    tap_and_stay(page, "Yes")
    expect(heading(page)).to_have_text(SAVING)
    yield "saving"
    page.unroute("**/r/**")
    page.clock.run_for("00:10")  # past the queue's next retry
    expect(heading(page)).to_have_text(
        "Thank you. Staff and residents will read your answers together.",
        timeout=SLOW,
    )
    yield "thank you"
    page.goto(kiosks["Hall"] + "?wait=1")  # the kiosk started too often
    expect(page.get_by_role("status")).to_have_text(
        "Please wait a moment. Then tap Start again."
    )
    yield "welcome, asked to wait"
    settled_tap(page, "Start")
    expect(heading(page)).to_have_text("How many trips out would you like each month?")
    yield "number"
    page.goto(kiosks["Lounge"])
    settled_tap(page, "Start")
    expect(heading(page)).to_have_text(FFT_OVERALL)
    yield "six-answer scale"
    settled_tap(page, "Good")
    expect(heading(page)).to_have_text(FFT_WHY)
    yield "last question (text, helped, back)"


# 2, 3, 5. Every screen: axe-core, tap targets, text zoom --------------------------


def test_every_screen_has_no_axe_violations(tour_page, every_kiosk):
    problems = {}
    for screen in every_screen(tour_page, every_kiosk):
        violations = axe_violations(tour_page)
        if violations:
            problems[screen] = describe_violations(violations)
    assert not problems, "axe-core found problems:\n" + "\n".join(
        f"{screen}:\n{found}" for screen, found in problems.items()
    )


def test_every_button_is_at_least_64_px_square(tour_page, every_kiosk):
    too_small = []
    for screen in every_screen(tour_page, every_kiosk):
        sizes = tap_target_sizes(tour_page)
        assert sizes or screen == "saving", f"no buttons seen on the {screen} screen"
        too_small += [
            f"{screen}: '{size['words']}' is {size['width']:.0f}x{size['height']:.0f}"
            for size in sizes
            if size["width"] < MIN_TARGET_PX or size["height"] < MIN_TARGET_PX
        ]
    assert not too_small, "buttons smaller than 64x64 CSS px:\n" + "\n".join(too_small)


def test_every_screen_fits_the_width_at_200_percent_text(tour_page, every_kiosk):
    overflowing = []
    for screen in every_screen(tour_page, every_kiosk):
        zoom_text(tour_page, 200)
        widths = page_widths(tour_page)
        assert widths["rootFontPx"] == 32, f"text zoom not applied on {screen}"
        if widths["scrollWidth"] > widths["innerWidth"]:
            overflowing.append(f"{screen}: {widths}")
    assert not overflowing, "needs horizontal scrolling at 200% text:\n" + "\n".join(
        overflowing
    )


# 4. Keyboard only ---------------------------------------------------------------


def tab_to(page: Page, words: str, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focused element's words are `words`."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(30):
        page.keyboard.press(key)
        if focused_words(page) == words:
            return
    pytest.fail(f"{key} never reached '{words}'")


def press_enter_on(page: Page, words: str) -> None:
    """Enter on the focused button once the screen takes taps; wait for the next."""
    wait_until_ready(page)
    assert focused_words(page) == words
    ring = focus_ring(page)
    visible_outline = ring["outlineStyle"] != "none" and ring["outlineWidth"] >= 3
    assert visible_outline or ring["boxShadow"] != "none", f"no focus ring: {ring}"
    with next_screen(page, words):
        page.keyboard.press("Enter")


def test_keyboard_alone_completes_the_flow_with_a_visible_focus_ring(
    page, lounge_url, gateway_env
):
    page.goto(lounge_url)
    tab_to(page, "Start")
    press_enter_on(page, "Start")
    expect(heading(page)).to_have_text(FFT_OVERALL)

    tab_to(page, "Good")
    press_enter_on(page, "Good")
    expect(heading(page)).to_have_text(FFT_WHY)

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "answer"
    page.keyboard.type("Typed with the keys")
    tab_to(page, "Someone helped me answer")  # the checkbox, past Next
    page.keyboard.press("Space")
    tab_to(page, "Next", backwards=True)
    press_enter_on(page, "Next")

    expect(heading(page)).to_have_text(FFT_THANKS)
    response = only_response(gateway_env)
    assert response["status"] == "complete"
    assert response["helped"] is True
    assert response["answers"]["why"]["value"] == "Typed with the keys"


# 6. Read aloud ------------------------------------------------------------------


def test_read_aloud_speaks_the_question_then_each_answer(context, lounge_url):
    stub_speech(context)
    page = context.new_page()
    start_friends_and_family(page, lounge_url)

    read_aloud = button(page, "Read aloud")
    expect(read_aloud).to_be_visible()
    read_aloud.click()

    spoken = page.evaluate("window.__spoken")
    assert spoken == [FFT_OVERALL, *FFT_SCALE, "Don't know"]
    voices = page.evaluate("window.__voicesUsed")
    assert set(voices) == {"Test British voice"}


def test_read_aloud_stays_hidden_without_a_voice(context, lounge_url):
    stub_speech(context, voices=[])
    page = context.new_page()
    start_friends_and_family(page, lounge_url)
    wait_until_ready(page)  # kiosk.js has run and decided

    assert page.evaluate("Array.isArray(window.__spoken)"), "speech stub not in place"
    expect(page.locator("[data-speak]")).to_be_hidden()


def test_an_empty_answer_is_explained_in_easy_read_and_focused(page, lounge_url):
    start_friends_and_family(page, lounge_url)
    tap(page, "Good")
    wait_until_ready(page)
    button(page, "Next").click()  # nothing written
    error = page.locator("#main .error")
    expect(error).to_have_text(
        "Please write a few words, or tap \u201cI'd rather not say\u201d."
    )
    expect(error).to_be_focused()  # a screen reader hears it at once
    assert page.locator("#answer").get_attribute("aria-invalid") == "true"
