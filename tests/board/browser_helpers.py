"""The board's browser tests' shared parts: `gateway demo` as a real process,
signing in through the page, what the demo's board holds, the pages the
tests open, and checks of a page as people use it (axe-core, zoom, focus).

Debian's Chromium and axe-core come from tests/kiosk/browser.py (its
`browser` fixture is loaded for every test by tests/conftest.py).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import create_engine, select

from flows.formats import iso
from gateway.board.schema import answers, responses, sites
from tests.conftest import GATEWAY, free_port, wait_for_http
from tests.kiosk.browser import axe_violations, describe_violations

FIRST_SITE = "Riverside Care Home (sample)"  # the demo's own site, with its alert
SECOND_SITE = "Hillside Day Centre (sample)"
BOARD_TIME = ZoneInfo("Europe/London")  # the demo's GATEWAY_TIMEZONE
DESK = {"width": 1280, "height": 800}
# 200% zoom on that screen: half as many CSS pixels, each drawn twice as big.
ZOOMED = {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2}


@dataclass(frozen=True)
class Demo:
    """A running `gateway demo`: its address, folder and sign-ins."""

    base: str
    folder: Path
    sign_ins: dict  # role ("admin", "member") to (email, password)

    def url(self, path: str) -> str:
        return self.base + path

    @property
    def admin(self) -> tuple[str, str]:
        return self.sign_ins["admin"]


@contextmanager
def run_demo(folder: Path, log_path: Path) -> Iterator[Demo]:
    """`gateway demo` on a free port, as the README says to try it; stopped after."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [GATEWAY, "demo", "--port", str(port), "--folder", str(folder)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(base + "/board/sign-in", timeout=60, process=process)
            yield Demo(base, folder, read_sign_ins(folder / "demo-sign-in.txt"))
        finally:
            process.terminate()
            process.wait(timeout=10)


def read_sign_ins(path: Path) -> dict:
    """The demo's sign-in file: lines of role, email, password."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            role, email, password = line.split()
            found[role] = (email, password)
    return found


def new_board_context(browser: Browser, **options) -> BrowserContext:
    """A fresh profile, in Britain, at a desk's screen size unless told."""
    options.setdefault("viewport", DESK)
    return browser.new_context(locale="en-GB", timezone_id="Europe/London", **options)


def sign_in(page: Page, email: str, password: str) -> None:
    """Type the email and password on the sign-in page and press Sign in."""
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def banner(page: Page, words: str):
    """The banner a change shows on the next page."""
    return page.locator(".board-banner").filter(has_text=words)


# What the demo's board holds, read from its database -----------------------


def board_today() -> date:
    return datetime.now(BOARD_TIME).date()


def _ids(demo: Demo, query) -> set[str]:
    engine = create_engine(
        f"sqlite:///file:{demo.folder / 'board.sqlite3'}?mode=ro&uri=true"
    )
    try:
        with engine.connect() as conn:
            return set(conn.execute(query).scalars())
    finally:
        engine.dispose()


def _from_site(site: str):
    return (
        select(responses.c.id)
        .join(sites, sites.c.site_id == responses.c.site_id)
        .where(sites.c.name == site)
    )


def responses_at(demo: Demo, site: str) -> set[str]:
    """Every response the board holds from `site`."""
    return _ids(demo, _from_site(site))


def poor_answers(demo: Demo, site: str, first: date, last: date) -> set[str]:
    """Responses from `site` whose overall answer was poor or very poor, closed
    from the start of day `first` to the end of day `last`, board time."""

    def start_of(day: date) -> str:
        return iso(datetime.combine(day, time.min, BOARD_TIME).astimezone(UTC))

    query = (
        _from_site(site)
        .join(answers, answers.c.response_id == responses.c.id)
        .where(
            answers.c.step_id == "overall",
            answers.c.value.in_(("poor", "very_poor")),
            responses.c.closed_at >= start_of(first),
            responses.c.closed_at < start_of(last + timedelta(days=1)),
        )
    )
    return _ids(demo, query)


# The pages the tests look at -------------------------------------------------


def rows(page: Page):
    """The inbox's responses, one row each."""
    return page.locator("table.board-inbox tbody tr")


def changed(count: int) -> str:
    """What the inbox says after changing many at once."""
    return f"{count} piece{'' if count == 1 else 's'} of feedback changed."


def alert_response_path(page: Page, demo: Demo) -> str:
    """The response the demo's one safeguarding alert is about (staff see it)."""
    page.goto(demo.url("/board/"))
    return page.locator(".board-alerts a").first.get_attribute("href")


