"""The touchscreen kiosk in a real browser: taps, accessibility, idle reset, blips.

Each test runs the real `gateway serve` (waitress on 127.0.0.1) against a
fresh install, adds kiosks with the real CLI, drives Debian's Chromium through
Playwright, and reads what was stored back with `gateway export`. Time on the
page is moved with Playwright's clock, so nothing here waits out a timer.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Route, expect, sync_playwright

from tests.conftest import free_port, serve_gateway
from tests.kiosk_browser import (
    MIN_TARGET_PX,
    add_kiosk,
    axe_violations,
    button,
    describe_violations,
    export_responses,
    focus_ring,
    focused_words,
    heading,
    launch_chromium,
    new_kiosk_context,
    next_screen,
    page_widths,
    stub_speech,
    tap,
    tap_and_stay,
    tap_target_sizes,
    wait_until_ready,
    zoom_text,
)

WELCOME = "Tell us what you think"
FFT_OVERALL = "Overall, how was your experience of our service?"
FFT_WHY = "Please tell us why. What was good, or what could be better?"
FFT_THANKS = "Thank you. We read every answer. We use them to make things better."
FFT_SCALE = ["Very good", "Good", "Neither good nor poor", "Poor", "Very poor"]
STILL_THERE = "Are you still there?"
SAVING = "Saving your answer\u2026"
MEALS = "How are the meals?"
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
SLOW = 20_000  # ms: a resent tap waits out the queue's back-off


# Fixtures ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    context = new_kiosk_context(browser)
    yield context
    context.close()


@pytest.fixture
def page(context) -> Page:
    return context.new_page()


@pytest.fixture
def lounge(gateway_env, tmp_path) -> str:
    """A served gateway with one Friends and Family kiosk; yields its address."""
    path = add_kiosk(gateway_env, "Lounge")
    with serve_gateway(gateway_env, tmp_path / "serve.log") as (base, _process):
        yield base + path


def start_friends_and_family(page: Page, address: str) -> None:
    page.goto(address)
    expect(heading(page)).to_have_text(WELCOME)
    tap(page, "Start")
    expect(heading(page)).to_have_text(FFT_OVERALL)


def answer_why(page: Page, words: str, *, helped: bool = False) -> None:
    expect(heading(page)).to_have_text(FFT_WHY)
    page.get_by_role("textbox").fill(words)
    if helped:
        page.get_by_label("Someone helped me answer").check()
    tap(page, "Next")


def only_response(env: dict) -> dict:
    responses = export_responses(env)
    assert len(responses) == 1, responses
    return responses[0]


def refuse_posts(route: Route) -> None:
    """A Wi-Fi blip for taps only: pages and pictures still load."""
    if route.request.method == "POST":
        route.abort()
    else:
        route.continue_()


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
    with serve_gateway(gateway_env, tmp_path / "serve.log") as (base, _process):
        yield {name: base + path for name, path in paths.items()}


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
    yield "welcome"
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
    page.goto(kiosks["Hall"])
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


# 1. The happy path ----------------------------------------------------------------


def test_tapping_through_friends_and_family_stores_a_complete_response(
    page, lounge, gateway_env
):
    start_friends_and_family(page, lounge)
    tap(page, "Good")
    answer_why(page, "The staff were kind", helped=True)

    expect(heading(page)).to_have_text(FFT_THANKS)
    response = only_response(gateway_env)
    assert response["channel"] == "kiosk"
    assert response["kiosk"] == "Lounge"
    assert response["status"] == "complete"
    assert response["helped"] is True
    assert response["answers"]["overall"]["value"] == "good"
    assert response["answers"]["why"]["value"] == "The staff were kind"


def test_a_tap_is_sent_to_its_own_screen_address(page, lounge):
    start_friends_and_family(page, lounge)
    screen_address = page.url
    with page.expect_request(lambda request: request.method == "POST") as posted:
        tap_and_stay(page, "Good")

    # The step's form holds buttons named "action" (Back, I'd rather not say),
    # which hide the form's own `action` property from kiosk.js.
    assert posted.value.url == screen_address, (
        f"the tap on 'Good' was posted to {posted.value.url}, not to the "
        f"screen's address {screen_address}"
    )
    expect(heading(page)).to_have_text(FFT_WHY)


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
    page, lounge, gateway_env
):
    page.goto(lounge)
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


def test_read_aloud_speaks_the_question_then_each_answer(context, lounge):
    stub_speech(context)
    page = context.new_page()
    start_friends_and_family(page, lounge)

    read_aloud = button(page, "Read aloud")
    expect(read_aloud).to_be_visible()
    read_aloud.click()

    spoken = page.evaluate("window.__spoken")
    assert spoken == [FFT_OVERALL, *FFT_SCALE, "Don't know"]
    voices = page.evaluate("window.__voicesUsed")
    assert set(voices) == {"Test British voice"}


def test_read_aloud_stays_hidden_without_a_voice(context, lounge):
    stub_speech(context, voices=[])
    page = context.new_page()
    start_friends_and_family(page, lounge)
    wait_until_ready(page)  # kiosk.js has run and decided

    assert page.evaluate("Array.isArray(window.__spoken)"), "speech stub not in place"
    expect(page.locator("[data-speak]")).to_be_hidden()


# 7. Back and "I'd rather not say" ---------------------------------------------------


def test_back_then_rather_not_say_replaces_the_earlier_answer(
    page, lounge, gateway_env
):
    start_friends_and_family(page, lounge)
    tap(page, "Good")
    expect(heading(page)).to_have_text(FFT_WHY)
    tap(page, "Back")
    expect(heading(page)).to_have_text(FFT_OVERALL)
    expect(button(page, "Back")).to_have_count(0)  # nothing before question 1
    tap(page, "I'd rather not say")
    answer_why(page, "No comment on the first one")

    expect(heading(page)).to_have_text(FFT_THANKS)
    overall = only_response(gateway_env)["answers"]["overall"]
    assert overall["state"] == "rather_not_say"
    assert overall["value"] != "good"


# 8. Idle: "Are you still there?", then a fresh start ----------------------------


def test_idle_kiosk_asks_then_saves_partial_and_forgets_the_screen(
    page, gateway_env, tmp_path
):
    gateway_env["GATEWAY_KIOSK_IDLE_SECONDS"] = "5"
    gateway_env["GATEWAY_KIOSK_STILL_THERE_SECONDS"] = "20"
    path = add_kiosk(gateway_env, "Lounge")
    page.clock.install()
    with serve_gateway(gateway_env, tmp_path / "serve.log") as (base, _process):
        start_friends_and_family(page, base + path)
        tap(page, "Good")
        expect(heading(page)).to_have_text(FFT_WHY)

        page.clock.fast_forward("00:06")
        expect(heading(page)).to_have_text(STILL_THERE)
        button(page, "Yes, carry on").click()
        expect(heading(page)).to_have_text(FFT_WHY)

        page.clock.run_for("00:27")  # idle again, then the 20 s still-there grace
        expect(heading(page)).to_have_text(WELCOME)
        assert page.url == base + path

        response = only_response(gateway_env)
        assert response["status"] == "partial"
        assert response["close_reason"] == "idle_reset"
        assert response["answers"]["overall"]["value"] == "good"
        assert "why" not in response["answers"] or (
            response["answers"]["why"]["value"] is None
        )

        page.go_back()  # the next person presses the browser's Back
        page.wait_for_load_state()
        expect(page.get_by_text(FFT_WHY)).to_have_count(0)
        expect(page.get_by_text(FFT_OVERALL)).to_have_count(0)


# 9. Double taps -----------------------------------------------------------------


def test_double_tap_records_one_answer(page, lounge, gateway_env):
    start_friends_and_family(page, lounge)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    wait_until_ready(page)
    with next_screen(page, "Good"):
        button(page, "Good").dblclick()
    expect(heading(page)).to_have_text(FFT_WHY)
    assert len(posts) == 1, posts

    answer_why(page, "Once only")
    response = only_response(gateway_env)
    assert response["answers"]["overall"]["value"] == "good"
    assert response["answers"]["why"]["value"] == "Once only"


def test_the_same_form_posted_twice_counts_once(page, lounge, gateway_env):
    start_friends_and_family(page, lounge)
    form = page.locator("form.tap[data-queue]")
    action = form.get_attribute("action")
    fields = {
        "screen": form.locator("input[name=screen]").get_attribute("value"),
        "step": form.locator("input[name=step]").get_attribute("value"),
        "answer": "good",
    }
    base = lounge.split("/kiosk/")[0]
    first = page.request.post(base + action, form=fields)
    again = page.request.post(base + action, form=fields)
    assert first.ok, first.status
    assert again.ok, again.status
    assert FFT_WHY in first.text()
    assert FFT_WHY in again.text()  # still question 2, not past it

    page.reload()
    expect(heading(page)).to_have_text(FFT_WHY)
    expect(page.get_by_text("Question 2 of 2")).to_be_visible()
    answer_why(page, "Posted twice")
    response = only_response(gateway_env)
    assert response["status"] == "complete"
    assert response["answers"]["overall"]["value"] == "good"
    assert response["answers"]["why"]["value"] == "Posted twice"


# 10, 11. Wi-Fi blips: the retry queue and the service worker ---------------------


def test_a_tap_during_an_outage_is_resent_once_the_gateway_is_back(
    page, gateway_env, tmp_path
):
    path = add_kiosk(gateway_env, "Lounge")
    port = free_port()
    page.clock.install()
    with serve_gateway(gateway_env, tmp_path / "serve.log", port=port) as (
        base,
        process,
    ):
        start_friends_and_family(page, base + path)
        tap(page, "Good")
        expect(heading(page)).to_have_text(FFT_WHY)
        process.terminate()
        process.wait()
        page.get_by_role("textbox").fill("Sent through a blip")
        tap_and_stay(page, "Next")
        expect(heading(page)).to_have_text(SAVING)

    with serve_gateway(gateway_env, tmp_path / "serve2.log", port=port):
        page.clock.run_for("00:10")  # past the queue's next retry
        expect(heading(page)).to_have_text(FFT_THANKS, timeout=SLOW)

    response = only_response(gateway_env)
    assert response["status"] == "complete"
    assert response["answers"]["why"]["value"] == "Sent through a blip"


def test_service_worker_shows_please_wait_when_the_gateway_is_down(
    page, gateway_env, tmp_path
):
    path = add_kiosk(gateway_env, "Lounge")
    with serve_gateway(gateway_env, tmp_path / "serve.log") as (base, process):
        start_friends_and_family(page, base + path)
        scope = page.evaluate(
            "navigator.serviceWorker.ready.then((registration) => registration.scope)"
        )
        assert scope == base + "/kiosk/"
        process.terminate()
        process.wait()

        page.reload()
        expect(heading(page)).to_have_text("Please wait")
        expect(page.get_by_text(FFT_OVERALL)).to_have_count(0)


def test_an_empty_answer_is_explained_in_easy_read_and_focused(page, lounge):
    start_friends_and_family(page, lounge)
    tap(page, "Good")
    wait_until_ready(page)
    button(page, "Next").click()  # nothing written
    error = page.locator("#main .error")
    expect(error).to_have_text(
        "Please write a few words, or tap \u201cI'd rather not say\u201d."
    )
    expect(error).to_be_focused()  # a screen reader hears it at once
    assert page.locator("#answer").get_attribute("aria-invalid") == "true"


def test_finish_on_the_thank_you_leaves_nothing_to_go_back_to(page, lounge):
    start_friends_and_family(page, lounge)
    tap(page, "Poor")
    answer_why(page, "I want to kill myself")  # the thank-you shows where to get help
    expect(page.get_by_text("Samaritans: call 116 123")).to_be_visible()
    wait_until_ready(page)
    page.get_by_role("link", name="Finish").click()
    expect(heading(page)).to_have_text("Tell us what you think")
    page.go_back()  # the next person tries the browser's Back
    assert "thanks" not in page.url
    expect(page.get_by_text("Samaritans")).to_have_count(0)
