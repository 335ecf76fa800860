"""The folder the docs' commands run in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.pages import NUMBERS_CSV, PAGES, code_blocks


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """A folder to run the docs' commands in, holding the files they name."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "numbers.csv").write_text(NUMBERS_CSV, encoding="utf-8")
    for page in PAGES:
        for block in code_blocks(page.read_text(encoding="utf-8")):
            flow_id = re.search(r"^id: ([a-z0-9-]+)", block.text, re.MULTILINE)
            if block.language == "yaml" and flow_id:
                (folder / f"{flow_id[1]}.yaml").write_text(block.text, "utf-8")
    monkeypatch.chdir(folder)
    return folder
