"""`gateway export`'s choices: refused flows and dates in plain words, and
what is left out when only test data is there."""

from __future__ import annotations

import pytest

FFT_ANSWERS = "1\nlovely staff\nyes\n"


def simulate(runner, flow_id: str, text: str) -> None:
    result = runner.invoke(["simulate", flow_id], input=text)
    assert result.exit_code == 0, result.output


def test_export_of_an_unknown_flow_is_refused_with_the_flows_there_are(
    runner, initialised
):
    result = runner.invoke(["export", "--flow", "nosuch"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "No flow called 'nosuch'" in result.output
    assert "care-home-life" in result.output and "friends-and-family" in result.output
    assert result.stdout == ""


@pytest.mark.parametrize("since", ["30/11/2026", "yesterday", "2026-13-01"])
def test_export_since_an_unreadable_date_says_the_format(runner, initialised, since):
    result = runner.invoke(["export", "--since", since])
    assert result.exit_code == 2
    assert f"'{since}' is not a date" in result.output
    assert "Use a date like 2026-11-30" in result.output
    assert "%Y" not in result.output


def test_export_with_only_test_data_says_how_many_were_left_out(runner, initialised):
    simulate(runner, "friends-and-family", FFT_ANSWERS)
    simulate(runner, "friends-and-family", "2\n")
    result = runner.invoke(["export", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "Exported 0 response(s)." in result.stderr
    assert "Left out 2 test response(s)" in result.stderr
    assert "--include-test" in result.stderr

    flow_only = runner.invoke(["export", "--flow", "care-home-life"])
    assert "Left out" not in flow_only.stderr  # its tests are all elsewhere

    included = runner.invoke(["export", "--format", "jsonl", "--include-test"])
    assert len(included.stdout.splitlines()) == 2
    assert "Left out" not in included.stderr


def test_a_flow_no_longer_loaded_can_still_be_exported(runner, initialised, db):
    simulate(runner, "friends-and-family", FFT_ANSWERS)
    db.execute("UPDATE responses SET flow_id = 'retired-flow'")
    db.conn.commit()
    result = runner.invoke(
        ["export", "--format", "jsonl", "--include-test", "--flow", "retired-flow"]
    )
    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    assert '"flow": "retired-flow"' in line
