"""Setting up and running an install: `gateway init`, `migrate`, `serve`, `worker`.

`init` and `migrate` are the only commands that change the schema or re-key;
`serve` and `worker` refuse to start until `migrate` has nothing left to do.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

import click
from sqlalchemy.exc import OperationalError

from gateway import store
from gateway.cli.base import app_database, app_from, config_from, utc_now
from gateway.config import pseudonym_key_file, secret_key_file

log = logging.getLogger("gateway")
# How long each worker pass may spend working out new people's pseudonyms.
WORKING_OUT_SECONDS = 1.0


@click.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Set up this install: folder, keys, database and site id. Safe to run again."""
    from gateway.db import connect, write_txn
    from gateway.ids import uuid7
    from gateway.migrations import bring_up_to_date, put_own_site_on_board
    from gateway.privacy import new_key, write_key

    config = config_from(ctx)
    instance = Path(config["INSTANCE_PATH"])
    instance.mkdir(parents=True, exist_ok=True)
    instance.chmod(0o700)
    made = []
    key_file = secret_key_file(instance)
    if not config["SECRET_KEY"] and not key_file.exists():
        key_file.write_text(new_key().hex() + "\n", encoding="ascii")
        key_file.chmod(0o600)
        made.append("a secret key")
    pseudonym_file = pseudonym_key_file(instance)
    if not pseudonym_file.exists():
        write_key(pseudonym_file, new_key())
        made.append("the organisation's pseudonym key")
    new_database = not Path(config["DATABASE"]).exists()
    db = connect(config["DATABASE"])
    try:
        with board_database_reached(config):
            done = bring_up_to_date(db, config)
            with write_txn(db):
                site_id = store.core.set_meta_once(db, "site_id", uuid7())
            put_own_site_on_board(db, config)
    finally:
        db.close()
    click.echo(f"Site '{config['SITE']}' ({site_id})")
    click.echo(f"Database: {config['DATABASE']}")
    if new_database:
        made.append(f"the database ({len(done.migrations)} migration(s))")
    if made:
        click.echo("Made " + ", ".join(made) + ".")
    if done and not new_database:
        click.echo(done.done_line())
    if not made and not done:
        click.echo("Already set up: nothing to do.")


