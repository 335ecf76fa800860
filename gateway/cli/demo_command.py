"""`gateway demo`: the whole gateway on this machine, filled with sample data.

An install of its own in a folder of its own (never the real one): role
`both`, the board's cookie over plain http (it listens on 127.0.0.1 only),
a kiosk, sample responses and two people to sign in as, with passwords kept
in the folder so that every run prints the same ones. The worker's loop runs
in a thread beside waitress, so kiosk answers reach the board as they would
with `gateway worker` running.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from pathlib import Path

import click

from flows.formats import iso
from gateway.cli.base import app_database, app_from, utc_now
from gateway.cli.kiosk_commands import kiosk_url
from gateway.cli.setup_commands import init, serve
from gateway.config import SETTINGS

log = logging.getLogger("gateway")
HOST = "127.0.0.1"
SIGN_IN_FILE = "demo-sign-in.txt"
KIOSK = "Demo kiosk"
SAMPLE_WORDS = "This is sample data. Nothing here is real."
WORKER_SECONDS = 5  # how soon a kiosk answer reaches the demo's board


@click.command()
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--folder",
    default="demo",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the demo keeps its databases, keys and sign-ins.",
)
@click.pass_context
def demo(ctx: click.Context, port: int, folder: Path) -> None:
    """Try the gateway with sample data, on this machine only.

    Fills a board with sample responses the first time, then serves it on
    127.0.0.1 with a kiosk. Running it again uses the same folder and data.
    It reads none of this machine's GATEWAY_* settings.
    """
    people, kiosk_key = set_up(ctx, folder)
    base = f"http://{HOST}:{port}"
    click.echo("")
    click.echo(SAMPLE_WORDS)
    click.echo(f"Sign in to the board at {base}/board/")
    for person in people:
        who = "Admin, sees every site" if person.role == "admin" else "Board member"
        if person.sites:
            who += ", sees " + " and ".join(person.sites) + " only"
        click.echo(f"  {who}:")
        click.echo(f"    email {person.email}  password {person.password}")
    click.echo(f"The kiosk: {kiosk_url({}, kiosk_key, base)}")
    click.echo(f"These sign-ins are kept in {folder.resolve() / SIGN_IN_FILE}.")
    click.echo("")
    stopping = threading.Event()
    worker = threading.Thread(
        target=work_in_background, args=(app_from(ctx), stopping), daemon=True
    )
    worker.start()
    try:
        ctx.invoke(serve, host=HOST, port=port, threads=8)
    finally:
        stopping.set()


def set_up(ctx: click.Context, folder: Path):
    """Make or reuse the demo folder, install and sample data; the sign-ins
    and the kiosk's key."""
    from gateway.board import demo as samples
    from gateway.board.database import writing

    folder = folder.resolve()
    refuse_unless_a_demo_folder(folder)
    obj = ctx.ensure_object(dict)
    obj["test_config"] = demo_settings(folder, obj.get("test_config"))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    people = samples.sign_ins(read_sign_ins(folder / SIGN_IN_FILE))
    write_sign_ins(folder / SIGN_IN_FILE, people)
    ctx.invoke(init)
    app = app_from(ctx)
    runtime = app.extensions["gateway"]
    with writing(app.extensions["board_engine"]) as conn:
        filled = samples.fill_board(
            conn,
            runtime,
            local_site_id=runtime.site_id,
            people=people,
            now=utc_now(),
        )
    if filled:
        click.echo("Filled the board with sample data.")
    return people, demo_kiosk(app)


def demo_settings(folder: Path, given: dict | None = None) -> dict:
    """Every setting at its default, whatever this machine's environment says,
    then the demo's own: nothing here can reach a real install or Twilio."""
    settings = {setting.key: setting.default for setting in SETTINGS}
    settings.update(given or {})  # tests' TESTING, say
    settings.update(
        INSTANCE_PATH=str(folder),
        DATABASE=None,  # inside the folder
        BOARD_DATABASE=None,
        SECRET_KEY=None,  # the folder's own
        ROLE="both",
        SECURE_COOKIES=False,  # plain http on 127.0.0.1
        SAMPLES_IN_FIGURES=True,  # every response in a demo is a sample
        SITE="Riverside Care Home (sample)",
        DEFAULT_FLOW="friends-and-family",
        WORKER_INTERVAL=WORKER_SECONDS,
        TWILIO_ACCOUNT_SID=None,
        TWILIO_AUTH_TOKEN=None,
        PUBLIC_URL=None,
    )
    return settings


def refuse_unless_a_demo_folder(folder: Path) -> None:
    """A folder that holds anything but a demo is someone's: never touch it."""
    if folder.exists() and not folder.is_dir():
        raise click.ClickException(f"{folder} is a file. Choose a folder for the demo.")
    has_files = folder.is_dir() and any(folder.iterdir())
    if has_files and not (folder / SIGN_IN_FILE).exists():
        raise click.ClickException(
            f"{folder} already holds files, and they are not a demo's. "
            "Choose another folder with --folder. (A demo folder whose "
            f"{SIGN_IN_FILE} was deleted: delete the folder to start again.)"
        )


def read_sign_ins(path: Path) -> dict[str, str]:
    """Role to password, from the file an earlier run wrote; {} if none."""
    if not path.exists():
        return {}
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if len(words) == 3 and not line.startswith("#"):
            role, _email, password = words
            found[role] = password
    return found


def write_sign_ins(path: Path, people) -> None:
    """Readable by its owner only: it holds passwords."""
    lines = [f"# gateway demo: who can sign in. {SAMPLE_WORDS}"]
    lines += [f"{p.role} {p.email} {p.password}" for p in people]
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    path.chmod(0o600)


def demo_kiosk(app) -> str:
    """The demo's kiosk at its own site, added the first time; its key."""
    from gateway import store
    from gateway.db import write_txn

    with app_database(app) as db, write_txn(db):
        found = store.kiosks.kiosk_by_name(db, KIOSK)
        if found is not None:
            return found["key"]
        key = secrets.token_urlsafe(16)
        store.kiosks.add_kiosk(
            db, name=KIOSK, key=key, flow_id=None, now=iso(utc_now())
        )
    return key


def work_in_background(app, stopping: threading.Event) -> None:
    """What `gateway worker` does for a demo, a pass every few seconds until
    `stopping`. Nothing is sent: the demo has no Twilio account."""
    from gateway.sync.runner import SyncSchedule

    schedule = SyncSchedule(app.config["SYNC_MAX_BACKOFF_SECONDS"])
    while not stopping.is_set():
        background_pass(app, schedule)
        stopping.wait(app.config["WORKER_INTERVAL"])


def background_pass(app, schedule) -> None:
    """Close quiet conversations, and hand the site's closed responses to its
    own board (role `both`), as the worker's pass does."""
    from gateway.cli.setup_commands import _sync_pass
    from gateway.conversations import close_idle_conversations

    try:
        with app_database(app) as db:
            close_idle_conversations(db, app.extensions["gateway"], utc_now())
            if schedule.due():
                _sync_pass(db, app, schedule)
    except Exception:  # the next pass must still run
        log.exception("the demo's background work failed; trying again")
