"""The touchscreen kiosk in a real browser: taps, back, idle reset, double taps, blips.

Each test runs the real `gateway serve` (waitress on 127.0.0.1) against a
fresh install, adds kiosks with the real CLI, drives Debian's Chromium through
Playwright, and reads what was stored back with `gateway export`. Time on the
page is moved with Playwright's clock, so nothing here waits out a timer.
Accessibility checks are in test_kiosk_accessibility.py.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import free_port, serve_gateway
from tests.kiosk.browser import (
    FFT_OVERALL,
    FFT_THANKS,
    FFT_WHY,
    SAVING,
    SLOW,
    STILL_THERE,
    WELCOME,
    add_kiosk,
    answer_why,
    button,
    heading,
    next_screen,
    only_response,
    start_friends_and_family,
    tap,
    tap_and_stay,
    wait_until_ready,
)

# 1. The happy path ----------------------------------------------------------------


def test_tapping_through_friends_and_family_stores_a_complete_response(
    page, lounge_url, gateway_env
):
    start_friends_and_family(page, lounge_url)
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


def test_a_tap_is_sent_to_its_own_screen_address(page, lounge_url):
    start_friends_and_family(page, lounge_url)
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


# 7. Back and "I'd rather not say" ---------------------------------------------------


def test_back_then_rather_not_say_replaces_the_earlier_answer(
    page, lounge_url, gateway_env
):
    start_friends_and_family(page, lounge_url)
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


def test_double_tap_records_one_answer(page, lounge_url, gateway_env):
    start_friends_and_family(page, lounge_url)
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


def test_the_same_form_posted_twice_counts_once(page, lounge_url, gateway_env):
    start_friends_and_family(page, lounge_url)
    form = page.locator("form.tap[data-queue]")
    action = form.get_attribute("action")
    fields = {
        "screen": form.locator("input[name=screen]").get_attribute("value"),
        "step": form.locator("input[name=step]").get_attribute("value"),
        "answer": "good",
    }
    base = lounge_url.split("/kiosk/")[0]
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


def test_finish_on_the_thank_you_leaves_nothing_to_go_back_to(page, lounge_url):
    start_friends_and_family(page, lounge_url)
    tap(page, "Poor")
    answer_why(page, "I want to kill myself")  # the thank-you shows where to get help
    expect(page.get_by_text("Samaritans: call 116 123")).to_be_visible()
    wait_until_ready(page)
    page.get_by_role("link", name="Finish").click()
    expect(heading(page)).to_have_text("Tell us what you think")
    page.go_back()  # the next person tries the browser's Back
    assert "thanks" not in page.url
    expect(page.get_by_text("Samaritans")).to_have_count(0)
