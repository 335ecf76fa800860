"""The kiosk's browser tests' shared parts: fixtures (a pytest plugin, loaded by
conftest), Debian's Chromium, taps, axe-core, the CLI.

The tests drive a real `gateway serve` (waitress) with Debian's own Chromium
through Playwright's sync API; nothing here downloads a browser.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import axe_playwright_python
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Playwright,
    Response,
    Route,
    expect,
    sync_playwright,
)

from benchmarks.gateway_process import CHROMIUM_ARGS
from tests.conftest import GATEWAY, serve_gateway

CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1280, "height": 800}
TABLET = {"width": 1024, "height": 768}  # the smallest landscape tablet we serve
AXE_SCRIPT = Path(axe_playwright_python.__file__).with_name("axe.min.js")
MIN_TARGET_PX = 64  # the kiosk's smallest tap target, in CSS pixels

# A speechSynthesis with one on-device British voice (or none) that writes down
# what it is asked to say, and in which voice.
SPEECH_STUB = """
(() => {
  const voices = %s;
  window.__spoken = [];
  window.__voicesUsed = [];
  Object.defineProperty(window, "speechSynthesis", {
    configurable: true,
    value: {
      getVoices: () => voices,
      speak: (utterance) => {
        window.__spoken.push(utterance.text);
        window.__voicesUsed.push(utterance.voice && utterance.voice.name);
      },
      cancel: () => {},
      addEventListener: () => {},
    },
  });
  // The browser's own utterance, except that its voice setter takes only the
  // browser's own SpeechSynthesisVoice objects, which a page cannot make.
  class Utterance extends window.SpeechSynthesisUtterance {
    get voice() { return this.__voice || null; }
    set voice(voice) { this.__voice = voice; }
  }
  window.SpeechSynthesisUtterance = Utterance;
})();
"""
ONE_VOICE = [
    {
        "name": "Test British voice",
        "lang": "en-GB",
        "localService": True,
        "default": True,
        "voiceURI": "test-en-gb",
    }
]


# The browser ------------------------------------------------------------------


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless; a missing browser fails the tests, never skips."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the kiosk's browser tests need Debian's "
            "Chromium (apt-get install chromium); Playwright's download is not used."
        )
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


def new_kiosk_context(
    browser: Browser, viewport: dict | None = None, **options
) -> BrowserContext:
    """A fresh profile at the kiosk tablet's size: no cookies, storage or workers."""
    return browser.new_context(viewport=viewport or VIEWPORT, **options)


def stub_speech(context: BrowserContext, voices: list[dict] | None = None) -> None:
    """Give every page in `context` a speechSynthesis with `voices` (one by default)."""
    chosen = ONE_VOICE if voices is None else voices
    context.add_init_script(SPEECH_STUB % json.dumps(chosen))


# Taps ---------------------------------------------------------------------------


def button(page: Page, name: str) -> Locator:
    """The visible button whose words are exactly `name`."""
    return page.get_by_role("button", name=name, exact=True)


def wait_until_ready(page: Page) -> None:
    """kiosk.js ignores taps for 600 ms after a screen appears, then says ready."""
    page.wait_for_selector("body[data-ready='1']", state="attached")


@contextmanager
def next_screen(page: Page, what: str) -> Iterator[None]:
    """Around a tap: wait for the screen to be replaced, drawn in place or loaded.

    Fails if the gateway refused the tap: kiosk.js would quietly show the same
    screen again, and the answer would be lost.
    """
    page.evaluate("document.getElementById('main').dataset.oldScreen = '1'")
    refused: list[str] = []

    def note_refusal(response: Response) -> None:
        if response.request.method == "POST" and response.status >= 400:
            refused.append(f"{response.status} for POST {response.url}")

    page.on("response", note_refusal)
    try:
        yield
        page.locator("#main[data-old-screen]").wait_for(state="detached")
    finally:
        page.remove_listener("response", note_refusal)
    assert not refused, f"the gateway refused the tap on '{what}': {refused}"