@click.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Upgrade the database after installing a new version. Safe to run again.

    Applies waiting schema changes, records the site's name, and moves anyone
    still under a replaced pseudonym key to the current one.
    """
    from gateway.db import connect
    from gateway.migrations import bring_up_to_date

    config = config_from(ctx)
    database = Path(config["DATABASE"])
    if not database.exists():
        raise click.ClickException(
            f"There is no database at {database}. Run `gateway init` first."
        )
    db = connect(database)
    try:
        with board_database_reached(config):
            done = bring_up_to_date(db, config)
    finally:
        db.close()
    click.echo(done.done_line())


@contextmanager
def board_database_reached(config: Mapping) -> Iterator[None]:
    """A board database that cannot be reached (its server down, a wrong URL,
    a database or role not made yet) is said in plain words, not a trace."""
    try:
        yield
    except OperationalError as error:
        from gateway.board.database import shown

        reason = " ".join(str(error.orig).split()) or type(error.orig).__name__
        if not reason.endswith((".", "?", "!")):
            reason += "."
        where = shown(config["BOARD_DATABASE"])
        hint = "Check that the file's folder can be written to."
        if "://" in config["BOARD_DATABASE"]:
            hint = (
                "Check GATEWAY_BOARD_DATABASE_URL, that the database server is "
                "running, and that the database and its role exist (see "
                "'PostgreSQL for large organisations' in docs/board.md)."
            )
        raise click.ClickException(
            f"Cannot reach the board's database at {where}: {reason} {hint}"
        ) from None


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Use 0.0.0.0 for tablets on the network.",
)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int) -> None:
    """Serve the gateway with waitress, with limits set for one small server.

    On the internet, put a reverse proxy in front (see the README).
    """
    from waitress.server import create_server

    app = app_from(ctx, then="start again")
    # Before waitress starts its threads, which then inherit the one core.
    core = keep_to_one_core(app.config)
    # SMS webhooks wait for their group commit, so under a text blast waitress's
    # queue is routinely non-empty; its per-request warning only floods the log.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    try:
        server = create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="gateway",
            **waitress_limits(app.config),
        )
    except (OSError, ValueError) as error:
        raise click.ClickException(cannot_listen(host, port, error)) from None
    # Said only once the socket is bound, so a port in use never looks served.
    port = getattr(server, "effective_port", port)
    if core is not None:
        log.info(
            "Serving on CPU core %d only, which answers texts faster. "
            "To use every core, set GATEWAY_SERVE_ONE_CORE=0.",
            core,
        )
    warn_if_no_one_is_told(app)
    click.echo(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)")
    server.run()


def warn_if_no_one_is_told(app) -> None:
    """A site with no duty contacts raises alerts that text no one: say so."""
    if app.config["ROLE"] not in ("site", "both"):
        return
    with app_database(app) as db:
        if any(not c["opted_out_at"] for c in store.duty.contacts(db)):
            return
    log.warning(
        "No duty contact can be texted: when someone may be at risk, no one "
        "is. Add one with `gateway duty add NAME NUMBER`; see `gateway duty list`."
    )


def keep_to_one_core(config: dict) -> int | None:
    """Run this process on one CPU core when GATEWAY_SERVE_ONE_CORE is on and
    it may use more than one, and return that core; on systems without CPU
    affinity, do nothing (None).

    Why: waitress's threads and the SMS writer thread hand Python's GIL to
    each other many times a text. Spread over two cores, each handover wakes
    a thread on the other core: about 21 context switches a text against 7
    on one core (benchmarks/sms_throughput.py). On a 2-core machine one core
    answered 5% to 20% more texts a second when the machine was quiet, and a
    third more, with half the p99, when another program was busy too. The
    GIL runs the gateway's Python one thread at a time anyway, so one core
    costs it little.
    """
    if not config["SERVE_ONE_CORE"]:
        log.debug("GATEWAY_SERVE_ONE_CORE is 0: serving on every core")
        return None
    if not hasattr(os, "sched_setaffinity"):  # not Linux
        log.debug("This system cannot keep a process to one core: using them all")
        return None
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:  # one core, or already pinned (taskset, a cpuset)
        return None
    # The last core this process may use: the same one at every start, so an
    # operator can plan around it, and not core 0, the one people reach for
    # first to pin something else (`taskset -c 0 gateway worker`). No core is
    # best everywhere: which takes the disk's interrupts varies by machine
    # (/proc/interrupts). A second `gateway serve` on one machine would pick
    # the same core, so start that one under `taskset` or with this set to 0.
    core = max(allowed)
    try:
        # Affinity is per thread and new threads inherit it: set it on every
        # thread that exists now (normally only this one).
        for thread in _threads_of_this_process():
            with suppress(ProcessLookupError):  # that thread has just ended
                os.sched_setaffinity(thread, {core})
    except OSError as error:  # a sandbox may refuse; serving matters more
        log.warning("Could not keep to one core (%s): using them all", error)
        return None
    return core


def _threads_of_this_process() -> list[int]:
    """Thread ids of this process (Linux's /proc), or 0 for the calling one."""
    try:
        return [int(name) for name in os.listdir("/proc/self/task")]
    except OSError:
        return [0]


MAX_HEADER_BYTES = 64 * 1024


def waitress_limits(config: dict) -> dict:
    """Waitress's limits, chosen for one small server that may face the internet."""
    from gateway import REQUEST_LIMIT_BYTES
    from gateway.sync.protocol import MAX_BATCH_BYTES

    # Only a board takes sync batches; every route of a site takes 32 KB at
    # most. Waitress reads (and spools to disk) a body up to its limit before
    # the app sees it, so the limit is the role's largest.
    largest = MAX_BATCH_BYTES if config["ROLE"] == "board" else REQUEST_LIMIT_BYTES

    return {
        # Waitress stops accepting at 100 open connections (its default), so
        # 100 idle or half-open ones (phones on a poor signal, a port scan)
        # would shut out Twilio, the kiosks and /healthz. A waiting connection
        # costs only a file descriptor, so allow many more.
        "connection_limit": 500,
        # poll() has no ceiling on descriptor numbers; select() fails past 1024.
        "asyncore_use_poll": True,
        # Close a connection with no request under way after 30 s of silence
        # (default 120), checking every 10 s (default 30).
        "channel_timeout": 30,
        "cleanup_interval": 10,
        # Each route refuses smaller limits itself. Waitress refuses a body of
        # exactly its limit, hence + 1. Its default, 1 GB, is spooled to disk.
        "max_request_body_size": largest + 1,
        # Twilio's and browsers' headers take a few KiB (default 256 KiB).
        "max_request_header_size": MAX_HEADER_BYTES,
        # Waitress 3 deletes X-Forwarded-* before the app sees them. Behind a
        # proxy (GATEWAY_TRUST_PROXY) the app's ProxyFix needs them to rebuild
        # the public URL that Twilio signed; without one, the app reads them
        # only to know that a request came through a proxy and is not local.
        "clear_untrusted_proxy_headers": False,
    }


def cannot_listen(host: str, port: int, error: Exception) -> str:
    """One line on why the gateway cannot listen there, and what to do."""
    number = getattr(error, "errno", None)
    if number == errno.EADDRINUSE:
        other = port + 1 if 1024 <= port < 65535 else 8081
        return (
            f"Port {port} on {host} is already in use by another program. "
            f"Choose another: gateway serve --port {other}, or make run PORT={other}."
        )
    if number == errno.EACCES:
        return (
            f"This user may not listen on port {port}. "
            "Choose a port from 1024 up, such as --port 8080."
        )
    if number == errno.EADDRNOTAVAIL or isinstance(error, ValueError):
        return (
            f"Cannot listen on {host}: it is not an address of this machine. "
            "Use 127.0.0.1, or 0.0.0.0 for every network."
        )
    return f"Cannot listen on {host} port {port}: {error}."


@click.command()
@click.option("--once", is_flag=True, help="Do one pass and stop.")
@click.pass_context
def worker(ctx: click.Context, once: bool) -> None:
    """Background work: send the outbox, close conversations that have gone
    quiet, work out new people's pseudonyms, carry out erasures, sync, remind
    duty contacts of alerts no one has dealt with, and once a day delete what
    is past its retention period."""
    from gateway.conversations import close_idle_conversations
    from gateway.duty import remind_duty_contacts
    from gateway.erasure import carry_out_erasures
    from gateway.pseudonyms import work_out_pseudonyms
    from gateway.retention import due as retention_due
    from gateway.retention import run_retention
    from gateway.sms.outbox import OutboxWorker
    from gateway.sms.sender import TwilioSender, can_send
    from gateway.sync.runner import SyncSchedule

    app = app_from(ctx, then="start again")
    runtime = app.extensions["gateway"]
    sender = TwilioSender(app.config) if can_send(app.config) else None
    if sender is None:
        log.info("No Twilio account set up: messages wait in `gateway outbox`.")
    syncing = app.config["ROLE"] in ("site", "both")
    schedule = SyncSchedule(app.config["SYNC_MAX_BACKOFF_SECONDS"])
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    while not stopping.is_set():
        with app_database(app) as db:
            closed = close_idle_conversations(db, runtime, utc_now())
            try:  # a second a pass at most, so duty texts below are not held up
                worked_out = work_out_pseudonyms(
                    db, app.config["INSTANCE_PATH"], WORKING_OUT_SECONDS
                )
            except Exception:
                log.exception("could not work out new people's pseudonyms")
                worked_out = 0
            try:
                carry_out_erasures(db, app.config["INSTANCE_PATH"], utc_now())
            except Exception:
                log.exception("could not carry out an erasure; trying again next pass")
            if syncing and schedule.due():
                _sync_pass(db, app, schedule)
            try:  # the outbox below must still run
                remind_duty_contacts(db, app.config, utc_now())
            except Exception:
                log.exception("could not remind duty contacts of open alerts")
            outcomes = {}
            if sender is not None:
                outbox = OutboxWorker(
                    db,
                    runtime,
                    sender,
                    utc_now,
                    sleep=stopping.wait,
                    keep_going=lambda: not stopping.is_set(),
                )
                outcomes = outbox.send_due()
            try:  # last: a long run holds up nothing above
                if retention_due(db, utc_now()):
                    run_retention(db, app, utc_now())
            except Exception:
                log.exception("retention failed; trying again next pass")
        if closed:
            log.info("closed %d quiet conversation(s) as partial", closed)
        if outcomes:
            log.info("outbox: %s", ", ".join(f"{n} {k}" for k, n in outcomes.items()))
        if once:
            break
        if not outcomes and not worked_out:
            stopping.wait(app.config["WORKER_INTERVAL"])


def _sync_pass(db, app, schedule) -> None:
    """Send this site's queue to its board: over HTTP once enrolled, or in
    role `both` straight to the board in this install."""
    from gateway.sync.enrolment import board_client
    from gateway.sync.runner import Summary, sync_once

    config = app.config
    if config["ROLE"] == "both":
        from gateway.board.local_site import LocalBoard

        client = LocalBoard(app)
    else:
        client = board_client(db, config)
    if client is None:
        return
    try:
        summary = sync_once(db, client, utc_now, config["SYNC_BATCH"])
    except Exception as error:  # the outbox and the next pass must still run
        log.exception("sync failed unexpectedly")
        summary = Summary(error=f"unexpected {type(error).__name__}")
    schedule.record(summary)
    if summary.error:
        log.warning(
            "sync: %s; %d waiting, trying again later", summary.error, summary.left
        )
    elif summary.acknowledged or summary.set_aside:
        log.info(
            "sync: %d acknowledged, %d set aside, %d left",
            summary.acknowledged,
            summary.set_aside,
            summary.left,
        )
