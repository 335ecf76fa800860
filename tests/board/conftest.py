"""Fixtures for the board's pages: an install whose role is board."""

from __future__ import annotations

import pytest

from gateway import create_app
from tests.board.pages import Board


@pytest.fixture
def board_config(test_config) -> dict:
    test_config.update(ROLE="board", SECURE_COOKIES=False)
    return test_config


@pytest.fixture
def board(board_config, runner) -> Board:
    result = runner.invoke(["init"])
    assert result.exit_code == 0, result.output
    return Board(create_app(board_config))
