"""Take the README's kiosk pictures again: run after changing how the kiosk looks.

Serves a fresh install on 127.0.0.1, adds a kiosk, and photographs the welcome
screen and the first question in Debian's chromium at a 1280x800 tablet size;
then the welcome screen again with a "You said, we did" post the board sent.

    .venv/bin/python docs/screenshots.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

from benchmarks.gateway_process import (  # noqa: E402
    CHROMIUM_ARGS,
    gateway,
    install,
    served,
)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="kiosk-pictures-"))
    try:
        env = install(folder / "instance")
        added = gateway(env, "kiosk", "add", "Lounge")
        path = urlsplit(added.strip().splitlines()[-1]).path
        with served(env, folder / "serve.log") as (port, _server):
            photograph(f"http://127.0.0.1:{port}{path}", folder / "instance")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def photograph(url: str, instance: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url)
        page.screenshot(path=DOCS / "kiosk-welcome.png")
        page.wait_for_selector("body[data-ready='1']")
        page.get_by_role("button", name="Start").click()
        page.get_by_role("button", name="Very good").wait_for()
        page.mouse.move(0, 0)  # no hover highlight in the picture
        page.screenshot(path=DOCS / "kiosk-question.png")
        keep_a_post(instance)
        page.goto(url)
        page.screenshot(path=DOCS / "kiosk-welcome-post.png", full_page=True)
        browser.close()


def keep_a_post(instance: Path) -> None:
    """A post as the board's stream brings one to the site."""
    from gateway import store
    from gateway.db import connect, write_txn

    db = connect(str(instance / "gateway.sqlite3"))
    try:
        with write_txn(db):
            store.posts.keep(db, POST, "2026-12-01T09:00:00Z")
    finally:
        db.close()


POST = {
    "id": "post-1",
    "words": "You said tea came too late. Now tea comes at 7 o'clock.",
    "sms_words": "",
    "change": "made",
    "rung": "co-production",
    "took_part": ["staff", "members"],
    "reason": "",
    "channels": ["kiosk"],
    "published_at": "2026-12-01T09:00:00Z",
}


if __name__ == "__main__":
    main()
