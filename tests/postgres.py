"""A throwaway PostgreSQL for the tests: Debian's own binaries, one cluster per
test session in a temporary folder, and a fresh database for each test (the
fixtures at the end; tests/conftest.py loads this module as a plugin).

The cluster listens on 127.0.0.1 on a free port (and on a socket in its
folder), lets anyone on this machine in (trust), and keeps nothing through a
crash (fsync off): it is thrown away at the end. PostgreSQL will not run as
root, so under root it runs as Debian's `postgres` user. A small guard process
stops it and removes the folder if the test run itself is killed, so nothing
is ever left running. Each test's database is copied from a template that
has had the board's migrations: a copy takes a third of the time of migrating.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

BINARIES = "/usr/lib/postgresql/*/bin"
SUPERUSER = "postgres"
TEMPLATE = "board_template"
INSTALL = (
    "PostgreSQL is not installed: the board's tests also run on PostgreSQL, "
    f"with Debian's binaries in {BINARIES}. Install them with "
    "`apt-get install postgresql` (or run `make test`, which does)."
)
SETTINGS = {  # a cluster for tests: quick, and nothing kept through a crash
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "32MB",
}
START_SECONDS = 30
STOP_SECONDS = 10
# The guard: when the test run ends in any way (its end of the pipe closes),
# stop PostgreSQL if it still runs, and remove the folder.
GUARD = """
import os, shutil, signal, sys
sys.stdin.read()
pid_file = os.path.join(sys.argv[1], "data", "postmaster.pid")
if os.path.exists(pid_file):
    try:
        os.kill(int(open(pid_file).readline()), signal.SIGQUIT)
    except (OSError, ValueError):
        pass
shutil.rmtree(sys.argv[1], ignore_errors=True)
"""


class NotInstalled(RuntimeError):
    """Debian's PostgreSQL binaries are not on this machine."""


def binaries() -> Path:
    """The newest installed PostgreSQL's bin folder."""
    found = [Path(folder) for folder in glob.glob(BINARIES)]
    found = [folder for folder in found if (folder / "initdb").exists()]
    if not found:
        raise NotInstalled(INSTALL)
    return max(found, key=lambda folder: int(folder.parent.name.split(".")[0]))


