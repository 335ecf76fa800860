"""Take the README's kiosk pictures again: run after changing how the kiosk looks.

Serves a fresh install on 127.0.0.1, adds a kiosk, and photographs the welcome
screen and the first question in Debian's chromium at a 1280x800 tablet size.

    .venv/bin/python docs/screenshots.py
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parent
GATEWAY = str(Path(sys.executable).with_name("gateway"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="kiosk-pictures-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["GATEWAY_INSTANCE_PATH"] = str(folder / "instance")
    subprocess.run([GATEWAY, "init"], env=env, check=True, capture_output=True)
    added = subprocess.run(
        [GATEWAY, "kiosk", "add", "Lounge"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    path = urlsplit(added.stdout.strip().splitlines()[-1]).path
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [GATEWAY, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz")  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"http://127.0.0.1:{port}{path}")
            page.screenshot(path=DOCS / "kiosk-welcome.png")
            page.wait_for_selector("body[data-ready='1']")
            page.get_by_role("button", name="Start").click()
            page.get_by_role("button", name="Very good").wait_for()
            page.mouse.move(0, 0)  # no hover highlight in the picture
            page.screenshot(path=DOCS / "kiosk-question.png")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
