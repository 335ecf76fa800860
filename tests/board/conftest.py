"""Fixtures for the board's pages: an install whose role is board, its board on
SQLite and on PostgreSQL (each test runs on both: [sqlite], [postgresql])."""

from __future__ import annotations

import pytest

from gateway import create_app
from tests.board.pages import Board


@pytest.fixture
def test_config(test_config, board_settings) -> dict:
    """Every board test's install, with its board on this test's engine."""
    test_config.update(board_settings)
    return test_config


@pytest.fixture
def board_config(test_config) -> dict:
    test_config.update(ROLE="board", SECURE_COOKIES=False)
    return test_config


@pytest.fixture
def board(board_config, runner):
    result = runner.invoke(["init"])
    assert result.exit_code == 0, result.output
    app = create_app(board_config)
    yield Board(app)
    app.extensions["board_engine"].dispose()
