"""Take the README's board pictures again: run after changing how the board looks.

Runs `gateway demo` (its sample data, on 127.0.0.1) in a folder of its own,
signs in as the demo admin, reviews one response as staff would (two tags,
a note, where it has got to, who has it) and photographs the inbox, that
response, the Figures page, last month's Friends and Family Test return, and
a "You said, we did" post being written and then saved, in Debian's
chromium: a 1680x1050 screen, drawn at 1280x800, each from its heading down
(the menu above is left out).

    .venv/bin/python docs/board_screenshots.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

from benchmarks.gateway_process import (  # noqa: E402
    CHROMIUM_ARGS,
    GATEWAY,
    free_port,
    wait_for_http,
)

# A 1680x1050 office screen, drawn at 1280x800: more of the page fits.
SCREEN = {"width": 1680, "height": 1050}
SCALE = 1280 / 1680
# A poor answer by text, in their own words: it has all three questions.
CHOSEN = "channel=sms&step=overall&value=poor&value=very_poor&free_text=y"
TAGS = ("Complaint", "Follow up")
NOTE = "I rang the manager. We will talk about it at the next staff meeting."
POST = (
    "You said tea came too late in the evening. Now tea comes at 7 o'clock. "
    "You can ask for more at any time."
)
POST_SMS = "You said tea came too late. Now it comes at 7pm. Thank you for telling us."
POST_REASON = "The kitchen staff set the new times."


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="board-pictures-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    port = free_port()
    try:
        with (folder / "demo.log").open("wb") as log:
            command = [GATEWAY, "demo", "--port", str(port), "--folder"]
            demo = subprocess.Popen(
                [*command, str(folder / "demo")],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                base = f"http://127.0.0.1:{port}"
                wait_for_http(base + "/board/sign-in", timeout=60, process=demo)
                photograph(base, admin_sign_in(folder / "demo" / "demo-sign-in.txt"))
            finally:
                demo.terminate()
                demo.wait(timeout=10)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def admin_sign_in(path: Path) -> tuple[str, str]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("admin "):
            _role, email, password = line.split()
            return email, password
    raise SystemExit(f"no admin in {path}")


def photograph(base: str, admin: tuple[str, str]) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=CHROMIUM_ARGS,
        )
        page = browser.new_page(
            viewport=SCREEN,
            device_scale_factor=SCALE,
            locale="en-GB",
            timezone_id="Europe/London",
        )
        page.goto(base + "/board/sign-in")
        page.get_by_label("Email address").fill(admin[0])
        page.get_by_label("Password", exact=True).fill(admin[1])
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()

        review_one(page, base)
        page.goto(page.url)  # without the last change's banner
        # Where it has got to, what they said and its tags. The review forms,
        # the note and what has happened are further down.
        from_the_heading(page)
        page.screenshot(path=DOCS / "board-response.png")

        page.goto(base + "/board/")  # the New folder, as it first opens
        from_the_heading(page)  # folders, filters, changing many, the newest
        page.screenshot(path=DOCS / "board-inbox.png")

        page.goto(base + "/board/figures")  # the first chart and its table
        from_the_heading(page)
        page.screenshot(path=DOCS / "board-figures.png")

        page.goto(base + "/board/fft-return")  # last month's return
        from_the_heading(page)
        page.screenshot(path=DOCS / "board-fft-return.png")

        write_a_post(page, base)  # the composer, filled in, then the draft
        browser.close()


def review_one(page: Page, base: str) -> None:
    """Open a poor answer by text and review it: tags, a note, where it has
    got to and who has it."""
    page.goto(base + f"/board/?folder=all&{CHOSEN}")
    page.locator("table.board-inbox tbody tr").first.locator(
        ".board-inbox__date a"
    ).click()
    for name in TAGS:
        page.get_by_label("Add a tag", exact=True).fill(name)
        page.get_by_role("button", name="Add the tag").click()
        expect(page.locator(".board-banner", has_text="Tag added")).to_be_visible()
    page.get_by_label("Write a note for staff").fill(NOTE)
    page.get_by_role("button", name="Save the note").click()
    expect(page.locator(".board-banner", has_text="note is saved")).to_be_visible()
    review = page.locator("form", has=page.get_by_role("radio", name="Done"))
    review.get_by_role("radio", name="Being looked at").check()
    review.get_by_role("button", name="Save").click()
    expect(page.locator(".board-banner", has_text="It is now")).to_be_visible()
    assign = page.locator("form", has=page.get_by_label("Who has it"))
    assign.get_by_label("Who has it").select_option(label="Demo admin")
    assign.get_by_role("button", name="Save").click()
    expect(page.locator(".board-banner", has_text="has it now")).to_be_visible()


def write_a_post(page: Page, base: str) -> None:
    """A "You said, we did" post: the composer as staff fill it in, and the
    draft's page that shows how it reads."""
    page.goto(base + "/board/posts/new")
    page.get_by_label("What did you change, or plan to change?").fill(POST)
    page.get_by_label("The same, as a text message").fill(POST_SMS)
    page.get_by_label("We have done this").check()
    page.get_by_label("Co-design: we designed it with people").check()
    page.get_by_label("Staff", exact=True).check()
    page.get_by_label("Board members with lived experience").check()
    page.get_by_label("Why was it not decided together?").fill(POST_REASON)
    from_the_heading(page)
    page.screenshot(path=DOCS / "board-post-composer.png")
    page.get_by_label("Riverside Care Home (sample)").check()
    page.get_by_label("On the kiosk screens").check()
    page.get_by_label("By text, to people who said we may text them").check()
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draft post")
    page.goto(page.url)  # without the banner
    from_the_heading(page)
    page.screenshot(path=DOCS / "board-post.png")


def from_the_heading(page: Page) -> None:
    """Scrolled to the page's heading, with no hover highlight or text cursor."""
    page.mouse.move(0, 0)
    page.evaluate(
        """() => {
          document.activeElement && document.activeElement.blur();
          const heading = document.querySelector("h1").getBoundingClientRect();
          window.scrollTo(0, heading.top + window.scrollY - 16);
        }"""
    )


if __name__ == "__main__":
    main()
