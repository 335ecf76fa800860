"""The kiosk on a small landscape tablet (1024x768) and while a tap is on its way.

Every screen of the bundled flows shows its answers, Next and "Stop and save my
answers" without scrolling; "Someone helped me answer" has an edge that poor
sight can find; and while a tap is being sent, the other buttons are disabled
(a screen reader does not offer them) without fading below 4.5:1.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route, expect

from flows.loader import load_flow
from flows.model import QUESTION_KINDS
from gateway.channels import channel
from tests.conftest import REPO, serve_gateway
from tests.kiosk.browser import (
    FFT_OVERALL,
    FFT_WHY,
    SAVING,
    TABLET,
    WELCOME,
    add_kiosk,
    axe_violations,
    button,
    describe_violations,
    heading,
    new_kiosk_context,
    start_friends_and_family,
    stub_speech,
    tap,
    tap_and_stay,
    wait_until_ready,
)
from tests.kiosk.seeing import contrast_ratio, drawn_colours, outside_the_window

LIBRARY = REPO / "flows" / "library"
STOP = "Stop and save my answers"
# The kinds of step the bundled flows do not ask on a kiosk: a number, and
# consent (the bundled one is for SMS only), after a message.
EVERY_OTHER_KIND = """\
id: every-other-kind
version: 1
title: Every other kind of step
language: en
steps:
  - id: hello
    kind: message
    text: We want to plan the summer trips.
  - id: trips
    kind: number
    min: 0
    max: 10
    text: How many trips out would you like each month?
  - id: photos
    kind: consent
    text: Can we put a photo of you on the trip on the notice board?
thank_you: Thank you for telling us.
"""
# Taps that between them show every screen a kiosk asks, down every branch:
# a button's words, or ("write", words) then Next, or ("number", n) then Next.
WALKS = {
    "friends-and-family": ["Good", ("write", "The staff were kind")],
    "care-home-life": [
        "Bad",
        ("write", "Hotter food"),
        "Music and singing",
        "No",
        ("write", "A lift to the bus stop"),
    ],
    "every-other-kind": [("number", "3"), "Yes"],
}


@pytest.fixture
def tablet(browser) -> Page:
    """A 1024x768 tablet with a voice, so "Read aloud" takes its room too."""
    context = new_kiosk_context(browser, viewport=TABLET)
    stub_speech(context)
    yield context.new_page()
    context.close()


@pytest.fixture
def kiosk_per_flow(gateway_env, tmp_path) -> dict[str, str]:
    """A kiosk for each walked flow; yields their addresses by flow id."""
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "every-other-kind.yaml").write_text(EVERY_OTHER_KIND, encoding="utf-8")
    gateway_env["GATEWAY_FLOWS_PATH"] = str(flows)
    paths = {flow: add_kiosk(gateway_env, flow, flow=flow) for flow in WALKS}
    with serve_gateway(gateway_env, tmp_path / "serve.log") as (base, _process):
        yield {flow: base + path for flow, path in paths.items()}


def kiosk_steps(flow_id: str, folder) -> set[str]:
    """Every question the kiosk asks in a flow file."""
    flow = load_flow(folder / f"{flow_id}.yaml")
    family = channel("kiosk").family
    return {s.id for s in flow.steps if s.kind in QUESTION_KINDS and s.shown_on(family)}


def showing_step(page: Page) -> str:
    return page.locator("#main input[name=step]").get_attribute("value")


def take(page: Page, move, off_screen: dict[str, list[str]]) -> None:
    """Make one move; a question for words or a number is first sent empty, so
    that it is also seen asked again, with its message (and still fitting)."""
    if isinstance(move, str):
        tap(page, move)
        return
    step = showing_step(page)
    tap_and_stay(page, "Next")  # asked again: not a refusal, so not tap()
    expect(page.locator("#main .error")).to_be_visible()
    off_screen[f"{step}, asked again"] = outside_the_window(page)
    how, words = move
    box = page.get_by_role("textbox") if how == "write" else page.locator("#answer")
    box.fill(words)
    tap(page, "Next")


# 1. Everything to tap on every screen is in the window ---------------------------


@pytest.mark.parametrize("flow_id", sorted(WALKS))
def test_every_screen_fits_a_1024_by_768_tablet_without_scrolling(
    tablet, kiosk_per_flow, tmp_path, flow_id
):
    folder = tmp_path / "flows" if flow_id == "every-other-kind" else LIBRARY
    tablet.goto(kiosk_per_flow[flow_id])
    expect(heading(tablet)).to_have_text(WELCOME)
    wait_until_ready(tablet)
    off_screen = {"welcome": outside_the_window(tablet)}
    tap(tablet, "Start")
    walked = []
    for move in WALKS[flow_id]:
        step = showing_step(tablet)
        walked.append(step)
        expect(button(tablet, STOP)).to_be_visible()
        expect(button(tablet, "Read aloud")).to_be_visible()
        assert tablet.evaluate("window.scrollY") == 0
        off_screen[step] = outside_the_window(tablet)
        take(tablet, move, off_screen)
    expect(tablet.get_by_role("link", name="Finish")).to_be_visible()
    off_screen["thank you"] = outside_the_window(tablet)

    assert set(walked) == kiosk_steps(flow_id, folder), "a screen was not walked"
    below = {screen: found for screen, found in off_screen.items() if found}
    assert not below, f"needs scrolling at {TABLET['width']}x{TABLET['height']}:\n" + (
        "\n".join(f"{screen}: {', '.join(found)}" for screen, found in below.items())
    )


# 2. "Someone helped me answer" has an edge poor sight can find ---------------------


def test_the_someone_helped_me_checkbox_edge_has_3_to_1_contrast(tablet, lounge_url):
    start_friends_and_family(tablet, lounge_url)
    tap(tablet, "Good")
    expect(heading(tablet)).to_have_text(FFT_WHY)
    checkbox = tablet.get_by_label("Someone helped me answer")
    for ticked in (False, True):
        (box,) = drawn_colours(tablet, "input[name=helped]")
        assert box["borderStyle"] == "solid", box
        assert box["borderWidth"] >= 3, box
        against_page = contrast_ratio(box["border"], box["around"])
        inside = contrast_ratio(box["border"], box["background"])
        assert min(against_page, inside) >= 3, (ticked, box)  # WCAG 1.4.11
        checkbox.check()
    expect(checkbox).to_be_checked()
    ticked_look = tablet.evaluate(
        "getComputedStyle(document.querySelector('input[name=helped]')).backgroundImage"
    )
    assert "tick.svg" in ticked_look  # a ticked box still shows its tick


# 3. While a tap is on its way --------------------------------------------------------


def hold_taps(page: Page) -> list[Route]:
    """Taps wait here until the test lets them go: a very slow connection."""
    held: list[Route] = []

    def hold(route: Route) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route("**/r/**", hold)
    return held


def wait_for_taps(page: Page, held: list[Route], count: int) -> None:
    for _ in range(200):
        if len(held) >= count:
            return
        page.wait_for_timeout(50)
    pytest.fail(f"{count} tap(s) never left the tablet; {len(held)} did")


BUTTON_STATES = """() => Array.from(document.querySelectorAll("#main button"))
  .filter((element) => element.checkVisibility())
  .map((element) => ({
    words: element.textContent.trim().replace(/\\s+/g, " "),
    disabled: element.disabled || element.getAttribute("aria-disabled") === "true",
  }))"""


def button_states(page: Page) -> dict[str, bool]:
    """The visible buttons' words, each with whether it is disabled."""
    return {b["words"]: b["disabled"] for b in page.evaluate(BUTTON_STATES)}