def last_weeks_poor_answers(demo: Demo, site: str = FIRST_SITE) -> str:
    """The inbox, filtered as the journey's admin filters it."""
    today = board_today()
    query = urlencode(
        [
            ("folder", "all"),
            ("site", site),
            ("step", "overall"),
            ("value", "poor"),
            ("value", "very_poor"),
            ("date_from", (today - timedelta(days=7)).isoformat()),
            ("date_to", today.isoformat()),
        ]
    )
    return demo.url(f"/board/?{query}")


def open_path(path: str):
    def open_it(page: Page, demo: Demo) -> None:
        response = page.goto(demo.url(path))
        assert response.status == 200, f"{path}: {response.status}"

    return open_it


def open_sign_in_with_a_mistake(page: Page, demo: Demo) -> None:
    page.goto(demo.url("/board/sign-in"))
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("There is a problem")).to_be_visible()


def open_filtered_inbox(page: Page, demo: Demo) -> None:
    page.goto(last_weeks_poor_answers(demo))
    expect(page.locator(".board-filter-tags")).to_be_visible()


def open_alert_response(page: Page, demo: Demo) -> None:
    page.goto(demo.url(alert_response_path(page, demo)))
    expect(page.get_by_role("heading", name="Safeguarding", exact=True)).to_be_visible()


def open_second_paper_step(page: Page, demo: Demo) -> None:
    yesterday = board_today() - timedelta(days=1)
    page.goto(demo.url("/board/paper"))
    page.get_by_label("Which site is the card from?").select_option(label=FIRST_SITE)
    page.get_by_label("Day").fill(str(yesterday.day))
    page.get_by_label("Month").fill(str(yesterday.month))
    page.get_by_label("Year").fill(str(yesterday.year))
    page.get_by_label("Friends and Family Test").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Answers on the card")


def open_figures(page: Page, demo: Demo) -> None:
    response = page.goto(demo.url("/board/figures"))
    assert response.status == 200, f"/board/figures: {response.status}"
    expect(page.get_by_role("heading", level=1)).to_have_text("Figures")


def open_post_form_with_a_mistake(page: Page, demo: Demo) -> None:
    page.goto(demo.url("/board/posts/new"))
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()


def open_a_draft_post(page: Page, demo: Demo) -> None:
    """Write a post in the composer, as staff would, and save it."""
    page.goto(demo.url("/board/posts/new"))
    page.get_by_label("What did you change, or plan to change?").fill(
        "You said the garden was hard to get to. We made a new path. It is wider."
    )
    page.get_by_label("The same, as a text message").fill(
        "You said the garden was hard to reach. We made a wider path."
    )
    page.get_by_label("We have done this").check()
    page.get_by_label("Consulting: we asked people, then we decided").check()
    page.get_by_label("Staff", exact=True).check()
    page.get_by_label("Why was it not decided together?").fill(
        "The builders needed an answer that week."
    )
    page.get_by_label(FIRST_SITE).check()
    page.get_by_label("On the kiosk screens").check()
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draft post")


SIGNED_OUT_PAGES = {
    "sign-in": open_path("/board/sign-in"),
    "sign-in with a mistake": open_sign_in_with_a_mistake,
}
ADMIN_PAGES = {
    "inbox with filters": open_filtered_inbox,
    "a response with an alert": open_alert_response,
    "paper card, first step": open_path("/board/paper"),
    "paper card, second step": open_second_paper_step,
    "people": open_path("/board/people"),
    "add a person": open_path("/board/people/add"),
    "your account": open_path("/board/account"),
    "figures": open_figures,
    "you said, we did": open_path("/board/posts"),
    "write a post, with a mistake": open_post_form_with_a_mistake,
    "a draft post": open_a_draft_post,
}


# Looking at a page -------------------------------------------------------------


def assert_no_axe_violations(page: Page, where: str) -> None:
    found = axe_violations(page)
    assert not found, f"axe-core found problems on {where}:\n" + describe_violations(
        found
    )