def tap(page: Page, name: str) -> None:
    """Tap a button once the screen takes taps, and wait for the next screen."""
    wait_until_ready(page)
    with next_screen(page, name):
        button(page, name).click()


def tap_and_stay(page: Page, name: str) -> None:
    """Tap a button once the screen takes taps; the page may not change (a blip)."""
    wait_until_ready(page)
    button(page, name).click()


def heading(page: Page) -> Locator:
    """The visible top heading: the question, or the screen's title."""
    return page.locator("h1:visible")


# Looking at a screen --------------------------------------------------------------


def axe_violations(page: Page) -> list[dict]:
    """Run axe-core's full rule set on the page as it now looks."""
    # evaluate() is not subject to the kiosk's Content-Security-Policy.
    page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return results["violations"]


def describe_violations(violations: list[dict]) -> str:
    """One readable line per problem element: rule, what it means, where."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            lines.append(
                f"  {violation['id']} ({violation['impact']}): {violation['help']}"
                f" at {node['target']}"
            )
    return "\n".join(lines)


def tap_target_sizes(page: Page) -> list[dict]:
    """Every visible button and button-styled link: its words, width and height."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll("button, a.button"))
          .filter((element) => element.checkVisibility())
          .map((element) => {
            const box = element.getBoundingClientRect();
            const words = element.textContent.trim().replace(/\\s+/g, " ");
            return {words, width: box.width, height: box.height};
          })"""
    )


FOCUSED_WORDS = """() => {
  const focused = document.activeElement;
  const named = focused.labels && focused.labels.length ? focused.labels[0] : focused;
  return named.textContent.trim();
}"""


def focused_words(page: Page) -> str:
    """The words on the focused element, or on its label."""
    return page.evaluate(FOCUSED_WORDS)


def focus_ring(page: Page) -> dict:
    """How the focused element shows its focus: outline style and width, shadow."""
    return page.evaluate(
        """() => {
          const style = getComputedStyle(document.activeElement);
          return {
            tag: document.activeElement.tagName,
            outlineStyle: style.outlineStyle,
            outlineWidth: parseFloat(style.outlineWidth) || 0,
            boxShadow: style.boxShadow,
          };
        }"""
    )


def zoom_text(page: Page, percent: int) -> None:
    """Browser text zoom: every size in kiosk.css is in rem, so scale the root."""
    page.evaluate(
        "(size) => { document.documentElement.style.fontSize = size; }", f"{percent}%"
    )


def page_widths(page: Page) -> dict:
    """The document's scroll width against the window's, and the root text size."""
    return page.evaluate(
        """() => ({scrollWidth: document.documentElement.scrollWidth,
                   innerWidth: window.innerWidth,
                   rootFontPx: parseFloat(
                     getComputedStyle(document.documentElement).fontSize)})"""
    )


# The gateway's command line ----------------------------------------------------


def add_kiosk(env: dict, name: str, flow: str | None = None) -> str:
    """`gateway kiosk add NAME`; returns the kiosk's path, /kiosk/<key>/."""
    command = [GATEWAY, "kiosk", "add", name]
    if flow:
        command += ["--flow", flow]
    added = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    address = added.stdout.strip().splitlines()[-1]
    return "/kiosk/" + address.split("/kiosk/", 1)[1]


def export_responses(env: dict) -> list[dict]:
    """Every closed response, as `gateway export --format jsonl` writes it."""
    exported = subprocess.run(
        [GATEWAY, "export", "--format", "jsonl"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return [json.loads(line) for line in exported.stdout.splitlines() if line.strip()]


# Screens and fixtures shared by the browser tests ----------------------------

WELCOME = "Tell us what you think"
FFT_OVERALL = "Overall, how was your experience of our service?"
FFT_WHY = "Please tell us why. What was good, or what could be better?"
FFT_THANKS = "Thank you. We read every answer. We use them to make things better."
FFT_SCALE = ["Very good", "Good", "Neither good nor poor", "Poor", "Very poor"]
STILL_THERE = "Are you still there?"
SAVING = "Saving your answer\u2026"
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
def lounge_url(gateway_env, tmp_path) -> str:
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
