"""Every command the docs show is one the CLI takes, the safe ones run in order
on a fresh install, and the commands table lists every command and option."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.pages import (
    OPERATIONS_PAGE,
    SHOWN_COMMANDS,
    ShownCommand,
    ShownMake,
    problem_with,
    run_shown,
    safe_to_run,
    shown_in,
    table_problems,
)


def test_the_docs_show_commands_to_check(workdir):
    pages = {shown.page for shown in SHOWN_COMMANDS}
    assert {"README.md", "docs/kiosks.md", "docs/operations.md"} <= pages
    assert any(
        safe_to_run(shown) for shown in SHOWN_COMMANDS if not problem_with(shown)
    )


@pytest.mark.parametrize("shown", SHOWN_COMMANDS, ids=str)
def test_every_command_shown_is_one_the_cli_takes(shown, workdir):
    assert problem_with(shown) is None


@pytest.mark.parametrize("page", sorted({s.page for s in SHOWN_COMMANDS}))
def test_the_commands_on_a_page_run_in_order_on_a_fresh_install(page, workdir):
    # A command the CLI refuses fails the test above; the rest still run here.
    installs: set[Path] = set()
    ran = 0
    for shown in SHOWN_COMMANDS:
        if shown.page != page or problem_with(shown) or not safe_to_run(shown):
            continue
        result = run_shown(shown, installs)
        assert result.exit_code == 0, f"{shown}\n{result.output}{result.exception!r}"
        ran += 1
    assert ran > 0


def test_a_made_up_command_fails_the_check():
    page = "docs/example.md"
    text = (
        "```sh\n"
        "gateway frobnicate --now\n"
        "gateway kiosk add Lounge --colour red\n"
        "gateway kiosk add\n"
        "gateway export --format pdf\n"
        "gateway kiosk add Lounge --base-url http://192.168.1.20:8080\n"
        "```\n"
    )
    commands, _ = shown_in(page, text)
    problems = [problem_with(shown) for shown in commands]
    assert problems[0] == "docs/example.md:2: gateway frobnicate --now: " + (
        "No such command 'frobnicate'."
    )
    assert "No such option '--colour'" in problems[1]
    assert "Missing argument 'NAME'" in problems[2]
    assert "'pdf' is not one of 'csv', 'jsonl'" in problems[3]
    assert problems[4] is None


def test_shell_lines_are_read_as_a_terminal_reads_them():
    text = (
        "```sh\n"
        'export GATEWAY_ROLE=site GATEWAY_SITE="Rose Court"\n'
        "printf '1\\nyes\\n' \\\n"
        "  | .venv/bin/gateway simulate friends-and-family\n"
        "GATEWAY_ROLE=board gateway serve --port 8090 &  # in the background\n"
        "make run HOST=0.0.0.0\n"
        "```\n"
    )
    commands, makes = shown_in("README.md", text)
    simulate, serve = commands
    assert simulate.words == ("simulate", "friends-and-family")
    assert simulate.stdin == "1\nyes\n"
    assert dict(simulate.env) == {"GATEWAY_ROLE": "site", "GATEWAY_SITE": "Rose Court"}
    assert (simulate.line, serve.line) == (3, 5)
    assert serve.words == ("serve", "--port", "8090")
    assert dict(serve.env)["GATEWAY_ROLE"] == "board"
    assert serve.stdin is None
    assert makes == [ShownMake("README.md", 6, ("run",))]


def test_a_command_that_fails_when_run_is_caught(workdir):
    # The board's commands refuse a site: running what a page shows proves it works.
    shown = ShownCommand(
        "docs/example.md", 1, ("board", "sites"), (("GATEWAY_ROLE", "site"),)
    )
    assert problem_with(shown) is None and safe_to_run(shown)
    result = run_shown(shown, set())
    assert result.exit_code != 0
    assert "This install is a site" in result.output


def test_the_commands_table_shows_every_command_and_option():
    section = OPERATIONS_PAGE.read_text(encoding="utf-8").split("## Commands")[-1]
    assert table_problems(section) == []


def test_the_commands_table_check_catches_drift():
    table = (
        "| `gateway init` | a |\n"
        "| `gateway frobnicate` | b |\n"
        "| `gateway outbox [--status S] [--colour C]` | c |\n"
    )
    problems = table_problems(table)
    assert "gateway serve: not in the table" in problems
    assert "gateway frobnicate: no such command" in problems
    assert "gateway outbox [--status S] [--colour C]: --limit is not shown" in problems
    assert (
        "gateway outbox [--status S] [--colour C]: --colour is not an option "
        "of the command"
    ) in problems
    assert not [p for p in problems if p.startswith("gateway init")]
