"""`gateway export`'s choices: refused flows and dates in plain words, and
what is left out when only test data is there."""

from __future__ import annotations

import csv
import io
import json

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


# The filters a site's export takes, and how it reads -----------------------------


def exported_ids(runner, *args: str) -> list[str]:
    result = runner.invoke(["export", "--format", "jsonl", "--include-test", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line)["id"] for line in result.stdout.splitlines()]


def test_a_sites_export_takes_dates_channels_and_a_language(runner, initialised, db):
    for _ in range(3):
        simulate(runner, "friends-and-family", FFT_ANSWERS)
    first, second, third = [
        row["id"] for row in db.query("SELECT id FROM responses ORDER BY id")
    ]
    with db.conn:
        db["responses"].update(first, {"closed_at": "2026-11-02T10:00:00Z"})
        db["responses"].update(
            second, {"closed_at": "2026-11-20T10:00:00Z", "channel": "sms"}
        )
        db["responses"].update(
            third, {"closed_at": "2026-12-01T00:00:00Z", "language": "cy"}
        )
    assert exported_ids(runner) == [first, second, third]
    assert exported_ids(runner, "--before", "2026-12-01") == [first, second]
    assert exported_ids(runner, "--since", "2026-11-03", "--before", "2026-12-01") == [
        second
    ]
    assert exported_ids(runner, "--channel", "sms", "--channel", "kiosk") == [second]
    assert exported_ids(runner, "--language", "cy") == [third]


@pytest.mark.parametrize(
    "option", [["--site", "Oak House"], ["--tag", "food"], ["--words", "cold"]]
)
def test_a_site_says_the_boards_own_filters_work_only_on_a_board(
    runner, initialised, option
):
    result = runner.invoke(["export", *option])
    assert result.exit_code != 0
    assert f"{option[0]} works only on a board (GATEWAY_ROLE=board)." in result.output
    assert "Traceback" not in result.output and result.stdout == ""


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--channel", "fax"], "'fax' is not one of 'sms', 'kiosk', 'paper'."),
        (
            ["--language", "Welsh!"],
            "'Welsh!' is not a language code. Use a code like en",
        ),
        (["--before", "soon"], "'soon' is not a date. Use a date like 2026-11-30"),
        (
            ["--since", "2026-12-01", "--before", "2026-12-01"],
            "--before must be a later date than --since.",
        ),
    ],
)
def test_a_wrong_filter_is_refused_in_one_line_naming_what_is_allowed(
    runner, initialised, args, says
):
    result = runner.invoke(["export", *args])
    assert result.exit_code != 0
    assert says in result.output and "Traceback" not in result.output
    assert result.stdout == ""


def test_a_sites_export_reads_a_chunk_at_a_time_in_order(
    runner, initialised, db, monkeypatch
):
    from gateway import store

    for _ in range(5):
        simulate(runner, "friends-and-family", FFT_ANSWERS)
    monkeypatch.setattr(store.responses, "CHUNK", 2)
    ids = [row["id"] for row in db.query("SELECT id FROM responses ORDER BY id")]
    result = runner.invoke(["export", "--format", "jsonl", "--include-test"])
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ids
    assert all(r["answers"]["why"]["value"] == "lovely staff" for r in records)


def test_csv_numbers_stay_numbers_and_formulas_are_made_safe(runner, initialised, db):
    simulate(runner, "friends-and-family", FFT_ANSWERS)
    simulate(runner, "friends-and-family", FFT_ANSWERS)
    first, second = [
        row["id"] for row in db.query("SELECT id FROM responses ORDER BY id")
    ]
    with db.conn:
        db["answers"].update((first, "why"), {"value": "-3"})
        db["answers"].update((second, "why"), {"value": "-3+cmd"})
        db["responses"].update(first, {"kiosk": "@Lounge", "opening_text": "+1"})
    result = runner.invoke(["export", "--include-test"])
    assert result.exit_code == 0, result.output
    assert ",-3," in result.stdout  # a number, not quoted
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["why"] for row in rows] == ["-3", "'-3+cmd"]
    assert (rows[0]["kiosk"], rows[0]["opening_text"]) == ("'@Lounge", "'+1")
    header = result.stdout.splitlines()[0].split(",")
    assert header[-6:] == [
        "overall",
        "overall.state",
        "why",
        "why.state",
        "contact",
        "contact.state",
    ]