# Every control a person can use: each is scrolled to, must sit inside the
# window's width, and must be what a click reaches (or its label). A link
# that wraps is tried at the middle of its first line.
CONTROLS_OUT_OF_REACH = """() => {
  const width = document.scrollingElement.clientWidth;
  const problems = [];
  const controls = document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary");
  for (const control of controls) {
    if (control.classList.contains("board-skip-link")) continue;  // shown on focus
    if (!control.checkVisibility({visibilityProperty: true})) continue;
    control.scrollIntoView({block: "center", inline: "nearest"});
    const box = control.getBoundingClientRect();
    const line = control.getClientRects()[0] || box;
    const words = (control.textContent.trim() || control.name || control.id)
      .replace(/\\s+/g, " ").slice(0, 60);
    const what = `${control.tagName.toLowerCase()} "${words}"`;
    if (box.width < 1 || box.height < 1) {
      problems.push(`${what} has no size`);
      continue;
    }
    if (box.left < -1 || box.right > width + 1) {
      problems.push(`${what} runs off the side: ${box.left}-${box.right} of ${width}`);
      continue;
    }
    const hit = document.elementFromPoint(line.left + line.width / 2,
                                          line.top + line.height / 2);
    const labels = Array.from(control.labels || []);
    const reached = hit && (control.contains(hit) ||
      labels.some((label) => label.contains(hit)));
    if (!reached) {
      const over = hit ? hit.tagName.toLowerCase() + "." + hit.className : "nothing";
      problems.push(`${what} is covered by ${over}`);
    }
  }
  window.scrollTo(0, 0);
  return problems;
}"""


def controls_out_of_reach(page: Page) -> list[str]:
    return page.evaluate(CONTROLS_OUT_OF_REACH)


def sideways_scroll(page: Page) -> dict:
    return page.evaluate(
        """() => ({scrollWidth: document.scrollingElement.scrollWidth,
                   clientWidth: document.scrollingElement.clientWidth})"""
    )


# The focus indicator: how the focused element looks at each Tab stop, and how
# it looks once focus has moved on to another element.
FOCUS_STEP = """() => {
  const look = (element) => {
    const style = getComputedStyle(element);
    return [style.outlineStyle, style.outlineWidth, style.outlineColor,
            style.backgroundColor, style.boxShadow, style.color].join(" | ");
  };
  const focused = document.activeElement;
  const before = window.__focusedBefore;
  window.__focusedBefore = focused;
  const moved = before !== focused;
  return {
    tag: focused.tagName.toLowerCase(),
    words: (focused.textContent.trim() || focused.name || focused.id).slice(0, 60),
    href: focused.getAttribute("href"),
    look: look(focused),
    moved: moved,
    left_behind: moved && before ? look(before) : null,
  };
}"""


def focus_step(page: Page) -> dict:
    """What is focused now and how it looks; if focus moved to it from another
    element, how that one looks now."""
    return page.evaluate(FOCUS_STEP)


def tab_to(page: Page, wanted, most: int = 80) -> list[dict]:
    """Press Tab until `wanted(step)` is true of the focused element; a
    focus_step for each press."""
    steps = []
    for _ in range(most):
        page.keyboard.press("Tab")
        steps.append(focus_step(page))
        if wanted(steps[-1]):
            return steps
    raise AssertionError(f"Tab never reached it: {[s['words'] for s in steps]}")


def unseen_focus(steps: list[dict]) -> list[str]:
    """The Tab stops where the focused element looked as it does without focus
    (an element can have several: a date box's day, month, year and picker)."""
    unseen, stops = [], []
    for step in steps:
        if step["moved"]:
            if step["left_behind"] is not None:
                unseen += [
                    f"{words} (stop {number} of {len(stops)})"
                    for number, (words, look) in enumerate(stops, 1)
                    if look == step["left_behind"]
                ]
            stops = []
        stops.append((step["words"], step["look"]))
    return unseen


# The Figures page's charts: for each, what a person (and a screen reader)
# is given: the picture's role and name, its title, the sentence that says
# what it shows, and its table.
CHART_PARTS = """() => Array.from(document.querySelectorAll(".board-figure"))
  .map((figure) => {
    const picture = figure.querySelector("svg");
    const table = figure.querySelector("table");
    const names = (picture && picture.getAttribute("aria-labelledby") || "")
      .split(" ").filter(Boolean)
      .map((id) => (document.getElementById(id) || {}).textContent || "");
    const summary = figure.querySelector(".board-figure__summary");
    return {
      heading: figure.querySelector("h2").textContent.trim(),
      role: picture && picture.getAttribute("role"),
      title: picture && (picture.querySelector("title") || {}).textContent,
      named: names.join(" ").trim(),
      summary: summary ? summary.textContent.trim() : "",
      caption: table && table.caption ? table.caption.textContent.trim() : "",
      headers: table ? table.querySelectorAll("th[scope]").length : 0,
      width: picture ? picture.getBoundingClientRect().width : 0,
    };
  })"""


def chart_parts(page: Page) -> list[dict]:
    return page.evaluate(CHART_PARTS)
