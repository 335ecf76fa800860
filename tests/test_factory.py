"""`create_app` reads the install and writes nothing: not the schema, not the
site's name, not anyone's pseudonym, and no file in an empty folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from gateway import create_app, store
from gateway.db import connect
from gateway.migrations import pending
from tests.test_migrate import (
    database_of,
    install_a_new_version,
    replace_the_key_under_someone,
)


def everything_in(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_create_app_writes_nothing_even_when_migrate_has_work_to_do(
    initialised, monkeypatch
):
    # All that start-up used to write for itself: a migration from a new
    # version, a new site name, and a person under a replaced pseudonym key.
    install_a_new_version(monkeypatch)
    replace_the_key_under_someone(initialised)
    instance = Path(initialised["INSTANCE_PATH"])
    before = everything_in(instance)

    create_app({**initialised, "SITE": "Oak House"})

    assert everything_in(instance) == before
    with closing(connect(database_of(initialised))) as db:
        assert pending(db) == ["add_example_table"]
        assert store.core.get_meta(db, "site_name") != "Oak House"


@pytest.mark.parametrize("secret_key", [None, "set-by-environment"])
def test_create_app_in_an_empty_folder_leaves_it_empty(tmp_path, secret_key):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    if secret_key:
        env["GATEWAY_SECRET_KEY"] = secret_key
    result = subprocess.run(
        [sys.executable, "-c", "from gateway import create_app; create_app()"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "Run `gateway init`" in result.stderr.splitlines()[-1]
    assert list(tmp_path.iterdir()) == []