class Cluster:
    """One PostgreSQL server in a temporary folder: start(), stop(), and
    databases made and dropped by name."""

    def __init__(self, bin_folder: Path):
        self.bin = bin_folder
        # Under root, in /tmp: the postgres user must reach it (a TMPDIR in
        # root's home would not do).
        where = "/tmp" if os.geteuid() == 0 else None  # noqa: S108
        self.folder = Path(tempfile.mkdtemp(prefix="gateway-postgres-", dir=where))
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._guard: subprocess.Popen | None = None
        self._names = itertools.count(1)

    # Starting and stopping -----------------------------------------------------

    def start(self) -> Cluster:
        try:
            self._guard = subprocess.Popen(
                [sys.executable, "-c", GUARD, str(self.folder)],
                stdin=subprocess.PIPE,
                start_new_session=True,  # Ctrl-C reaches the tests, not the guard
            )
            self._as_owner()
            self._run(
                "initdb",
                "--pgdata",
                str(self.folder / "data"),
                "--username",
                SUPERUSER,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C.UTF-8",
                "--no-sync",
            )
            self._serve()
            self._make_template()
        except BaseException:
            self.stop()
            raise
        return self

    def _as_owner(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, SUPERUSER, SUPERUSER)

    def _user(self) -> dict:
        """Popen's arguments to run a PostgreSQL program as a user it accepts."""
        if os.geteuid() != 0:
            return {}
        return {"user": SUPERUSER, "group": SUPERUSER, "extra_groups": []}

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            [str(self.bin / program), *args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            check=False,
            **self._user(),
        )
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed:\n{done.stdout}{done.stderr}")

    def _serve(self) -> None:
        """Start the server on a free port, retried if another program took
        the port between choosing it and PostgreSQL listening on it."""
        for _ in range(3):
            self.port = _free_port()
            options = [f"--{name}={value}" for name, value in SETTINGS.items()]
            log = (self.folder / "postgres.log").open("ab")
            with log:
                self.process = subprocess.Popen(
                    [
                        str(self.bin / "postgres"),
                        "-D",
                        str(self.folder / "data"),
                        "-p",
                        str(self.port),
                        "-k",
                        str(self.folder),
                        *options,
                    ],
                    cwd=self.folder,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # stopped by us, not by Ctrl-C
                    **self._user(),
                )
            if self._ready():
                return
        raise RuntimeError("PostgreSQL did not start:\n" + self.log())

    def _ready(self) -> bool:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            with suppress(psycopg.OperationalError):
                psycopg.connect(self.dsn(), connect_timeout=2).close()
                return True
            time.sleep(0.05)
        return False

    def log(self) -> str:
        path = self.folder / "postgres.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop the server (a fast shutdown, then harder), remove the folder."""
        if self.process is not None and self.process.poll() is None:
            for stop_signal in (signal.SIGINT, signal.SIGQUIT, signal.SIGKILL):
                self.process.send_signal(stop_signal)
                with suppress(subprocess.TimeoutExpired):
                    self.process.wait(STOP_SECONDS)
                    break
        shutil.rmtree(self.folder, ignore_errors=True)
        if self._guard is not None:
            self._guard.communicate(timeout=STOP_SECONDS)  # closes its pipe: done

    # Databases ---------------------------------------------------------------

    def dsn(self, database: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={database}"

    def url(self, database: str, role: str = SUPERUSER) -> str:
        """The URL a board is given (no driver named: the board uses psycopg)."""
        return f"postgresql://{role}@127.0.0.1:{self.port}/{database}"

    def execute(self, statement: sql.Composable) -> None:
        """Run one statement as the cluster's superuser."""
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(statement)

    def _make_template(self) -> None:
        from gateway.board.migrations import upgrade

        self.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE)))
        upgrade(self.url(TEMPLATE))  # disposes of its engine: no one stays

    def new_database(self, migrated: bool = True, owner: str | None = None) -> str:
        """A new database's name: the board's schema in it, or empty (and
        owned by the role `owner`, if given)."""
        name = f"board_{os.getpid()}_{next(self._names)}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if migrated:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(TEMPLATE))
        if owner:
            statement += sql.SQL(" OWNER {}").format(sql.Identifier(owner))
        self.execute(statement)
        return name

    def drop_database(self, name: str) -> None:
        """Drop it, ending whatever connections a test's engines left open."""
        self.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The fixtures ------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_cluster():
    """One PostgreSQL server for the whole run, started when a test first
    needs it. Without Debian's binaries, each test that needs it fails,
    saying how to install them: never a silent skip."""
    try:
        folder, missing = binaries(), None
    except NotInstalled as error:
        folder, missing = None, str(error)
    if missing:  # failed outside the except block: the message alone
        pytest.fail(missing, pytrace=False)
    cluster = Cluster(folder).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@contextmanager
def postgres_database(cluster: Cluster, migrated: bool = True, role: str | None = None):
    """A new database for one test, with the board's schema or empty (and
    owned by `role`, its URL signing in as that role): its URL. Dropped
    afterwards, with every connection the test opened closed first (an app's
    engine is seldom disposed of in a test, and psycopg warns of a
    connection that is never closed)."""
    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    name = cluster.new_database(migrated, owner=role)
    opened = []

    def remember(dbapi_connection, _record) -> None:
        opened.append(dbapi_connection)

    event.listen(Pool, "connect", remember)
    try:
        yield cluster.url(name, role) if role else cluster.url(name)
    finally:
        event.remove(Pool, "connect", remember)
        for connection in opened:
            connection.close()
        cluster.drop_database(name)


@pytest.fixture
def postgres_url(postgres_cluster):
    """A database of this test's own, with the board's schema: its URL."""
    with postgres_database(postgres_cluster) as url:
        yield url


@pytest.fixture
def empty_postgres_url(postgres_cluster):
    """A database of this test's own, as its administrator makes it: empty."""
    with postgres_database(postgres_cluster, migrated=False) as url:
        yield url