@pytest.mark.parametrize(
    ("screen", "tapped", "then"),
    [("choice", "Good", FFT_WHY), ("text", "Next", "Thank you")],
)
def test_while_a_tap_is_sent_the_other_buttons_are_disabled_not_faded(
    context, lounge_url, screen, tapped, then
):
    stub_speech(context)  # "Read aloud" is one of the other buttons
    page = context.new_page()
    start_friends_and_family(page, lounge_url)
    if screen == "text":
        tap(page, "Good")
        page.get_by_role("textbox").fill("The staff were kind")
    held = hold_taps(page)
    tap_and_stay(page, tapped)
    wait_for_taps(page, held, 1)

    states = button_states(page)
    others = {words: off for words, off in states.items() if words != tapped}
    assert {"I'd rather not say", STOP, "Read aloud"} <= set(others), states
    assert all(others.values()), f"still offered while the tap is sent: {states}"
    assert not states[tapped], "the tapped button keeps its focus"
    faint = [
        f"'{b['words']}' {contrast_ratio(b['text'], b['background']):.2f}:1"
        for b in drawn_colours(page, "#main .button")
        if contrast_ratio(b["text"], b["background"]) < 4.5
    ]
    assert not faint, f"text below 4.5:1 while the tap is sent: {faint}"
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)

    held[0].continue_()
    expect(heading(page)).to_contain_text(then)
    assert not any(button_states(page).values()), "the next screen's buttons wake"


def test_a_tap_that_fails_wakes_the_buttons_and_is_sent_again(context, lounge_url):
    page = context.new_page()
    start_friends_and_family(page, lounge_url)
    held = hold_taps(page)
    tap_and_stay(page, "Good")
    wait_for_taps(page, held, 1)
    assert button_states(page)["Very poor"], "asleep while the tap is sent"

    held[0].abort()  # the Wi-Fi drops
    expect(heading(page)).to_have_text(SAVING)
    asleep = page.locator("#main button[disabled], #main [aria-disabled=true]")
    expect(asleep).to_have_count(0)  # awake again behind "Saving your answer"
    wait_for_taps(page, held, 2)  # the queue sends it again
    held[1].continue_()
    expect(heading(page)).to_have_text(FFT_WHY)
    expect(page.get_by_text(FFT_OVERALL)).to_have_count(0)
