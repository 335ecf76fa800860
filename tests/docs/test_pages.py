"""The docs stay true to the code: every setting and close reason documented,
the README a front page, every link resolving, the Makefile and Procfile shown
as they are."""

from __future__ import annotations

import pytest

from flows.model import CLOSE_REASONS
from gateway.config import SETTINGS
from tests.conftest import REPO
from tests.docs.pages import (
    OPERATIONS_PAGE,
    PAGES,
    SETTINGS_PAGE,
    SHOWN_MAKES,
    broken_links,
    code_blocks,
    make_targets,
    relative,
)


def test_the_settings_page_documents_every_setting():
    page = SETTINGS_PAGE.read_text(encoding="utf-8")
    assert [s.env for s in SETTINGS if f"| `{s.env}` |" not in page] == []


def test_the_operations_page_explains_every_close_reason():
    page = OPERATIONS_PAGE.read_text(encoding="utf-8")
    assert [r for r in CLOSE_REASONS if f"| `{r}` |" not in page] == []


def test_the_readme_is_a_front_page():
    assert len((REPO / "README.md").read_text(encoding="utf-8").splitlines()) < 150


@pytest.mark.parametrize("page", PAGES, ids=relative)
def test_every_relative_link_points_at_something_there(page):
    assert broken_links(page, page.read_text(encoding="utf-8")) == []


def test_a_link_to_a_missing_page_or_heading_is_caught():
    page = REPO / "docs" / "example.md"
    text = "[a](settings.md) [b](nowhere.md) [c](kiosks.md#no-such)\n[d](#here)\n"
    text += "# Here\n"
    assert broken_links(page, text) == [
        "docs/example.md: nowhere.md (no such file)",
        "docs/example.md: kiosks.md#no-such (no such heading)",
    ]


@pytest.mark.parametrize("shown", SHOWN_MAKES, ids=lambda m: f"{m.page}:{m.line}")
def test_every_make_target_shown_is_in_the_makefile(shown):
    assert set(shown.targets) <= make_targets()


def test_the_procfile_shown_is_the_procfile():
    shown = [
        block.text
        for block in code_blocks(OPERATIONS_PAGE.read_text(encoding="utf-8"))
        if block.language == "procfile"
    ]
    assert shown == [(REPO / "Procfile").read_text(encoding="utf-8")]
